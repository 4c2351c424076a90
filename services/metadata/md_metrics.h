// What the metadata service counts (discovery counts itself: see discovery.h).
// Labels are bounded: resources are configured, kinds and results are enums.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "services/common/metrics.h"
#include "services/metadata/challenge.h"

namespace mcpauth::metadata {

class MetadataMetrics {
 public:
  // `resources`: the configured ones, pre-registered so a scrape shows zeros.
  MetadataMetrics(prometheus::Registry& registry, const std::vector<std::string>& resources);

  // A document returned, by its (configured) resource.
  void CountDocumentServed(const std::string& resource);
  // A lookup that found no document.
  void CountDocumentNotFound();
  void CountChallenge(ChallengeKind kind, int http_status);
  // result: "found" | "unknown_issuer" | "unavailable".
  void CountAuthorizationServerRequest(const char* result);
  void CountSnapshot(bool unchanged);
  // New server-level scopes from scope-policy's stream; result: "success" | "invalid".
  void CountPolicyReload(const char* result);

 private:
  prometheus::Family<prometheus::Counter>& documents_;
  prometheus::Family<prometheus::Counter>& challenges_;
  prometheus::Family<prometheus::Counter>& as_requests_;
  prometheus::Family<prometheus::Counter>& snapshots_;
  prometheus::Family<prometheus::Counter>& policy_reloads_;
  prometheus::Counter* not_found_;
};

}  // namespace mcpauth::metadata
