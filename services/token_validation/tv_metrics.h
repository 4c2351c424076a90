// Every cache and fetch in token-validation is counted; operators debug from these.
#pragma once

#include <array>
#include <string>

#include "services/common/metrics.h"
#include "services/token_validation/reason.h"

namespace mcpauth::tv {

class TokenValidationMetrics {
 public:
  explicit TokenValidationMetrics(prometheus::Registry& registry);

  // result: "valid" | "invalid" | "error" (could not decide).
  void CountValidation(Reason reason, bool could_not_decide, bool cached, double seconds);
  // cache: "token" | "jwks"; result: "hit" | "miss" | "stale" | "negative" | "shared_hit".
  void CountCache(const char* cache, const char* result);
  // result: "success" | "failure" | "rejected" (fetched, but not a usable key set).
  void CountJwksFetch(const std::string& source, const char* result);
  // outcome: "refetched" | "debounced" | "found_after_refetch".
  void CountUnknownKid(const char* outcome);
  void SetJwksKeys(const std::string& source, size_t keys);
  // One validation as DPoP saw it. Proofs are counted when one was examined or
  // the outcome is a DPoP reason: mcpauth_dpop_proofs_total{result, reason} with
  // result "valid" (reason ok), "invalid" (a DPoP reason), "error" (could not
  // decide: the replay store did not answer) or "not_checked" (the token failed
  // first; reason "token_invalid"). A replay also counts into
  // mcpauth_dpop_replays_refused_total, and an answer carrying a nonce into
  // mcpauth_dpop_nonces_issued_total{kind}: "challenge" with use_dpop_nonce,
  // "refresh" otherwise.
  void CountDpop(bool proof_checked, Reason reason, bool could_not_decide, bool nonce_issued);
  // A call that had to wait on the network or Redis, so it left gRPC's thread for
  // the blocking pool: mcpauth_token_validations_waited_total.
  void CountWaited() { waited_->Increment(); }
  // One call to the RFC 7662 introspection endpoint: mcpauth_token_introspections_total
  // {result}: "active", "inactive", "refused" (active, but not usable: another kind of
  // token, another issuer, a malformed claim) or "error" (not asked or not
  // answered usably), and its duration.
  void CountIntrospection(const char* result, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& validations_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& cache_;
  prometheus::Family<prometheus::Counter>& jwks_fetches_;
  prometheus::Family<prometheus::Counter>& unknown_kid_;
  prometheus::Family<prometheus::Gauge>& jwks_keys_;
  prometheus::Histogram* duration_cached_;
  prometheus::Histogram* duration_uncached_;
  // Pre-registered per reason so the hot path does no label lookups.
  std::array<prometheus::Counter*, 128> by_reason_{};
  prometheus::Counter* could_not_decide_;
  prometheus::Family<prometheus::Counter>& dpop_proofs_;
  std::array<prometheus::Counter*, 128> dpop_by_reason_{};  // ok and the DPoP reasons
  prometheus::Counter* dpop_error_;
  prometheus::Counter* dpop_not_checked_;
  prometheus::Counter* dpop_replays_;
  prometheus::Counter* dpop_nonce_challenges_;
  prometheus::Counter* dpop_nonce_refreshes_;
  prometheus::Counter* waited_;
  prometheus::Family<prometheus::Counter>& introspections_;
  prometheus::Histogram* introspection_duration_;
};

}  // namespace mcpauth::tv
