#include "services/common/metrics.h"

#include <exception>

#include "services/common/strings.h"

namespace mcpauth {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry) {
  if (listen.empty()) return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(nullptr));
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
    exposer->RegisterCollectable(registry);
    return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(exposer)));
  } catch (const std::exception& e) {
    return absl::UnavailableError(StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
}

prometheus::Family<prometheus::Counter>& CacheRequestsFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("mcpauth_cache_requests_total")
      .Help("Cache lookups, by cache and result (hit, miss, stale, negative, shared_hit)")
      .Register(registry);
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
      0.01,     0.025,   0.05,   0.1,     0.25,   0.5,   1,     2.5,   5, 10};
  return buckets;
}

}  // namespace mcpauth
