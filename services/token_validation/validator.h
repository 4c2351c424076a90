// The validation pipeline, in the order jwt_verify_lib and RFC 8725 suggest:
// size → cache → shape and header → claim types → issuer → algorithm policy →
// time and audience (cheap, before any crypto) → keys → signature.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "services/common/clock.h"
#include "services/common/discovery.h"
#include "services/token_validation/issuers.h"
#include "services/token_validation/jwks_cache.h"
#include "services/token_validation/jws.h"
#include "services/token_validation/token_cache.h"
#include "services/token_validation/tv_metrics.h"

namespace mcpauth::tv {

struct ValidationInput {
  std::string_view token;
  std::string_view resource;  // expected audience; empty: the configured default
};

struct ValidationResult {
  Reason reason = v1::REASON_UNSPECIFIED;
  // Not OK only when the token could not be judged (keys unavailable); then
  // `reason` is meaningless and callers must not treat the token as invalid.
  absl::Status error;
  std::shared_ptr<const VerifiedToken> token;  // set when reason is REASON_OK
  bool cached = false;

  bool valid() const { return error.ok() && reason == v1::REASON_OK; }
};

struct ValidatorOptions {
  std::string default_resource;
  size_t max_token_bytes = 16 * 1024;
  // Cap on how long a verified token is remembered, so a key removed from the
  // issuer's set stops validating cached tokens within one cache lifetime.
  absl::Duration token_cache_ttl = absl::Seconds(300);
};

class TokenValidator {
 public:
  TokenValidator(ValidatorOptions options, const IssuerRegistry* issuers, JwksCache* jwks,
                 AuthorizationServerDirectory* directory, TokenCache* cache,
                 TokenValidationMetrics* metrics, const Clock* clock = SystemClock::Get());

  ValidationResult Validate(const ValidationInput& input);

  // Loads every issuer's keys once (start-up warm-up); failures are only logged.
  void Prefetch();

 private:
  // The key source of `issuer`: configured, or its discovered jwks_uri.
  absl::StatusOr<std::string> KeySource(const TrustedIssuer& issuer);
  ValidationResult VerifyWithIssuerKeys(const TrustedIssuer& issuer, const ParsedJws& jws);
  const std::vector<std::string>& AcceptedAudiences(const TrustedIssuer& issuer, std::string_view resource,
                                                    std::vector<std::string>& scratch) const;

  ValidatorOptions options_;
  const IssuerRegistry* issuers_;
  JwksCache* jwks_;
  AuthorizationServerDirectory* directory_;
  TokenCache* cache_;
  TokenValidationMetrics* metrics_;
  const Clock* clock_;
};

}  // namespace mcpauth::tv
