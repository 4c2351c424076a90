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
};

}  // namespace mcpauth::tv
