#include "services/token_validation/validator.h"

#include "services/common/strings.h"
#include "services/common/log.h"
#include "services/token_validation/signature.h"

namespace mcpauth::tv {
namespace {

ValidationResult Invalid(Reason reason) { return ValidationResult::Decided(reason); }

ValidationResult CouldNotDecide(absl::Status error) { return ValidationResult::Undecidable(std::move(error)); }

ValidationResult MustWait() { return ValidationResult::MustWait(); }

}  // namespace

ValidationResult ValidationResult::Decided(Reason reason, std::shared_ptr<const VerifiedToken> token, bool cached) {
  if (reason != v1::REASON_OK) token = nullptr;
  return ValidationResult(Decision{reason, std::move(token), cached});
}

ValidationResult ValidationResult::Undecidable(absl::Status error) {
  if (error.ok()) error = absl::InternalError("undecidable without a reason");
  return ValidationResult(std::move(error));
}

ValidationResult ValidationResult::MustWait() { return ValidationResult(Waiting{}); }

Reason ValidationResult::reason() const {
  const Decision* d = std::get_if<Decision>(&state_);
  return d != nullptr ? d->reason : v1::REASON_UNSPECIFIED;
}

const absl::Status& ValidationResult::error() const {
  static const absl::Status kOk;
  const absl::Status* e = std::get_if<absl::Status>(&state_);
  return e != nullptr ? *e : kOk;
}

const std::shared_ptr<const VerifiedToken>& ValidationResult::token() const {
  static const std::shared_ptr<const VerifiedToken> kNone;
  const Decision* d = std::get_if<Decision>(&state_);
  return d != nullptr ? d->token : kNone;
}

bool ValidationResult::cached() const {
  const Decision* d = std::get_if<Decision>(&state_);
  return d != nullptr && d->cached;
}

TokenValidator::TokenValidator(ValidatorOptions options, const IssuerRegistry* issuers, JwksCache* jwks,
                               AuthorizationServerDirectory* directory, TokenCache* cache,
                               TokenValidationMetrics* metrics, const Clock* clock, const DpopVerifier* dpop,
                               Introspector* introspector)
    : options_(std::move(options)),
      issuers_(issuers),
      jwks_(jwks),
      directory_(directory),
      cache_(cache),
      metrics_(metrics),
      clock_(clock),
      dpop_(dpop),
      introspector_(introspector) {
  if (dpop_ == nullptr) {
    default_replay_ = std::make_unique<InProcessDpopReplayStore>(100'000, clock_);
    default_dpop_ = std::make_unique<DpopVerifier>(DpopOptions{}, default_replay_.get(), nullptr);
    dpop_ = default_dpop_.get();
  }
}

const std::vector<std::string>& TokenValidator::AcceptedAudiences(const TrustedIssuer& issuer,
                                                                  const ValidationInput& input,
                                                                  std::vector<std::string>& scratch) const {
  const std::string_view resource = input.resource.empty() ? std::string_view(options_.default_resource) : input.resource;
  // An issuer's configured audience stands for the default resource only: with it
  // accepted everywhere, a token for one route would be good on every other.
  if (input.audiences.empty() && !issuer.audiences.empty() && resource == options_.default_resource) {
    return issuer.audiences;
  }
  scratch.assign(1, std::string(resource));
  scratch.insert(scratch.end(), input.audiences.begin(), input.audiences.end());
  return scratch;
}

absl::StatusOr<std::string> TokenValidator::KeySource(const TrustedIssuer& issuer) {
  if (!issuer.jwks_source.empty()) return issuer.jwks_source;
  if (directory_ == nullptr) {
    return absl::FailedPreconditionError(StrCat("no jwks_uri for issuer \"", issuer.issuer, "\""));
  }
  auto metadata = directory_->Lookup(issuer.issuer);
  if (!metadata.ok()) return metadata.status();
  if ((*metadata)->jwks_uri.empty()) {
    return absl::FailedPreconditionError(
        StrCat("authorization server \"", issuer.issuer, "\" publishes no jwks_uri"));
  }
  return (*metadata)->jwks_uri;
}

ValidationResult TokenValidator::Validate(const ValidationInput& input) {
  if (input.token.empty()) return Invalid(v1::REASON_TOKEN_MISSING);
  if (input.token.size() > options_.max_token_bytes) return Invalid(v1::REASON_TOKEN_TOO_LARGE);
  // A proof ends at the replay store; when that is Redis, the whole call waits on it.
  if (!input.may_wait && !input.dpop.proof.empty() && dpop_->replay_store()->waits()) return MustWait();
  const absl::Time now = clock_->Now();

  PendingDpop dpop;
  ValidationResult result = ValidationResult::MustWait();
  if (Reason r = dpop_->Precheck(input.scheme, input.dpop, input.token, now, dpop); r != v1::REASON_OK) {
    result = Invalid(r);
  } else {
    result = ValidateToken(input, now, dpop);
    if (result.must_wait()) return result;
    if (result.valid()) {
      // The token is genuine (or was, when the cache answered); the proof must
      // now be too, on every request.
      const JwtClaims& claims = result.token()->claims;
      const std::string owner = StrCat(result.token()->issuer->issuer, "\n", claims.subject.value_or(""), "\n",
                                       claims.subject ? "" : claims.client_id.value_or(""));
      absl::StatusOr<Reason> completed = dpop_->Complete(dpop, owner);
      if (!completed.ok()) {
        result = CouldNotDecide(completed.status());
      } else if (*completed != v1::REASON_OK) {
        result = ValidationResult::Decided(*completed, nullptr, result.cached());
      }
    }
  }
  result.dpop_proof_checked = dpop.proof.has_value();
  if (result.decided()) result.dpop_nonce = dpop_->NonceFor(dpop, result.reason());
  return result;
}

ValidationResult TokenValidator::ValidateToken(const ValidationInput& input, absl::Time now,
                                               const PendingDpop& dpop) {
  std::vector<std::string> scratch;

  if (std::shared_ptr<const VerifiedToken> hit = cache_ ? cache_->Find(input.token) : nullptr) {
    if (metrics_) metrics_->CountCache("token", "hit");
    Reason reason = CheckTimes(hit->claims, now, hit->issuer->leeway);
    if (reason == v1::REASON_OK) reason = CheckAudience(hit->claims, AcceptedAudiences(*hit->issuer, input, scratch));
    if (reason == v1::REASON_OK) reason = dpop_->CheckBinding(dpop, hit->claims.confirmation_jkt);
    return ValidationResult::Decided(reason, std::move(hit), /*cached=*/true);
  }
  ValidationResult result = ValidateUncached(input, now, dpop);
  if (metrics_ && cache_ && !result.must_wait()) metrics_->CountCache("token", "miss");
  return result;
}

ValidationResult TokenValidator::ValidateUncached(const ValidationInput& input, absl::Time now,
                                                  const PendingDpop& dpop) {
  if (introspector_ != nullptr && LooksOpaque(input.token)) return ValidateOpaque(input, now, dpop);
  std::vector<std::string> scratch;
  ParsedJws jws;
  if (Reason r = ParseCompactJws(input.token, jws); r != v1::REASON_OK) return Invalid(r);
  if (!IsAccessTokenTyp(jws.typ)) return Invalid(v1::REASON_TYP_INVALID);
  auto verified = std::make_shared<VerifiedToken>();
  if (Reason r = ParseJwtClaims(jws.payload, verified->claims); r != v1::REASON_OK) return Invalid(r);
  const JwtClaims& claims = verified->claims;
  if (!claims.issuer) return Invalid(v1::REASON_ISSUER_MISSING);
  const TrustedIssuer* issuer = issuers_->Find(*claims.issuer);
  if (issuer == nullptr) return Invalid(v1::REASON_ISSUER_UNKNOWN);
  if (!issuer->Allows(jws.alg)) return Invalid(v1::REASON_ALG_NOT_ALLOWED);
  if (Reason r = CheckTimes(claims, now, issuer->leeway); r != v1::REASON_OK) return Invalid(r);
  if (Reason r = CheckAudience(claims, AcceptedAudiences(*issuer, input, scratch)); r != v1::REASON_OK) {
    return Invalid(r);
  }
  // Refutes only: the claims are not trusted until the signature below verifies.
  if (Reason r = dpop_->CheckBinding(dpop, claims.confirmation_jkt); r != v1::REASON_OK) return Invalid(r);

  ValidationResult signature = VerifyWithIssuerKeys(*issuer, jws, input.may_wait);
  if (signature.reason() != v1::REASON_OK) return signature;  // refused, undecidable or must wait

  verified->issuer = issuer;
  verified->claims_json = std::move(jws.payload);
  if (cache_) {
    const absl::Time exp = absl::FromUnixMicros(static_cast<int64_t>(*claims.expires_at * 1e6));
    cache_->Insert(input.token, verified, std::min(exp + issuer->leeway, now + options_.token_cache_ttl));
  }
  return ValidationResult::Decided(v1::REASON_OK, std::move(verified));
}

ValidationResult TokenValidator::ValidateOpaque(const ValidationInput& input, absl::Time now,
                                                const PendingDpop& dpop) {
  if (Reason refused = introspector_->RememberedRefusal(input.token); refused != v1::REASON_UNSPECIFIED) {
    return Invalid(refused);
  }
  if (!input.may_wait) return MustWait();
  absl::StatusOr<IntrospectionAnswer> answer = introspector_->Introspect(input.token);
  if (!answer.ok()) return CouldNotDecide(answer.status());
  if (answer->reason != v1::REASON_OK) return Invalid(answer->reason);
  const TrustedIssuer& issuer = introspector_->issuer();
  const JwtClaims& claims = answer->token->claims;
  std::vector<std::string> scratch;
  if (Reason r = CheckTimes(claims, now, issuer.leeway); r != v1::REASON_OK) return Invalid(r);
  if (Reason r = CheckAudience(claims, AcceptedAudiences(issuer, input, scratch)); r != v1::REASON_OK) {
    return Invalid(r);
  }
  if (Reason r = dpop_->CheckBinding(dpop, claims.confirmation_jkt); r != v1::REASON_OK) return Invalid(r);
  if (cache_) {
    cache_->Insert(input.token, answer->token,
                   std::min(answer->token->introspected_until, now + options_.token_cache_ttl));
  }
  return ValidationResult::Decided(v1::REASON_OK, std::move(answer->token));
}

std::shared_ptr<const KeySet> TokenValidator::KeysAtHand(const TrustedIssuer& issuer) {
  if (!issuer.jwks_source.empty()) return jwks_->FreshKeys(issuer.jwks_source);
  if (directory_ == nullptr) return nullptr;
  std::shared_ptr<const AuthorizationServerMetadata> metadata = directory_->FindFresh(issuer.issuer);
  if (!metadata || metadata->jwks_uri.empty()) return nullptr;
  return jwks_->FreshKeys(metadata->jwks_uri);
}

ValidationResult TokenValidator::VerifyWithIssuerKeys(const TrustedIssuer& issuer, const ParsedJws& jws,
                                                      bool may_wait) {
  absl::StatusOr<std::string> source;
  absl::StatusOr<std::shared_ptr<const KeySet>> keys;
  if (may_wait) {
    source = KeySource(issuer);
    if (!source.ok()) return CouldNotDecide(source.status());
    keys = jwks_->KeysFor(*source);
    if (!keys.ok()) return CouldNotDecide(keys.status());
  } else {
    keys = KeysAtHand(issuer);
    if (*keys == nullptr) return MustWait();
  }

  std::vector<const Jwk*> candidates;
  if (jws.kid) {
    candidates = (*keys)->WithKid(*jws.kid);
    if (candidates.empty()) {
      if (!may_wait) return MustWait();
      keys = jwks_->RefreshForUnknownKid(*source, *jws.kid);
      if (!keys.ok()) return CouldNotDecide(keys.status());
      candidates = (*keys)->WithKid(*jws.kid);
      if (candidates.empty()) return Invalid(v1::REASON_KID_UNKNOWN);
    }
    // The set shares no kid between keys, so this is the one key the kid names.
    return Invalid(VerifySignature(*jws.alg, *candidates.front(), jws.signing_input, jws.signature));
  }
  // No kid: every key of the issuer that fits the algorithm may have signed it.
  Reason last = v1::REASON_NO_MATCHING_KEY;
  for (const auto& key : (*keys)->keys) {
    if (!key->UsableWith(*jws.alg)) continue;
    last = VerifySignature(*jws.alg, *key, jws.signing_input, jws.signature);
    if (last == v1::REASON_OK || last == v1::REASON_SIGNATURE_MALFORMED) break;
  }
  return Invalid(last);
}

void TokenValidator::Prefetch() {
  for (const auto& issuer : issuers_->issuers()) {
    auto source = KeySource(*issuer);
    if (!source.ok()) {
      log::Warn("cannot find keys for issuer yet; will retry on demand",
                {{"issuer", issuer->issuer}, {"error", std::string(source.status().message())}});
      continue;
    }
    (void)jwks_->KeysFor(*source);
  }
}

}  // namespace mcpauth::tv
