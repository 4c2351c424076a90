// Prometheus plumbing shared by every service: one registry per process, served on
// the service's `metrics_listen` address.
#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"

namespace mcpauth {

class MetricsEndpoint {
 public:
  // Serves `registry` at http://<listen>/metrics. An empty `listen` serves nothing.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& listen, std::shared_ptr<prometheus::Registry> registry);

 private:
  explicit MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer)
      : exposer_(std::move(exposer)) {}
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// mcpauth_cache_requests_total{cache,result}: every cache in a process counts into
// this one family (result: hit, miss, stale, negative, shared_hit).
prometheus::Family<prometheus::Counter>& CacheRequestsFamily(prometheus::Registry& registry);

// Latency buckets in seconds, from 25 µs to 10 s: fine enough for in-process
// decisions, wide enough for network fetches.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

}  // namespace mcpauth
