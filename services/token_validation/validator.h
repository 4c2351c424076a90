// The validation pipeline, in the order jwt_verify_lib and RFC 8725 suggest:
// size → DPoP precheck → cache → shape and header → claim types → issuer →
// algorithm policy → time and audience → DPoP binding (all cheap, before any
// crypto) → keys → signature → DPoP proof signature → DPoP replay store.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "services/common/clock.h"
#include "services/common/discovery.h"
#include "services/token_validation/dpop_verifier.h"
#include "services/token_validation/introspection.h"
#include "services/token_validation/issuers.h"
#include "services/token_validation/jwks_cache.h"
#include "services/token_validation/jws.h"
#include "services/token_validation/token_cache.h"
#include "services/token_validation/tv_metrics.h"

namespace mcpauth::tv {

struct ValidationInput {
  std::string_view token;
  std::string_view resource;  // expected audience; empty: the configured default
  // Accepted besides the resource URI (ValidateRequest.audiences); empty: the
  // resource only, or the issuer's audiences for the default resource.
  std::vector<std::string_view> audiences;
  std::string_view scheme;    // "Bearer" | "DPoP" | "" (see ValidateRequest.scheme)
  DpopRequest dpop;           // the DPoP proof and the request it came with, if any
  // False: answer only what can be answered without waiting on the network or
  // Redis (keys and discovery fresh in memory, no shared replay store to ask);
  // anything else comes back as must_wait(). For callers on threads that must
  // not block, such as gRPC's callback threads.
  bool may_wait = true;
};

// What Validate found: exactly one of
//   decided      the token is valid (reason() OK, token() set) or refused for reason()
//   undecidable  it could not be judged (keys unavailable, replay store full):
//                error() says why, and callers must not treat the token as invalid
//   must wait    (may_wait false only) nothing was decided or counted: ask again
//                with may_wait true from a thread that may block
class ValidationResult {
 public:
  static ValidationResult Decided(Reason reason, std::shared_ptr<const VerifiedToken> token = nullptr,
                                  bool cached = false);
  static ValidationResult Undecidable(absl::Status error);
  static ValidationResult MustWait();

  bool decided() const { return std::holds_alternative<Decision>(state_); }
  bool must_wait() const { return std::holds_alternative<Waiting>(state_); }
  // Decided, REASON_OK, with the verified token.
  bool valid() const { return reason() == v1::REASON_OK && token() != nullptr; }
  // REASON_UNSPECIFIED unless decided.
  Reason reason() const;
  // OK unless undecidable.
  const absl::Status& error() const;
  // Set only when valid.
  const std::shared_ptr<const VerifiedToken>& token() const;
  // Decided from the validated-token cache.
  bool cached() const;

  // Added to a decided or undecidable result by Validate:
  // a fresh DPoP-Nonce for the answer (server nonces on and DPoP in use), or "";
  std::string dpop_nonce;
  // a DPoP proof came with the request and was examined (it is not with the Bearer
  // scheme). For metrics: the proof's outcome is reason() when that is OK or a DPoP
  // reason.
  bool dpop_proof_checked = false;

 private:
  struct Decision {
    Reason reason;
    std::shared_ptr<const VerifiedToken> token;
    bool cached;
  };
  struct Waiting {};
  explicit ValidationResult(std::variant<Decision, absl::Status, Waiting> state) : state_(std::move(state)) {}
  std::variant<Decision, absl::Status, Waiting> state_;
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
  // `dpop` null: DPoP with the defaults (every algorithm, 60 s leeway, no nonces,
  // not required, an in-process replay store), so a bound token is never accepted
  // without a proof, whoever builds the validator.
  TokenValidator(ValidatorOptions options, const IssuerRegistry* issuers, JwksCache* jwks,
                 AuthorizationServerDirectory* directory, TokenCache* cache,
                 TokenValidationMetrics* metrics, const Clock* clock = SystemClock::Get(),
                 const DpopVerifier* dpop = nullptr, Introspector* introspector = nullptr);

  ValidationResult Validate(const ValidationInput& input);

  // Loads every issuer's keys once (start-up warm-up); failures are only logged.
  void Prefetch();

 private:
  // The key source of `issuer`: configured, or its discovered jwks_uri.
  absl::StatusOr<std::string> KeySource(const TrustedIssuer& issuer);
  // The issuer's keys if both its key source and its key set are fresh in memory.
  std::shared_ptr<const KeySet> KeysAtHand(const TrustedIssuer& issuer);
  ValidationResult VerifyWithIssuerKeys(const TrustedIssuer& issuer, const ParsedJws& jws, bool may_wait);
  // The token's own checks, with DPoP's binding check before any signature work:
  // from the validated-token cache, else ValidateUncached.
  ValidationResult ValidateToken(const ValidationInput& input, absl::Time now, const PendingDpop& dpop);
  ValidationResult ValidateUncached(const ValidationInput& input, absl::Time now, const PendingDpop& dpop);
  // An opaque token: asked of the introspecting issuer, then the same time,
  // audience and binding checks as a JWT's claims.
  ValidationResult ValidateOpaque(const ValidationInput& input, absl::Time now, const PendingDpop& dpop);
  const std::vector<std::string>& AcceptedAudiences(const TrustedIssuer& issuer, const ValidationInput& input,
                                                    std::vector<std::string>& scratch) const;

  ValidatorOptions options_;
  const IssuerRegistry* issuers_;
  JwksCache* jwks_;
  AuthorizationServerDirectory* directory_;
  TokenCache* cache_;
  TokenValidationMetrics* metrics_;
  const Clock* clock_;
  std::unique_ptr<InProcessDpopReplayStore> default_replay_;  // only when no verifier was given
  std::unique_ptr<DpopVerifier> default_dpop_;
  const DpopVerifier* dpop_;
  Introspector* introspector_;
};

}  // namespace mcpauth::tv
