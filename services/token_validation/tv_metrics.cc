#include "services/common/strings.h"
#include "services/token_validation/tv_metrics.h"


namespace mcpauth::tv {

TokenValidationMetrics::TokenValidationMetrics(prometheus::Registry& registry)
    : validations_(prometheus::BuildCounter()
                       .Name("mcpauth_token_validations_total")
                       .Help("Token validations, by result (valid, invalid, error) and reason")
                       .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("mcpauth_token_validation_duration_seconds")
                    .Help("Time to answer a validation, by whether the token cache answered")
                    .Register(registry)),
      cache_(CacheRequestsFamily(registry)),
      jwks_fetches_(prometheus::BuildCounter()
                        .Name("mcpauth_jwks_fetches_total")
                        .Help("JWKS loads from their source, by source and result")
                        .Register(registry)),
      unknown_kid_(prometheus::BuildCounter()
                       .Name("mcpauth_jwks_unknown_kid_total")
                       .Help("Tokens naming a kid missing from the cached key set, by outcome")
                       .Register(registry)),
      jwks_keys_(prometheus::BuildGauge()
                     .Name("mcpauth_jwks_keys")
                     .Help("Usable keys in the cached key set, by source")
                     .Register(registry)),
      dpop_proofs_(prometheus::BuildCounter()
                       .Name("mcpauth_dpop_proofs_total")
                       .Help("DPoP proofs judged, by result (valid, invalid, error, not_checked) and reason")
                       .Register(registry)),
      introspections_(prometheus::BuildCounter()
                          .Name("mcpauth_token_introspections_total")
                          .Help("Calls to the RFC 7662 introspection endpoint, by result (active, inactive, "
                                "refused, error)")
                          .Register(registry)) {
  introspection_duration_ = &prometheus::BuildHistogram()
                                 .Name("mcpauth_token_introspection_duration_seconds")
                                 .Help("Time to ask the introspection endpoint about one token")
                                 .Register(registry)
                                 .Add({}, LatencyBuckets());
  for (const char* result : {"active", "inactive", "refused", "error"}) introspections_.Add({{"result", result}});
  duration_cached_ = &duration_.Add({{"cached", "true"}}, LatencyBuckets());
  duration_uncached_ = &duration_.Add({{"cached", "false"}}, LatencyBuckets());
  const auto* descriptor = v1::Reason_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const int number = descriptor->value(i)->number();
    if (number <= 0 || number >= static_cast<int>(by_reason_.size())) continue;
    const auto reason = static_cast<Reason>(number);
    by_reason_[number] = &validations_.Add(
        {{"result", reason == v1::REASON_OK ? "valid" : "invalid"},
         {"reason", AsciiLower(ReasonLabel(reason))}});
  }
  could_not_decide_ = &validations_.Add({{"result", "error"}, {"reason", "could_not_decide"}});

  for (int i = 0; i < descriptor->value_count(); ++i) {
    const int number = descriptor->value(i)->number();
    const auto reason = static_cast<Reason>(number);
    if (reason != v1::REASON_OK && !IsDpopReason(reason)) continue;
    if (number <= 0 || number >= static_cast<int>(dpop_by_reason_.size())) continue;
    dpop_by_reason_[number] = &dpop_proofs_.Add(
        {{"result", reason == v1::REASON_OK ? "valid" : "invalid"}, {"reason", AsciiLower(ReasonLabel(reason))}});
  }
  dpop_error_ = &dpop_proofs_.Add({{"result", "error"}, {"reason", "could_not_decide"}});
  dpop_not_checked_ = &dpop_proofs_.Add({{"result", "not_checked"}, {"reason", "token_invalid"}});
  waited_ = &prometheus::BuildCounter()
                  .Name("mcpauth_token_validations_waited_total")
                  .Help("Validations that waited on the network or Redis (keys, discovery, the DPoP replay "
                        "store), run on the blocking pool instead of the gRPC thread")
                  .Register(registry)
                  .Add({});
  dpop_replays_ = &prometheus::BuildCounter()
                       .Name("mcpauth_dpop_replays_refused_total")
                       .Help("DPoP proofs refused because their (jkt, jti) had been used before")
                       .Register(registry)
                       .Add({});
  auto& nonces = prometheus::BuildCounter()
                     .Name("mcpauth_dpop_nonces_issued_total")
                     .Help("DPoP-Nonce values handed out, by kind (challenge: with use_dpop_nonce; refresh: "
                           "on other answers)")
                     .Register(registry);
  dpop_nonce_challenges_ = &nonces.Add({{"kind", "challenge"}});
  dpop_nonce_refreshes_ = &nonces.Add({{"kind", "refresh"}});
}

void TokenValidationMetrics::CountDpop(bool proof_checked, Reason reason, bool could_not_decide,
                                       bool nonce_issued) {
  if (nonce_issued) {
    (reason == v1::REASON_DPOP_NONCE_REQUIRED ? dpop_nonce_challenges_ : dpop_nonce_refreshes_)->Increment();
  }
  if (could_not_decide) {
    if (proof_checked) dpop_error_->Increment();
    return;
  }
  if (reason == v1::REASON_DPOP_REPLAYED) dpop_replays_->Increment();
  const bool dpop_reason = IsDpopReason(reason);
  if (!proof_checked && !dpop_reason) return;
  if (reason != v1::REASON_OK && !dpop_reason) {
    dpop_not_checked_->Increment();
    return;
  }
  if (reason > 0 && static_cast<size_t>(reason) < dpop_by_reason_.size() && dpop_by_reason_[reason] != nullptr) {
    dpop_by_reason_[reason]->Increment();
  }
}

void TokenValidationMetrics::CountValidation(Reason reason, bool could_not_decide, bool cached,
                                             double seconds) {
  prometheus::Counter* counter = could_not_decide_;
  if (!could_not_decide && reason > 0 && static_cast<size_t>(reason) < by_reason_.size() &&
      by_reason_[reason] != nullptr) {
    counter = by_reason_[reason];
  }
  counter->Increment();
  (cached ? duration_cached_ : duration_uncached_)->Observe(seconds);
}

void TokenValidationMetrics::CountIntrospection(const char* result, double seconds) {
  introspections_.Add({{"result", result}}).Increment();
  introspection_duration_->Observe(seconds);
}

void TokenValidationMetrics::CountCache(const char* cache, const char* result) {
  cache_.Add({{"cache", cache}, {"result", result}}).Increment();
}

void TokenValidationMetrics::CountJwksFetch(const std::string& source, const char* result) {
  jwks_fetches_.Add({{"source", source}, {"result", result}}).Increment();
}

void TokenValidationMetrics::CountUnknownKid(const char* outcome) {
  unknown_kid_.Add({{"outcome", outcome}}).Increment();
}

void TokenValidationMetrics::SetJwksKeys(const std::string& source, size_t keys) {
  jwks_keys_.Add({{"source", source}}).Set(static_cast<double>(keys));
}

}  // namespace mcpauth::tv
