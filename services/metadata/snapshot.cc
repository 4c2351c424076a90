#include "services/metadata/snapshot.h"

#include <algorithm>

#include "services/common/jws_algorithms.h"
#include "services/common/sha256.h"
#include "services/common/strings.h"

namespace mcpauth::metadata {
namespace {

// Length-prefixed (and lists count-prefixed), so no two different contents hash
// the same input.
void Feed(std::string& out, std::string_view field) { StrAppend(out, field.size(), ":", field, ";"); }

}  // namespace

MetadataSnapshot MetadataSnapshot::Make(ProtectedResourceMetadata resources, ChallengeSettings challenge) {
  MetadataSnapshot out;
  out.version = SnapshotVersion(resources, challenge);
  out.resources = std::move(resources);
  out.challenge = std::move(challenge);
  return out;
}

absl::StatusOr<Challenge> MetadataSnapshot::BuildChallenge(const ChallengeRequest& request) const {
  const ResourceDocument* doc = resources.FindByResource(request.resource);
  if (doc == nullptr) {
    return absl::NotFoundError(StrCat("no protected resource \"", request.resource, "\""));
  }
  return metadata::BuildChallenge(challenge, doc->metadata_url, request);
}

std::string SnapshotVersion(const ProtectedResourceMetadata& resources, const ChallengeSettings& challenge) {
  std::string content;
  for (const ResourceDocument& doc : resources.documents()) {
    Feed(content, doc.resource);
    Feed(content, doc.document_json);
    Feed(content, doc.metadata_url);
    Feed(content, StrCat(doc.well_known_paths.size()));
    for (const std::string& path : doc.well_known_paths) Feed(content, path);
  }
  if (const ResourceDocument* def = resources.default_document()) Feed(content, def->resource);
  Feed(content, resources.cache_control());
  Feed(content, StrCat(challenge.required_scopes.size()));
  for (const std::string& s : challenge.required_scopes) Feed(content, s);
  Feed(content,
       StrCat(static_cast<int>(challenge.scope_enforcement), challenge.bearer_accepted, challenge.dpop_accepted));
  for (const std::string& a : challenge.dpop_algorithms) Feed(content, a);
  return HexEncode(Sha256(content).substr(0, 8));
}

bool DpopEnabled(const AuthorizationConfig& authorization) {
  return authorization.dpop_required || authorization.dpop_nonce || !authorization.dpop_algorithms.empty();
}

std::vector<std::string> DefaultDpopAlgorithms() { return {kJwsAlgorithms.begin(), kJwsAlgorithms.end()}; }

ResourceMetadataSettings ResourceMetadataSettingsFromConfig(const SuiteConfig& config,
                                                            const std::vector<std::string>& required_scopes) {
  const AuthorizationConfig& auth = config.authorization;
  ResourceMetadataSettings s;
  s.resources = config.Resources();
  s.top_level_resource = config.resource;
  s.authorization_servers = config.EffectiveAuthorizationServers();
  s.scopes_supported = config.metadata.scopes_supported.empty() ? required_scopes : config.metadata.scopes_supported;
  s.resource_name = config.metadata.resource_name;
  s.resource_documentation = config.metadata.resource_documentation;
  s.metadata_path = auth.metadata_path;
  s.cache_ttl = auth.cache_ttl;
  s.dpop_enabled = DpopEnabled(auth);
  s.dpop_required = auth.dpop_required;
  s.dpop_algorithms = auth.dpop_algorithms.empty() ? DefaultDpopAlgorithms() : auth.dpop_algorithms;
  return s;
}

ChallengeSettings ChallengeSettingsFromConfig(const SuiteConfig& config,
                                              const std::vector<std::string>& required_scopes) {
  const AuthorizationConfig& auth = config.authorization;
  ChallengeSettings s;
  s.required_scopes = required_scopes;
  s.scope_enforcement = auth.scope_enforcement;
  s.bearer_accepted = !auth.dpop_required;
  s.dpop_accepted = DpopEnabled(auth);
  s.dpop_algorithms = auth.dpop_algorithms.empty() ? DefaultDpopAlgorithms() : auth.dpop_algorithms;
  return s;
}

MetadataSnapshot SnapshotFromConfig(const SuiteConfig& config, const std::vector<std::string>& required_scopes) {
  const std::vector<std::string>& algs = config.authorization.dpop_algorithms;
  for (size_t i = 0; i < algs.size(); ++i) {
    // Worded as token-validation words it, whichever service starts first.
    if (!IsSupportedJwsAlg(algs[i])) {
      throw ConfigError(StrCat("authorization.dpop_algorithms[", i, "]: \"", algs[i],
                               IsForbiddenJwsAlg(algs[i])
                                   ? "\" is not asymmetric: DPoP proofs are signed with a private key"
                                   : "\" is not a supported JWS algorithm"));
    }
  }
  if (config.Resources().empty()) {
    throw ConfigError("resource: the protected resource's canonical URI is required (or gateway.routes[].resource)");
  }
  auto resources = ProtectedResourceMetadata::Build(ResourceMetadataSettingsFromConfig(config, required_scopes));
  if (!resources.ok()) throw ConfigError(StrCat("resource: ", resources.status().message()));
  return MetadataSnapshot::Make(std::move(*resources), ChallengeSettingsFromConfig(config, required_scopes));
}

MetadataSnapshot SnapshotFromConfig(const SuiteConfig& config) {
  return SnapshotFromConfig(config, {config.policy.required_scopes().begin(), config.policy.required_scopes().end()});
}

}  // namespace mcpauth::metadata
