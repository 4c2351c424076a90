#include "services/token_validation/issuers.h"

#include <algorithm>

#include "services/common/strings.h"
#include "services/token_validation/jwks_cache.h"

namespace mcpauth::tv {

bool TrustedIssuer::Allows(const AlgSpec* alg) const {
  return std::find(algorithms.begin(), algorithms.end(), alg) != algorithms.end();
}

IssuerRegistry IssuerRegistry::FromConfig(const SuiteConfig& config) {
  IssuerRegistry registry;
  for (const JwtValidatorConfig& v : config.jwt_validators) {
    auto issuer = std::make_unique<TrustedIssuer>();
    issuer->issuer = v.issuer;
    if (!v.jwks_uri.empty()) issuer->jwks_source = v.jwks_uri;
    if (!v.jwks_file.empty()) issuer->jwks_source = StrCat(kFileSourcePrefix, v.jwks_file);
    issuer->audiences = v.audiences;
    issuer->leeway = v.leeway;
    issuer->introspection = v.introspection;
    if (v.algorithms.empty()) {
      issuer->algorithms = SupportedAlgs();
    } else {
      for (size_t i = 0; i < v.algorithms.size(); ++i) {
        const AlgSpec* alg = FindAlg(v.algorithms[i]);
        if (alg == nullptr) {
          std::vector<std::string> names;
          for (const AlgSpec* s : SupportedAlgs()) names.emplace_back(s->name);
          throw ConfigError(StrCat(
              v.path, ".algorithms[", i, "]: \"", v.algorithms[i], "\" is not supported",
              IsForbiddenAlg(v.algorithms[i]) ? " (none and HMAC algorithms are never accepted)" : "",
              "; choose from ", StrJoin(names, ", ")));
        }
        issuer->algorithms.push_back(alg);
      }
    }
    if (issuer->audiences.empty() && config.resource.empty()) {
      throw ConfigError(StrCat(v.path, ".audience: is required when the top-level resource is not set "
                                     "(tokens are always checked for their audience)"));
    }
    registry.issuers_.push_back(std::move(issuer));
  }
  for (const std::string& as : config.EffectiveAuthorizationServers()) {
    if (registry.Find(as) != nullptr) continue;
    if (config.resource.empty()) {
      throw ConfigError(StrCat("resource: is required to check the audience of tokens from \"", as, "\""));
    }
    auto issuer = std::make_unique<TrustedIssuer>();
    issuer->issuer = as;
    issuer->algorithms = SupportedAlgs();
    registry.issuers_.push_back(std::move(issuer));
  }
  return registry;
}

const TrustedIssuer* IssuerRegistry::Find(std::string_view issuer) const {
  for (const auto& i : issuers_) {
    if (i->issuer == issuer) return i.get();
  }
  return nullptr;
}

const TrustedIssuer* IssuerRegistry::Introspecting() const {
  for (const auto& i : issuers_) {
    if (i->introspection.enabled) return i.get();
  }
  return nullptr;
}

}  // namespace mcpauth::tv
