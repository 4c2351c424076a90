// Which issuers are trusted, and for each: where its keys come from, which
// audiences and algorithms it may use, and its clock leeway. Built once from the
// suite config; a token's `iss` selects exactly one entry, and only that issuer's
// keys are ever tried for it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/suite_config.h"
#include "services/token_validation/alg.h"

namespace mcpauth::tv {

struct TrustedIssuer {
  std::string issuer;
  // "https://…" or "file:PATH"; empty: find jwks_uri by discovery from the issuer.
  std::string jwks_source;
  // Accepted audiences; empty: the request's resource (default: top-level resource).
  std::vector<std::string> audiences;
  std::vector<const AlgSpec*> algorithms;
  absl::Duration leeway = absl::Seconds(60);
  // Opaque tokens are introspected at this issuer when enabled.
  IntrospectionConfig introspection;

  bool Allows(const AlgSpec* alg) const;
};

class IssuerRegistry {
 public:
  // Issuers from `jwt_validators`, plus each of `authorization_servers` not already
  // listed (their keys found by discovery). The default authorization server
  // (authorization.authorization_servers' default) is trusted only when no validator
  // is configured. Throws ConfigError naming the
  // offending key.
  static IssuerRegistry FromConfig(const SuiteConfig& config);

  const TrustedIssuer* Find(std::string_view issuer) const;
  // The issuer that introspects opaque tokens (at most one), or null.
  const TrustedIssuer* Introspecting() const;
  const std::vector<std::unique_ptr<TrustedIssuer>>& issuers() const { return issuers_; }

 private:
  std::vector<std::unique_ptr<TrustedIssuer>> issuers_;
};

}  // namespace mcpauth::tv
