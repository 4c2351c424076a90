#include "services/metadata/md_metrics.h"

#include "proto/enum_label.h"
#include "services/common/strings.h"

namespace mcpauth::metadata {

MetadataMetrics::MetadataMetrics(prometheus::Registry& registry, const std::vector<std::string>& resources)
    : documents_(prometheus::BuildCounter()
                     .Name("mcpauth_metadata_documents_served_total")
                     .Help("Protected resource metadata documents returned, by resource")
                     .Register(registry)),
      challenges_(prometheus::BuildCounter()
                      .Name("mcpauth_challenges_built_total")
                      .Help("WWW-Authenticate challenges built, by kind and HTTP status")
                      .Register(registry)),
      as_requests_(prometheus::BuildCounter()
                       .Name("mcpauth_metadata_authorization_server_requests_total")
                       .Help("Authorization-server metadata requests, by result (found, unknown_issuer, "
                             "unavailable)")
                       .Register(registry)),
      snapshots_(prometheus::BuildCounter()
                     .Name("mcpauth_metadata_snapshots_served_total")
                     .Help("Snapshots sent (GetSnapshot and WatchSnapshot), by result (full, unchanged)")
                     .Register(registry)),
      policy_reloads_(prometheus::BuildCounter()
                          .Name("mcpauth_metadata_policy_reloads_total")
                          .Help("Server-level scopes taken from scope-policy's policy stream, by result "
                                "(success, invalid)")
                          .Register(registry)) {
  for (const std::string& resource : resources) documents_.Add({{"resource", resource}});
  not_found_ = &prometheus::BuildCounter()
                    .Name("mcpauth_metadata_documents_not_found_total")
                    .Help("Protected resource metadata lookups that matched no document")
                    .Register(registry)
                    .Add({});
}

void MetadataMetrics::CountDocumentServed(const std::string& resource) {
  documents_.Add({{"resource", resource}}).Increment();
}

void MetadataMetrics::CountDocumentNotFound() { not_found_->Increment(); }

void MetadataMetrics::CountChallenge(ChallengeKind kind, int http_status) {
  challenges_.Add({{"kind", std::string(EnumLabel(kind))}, {"status", StrCat(http_status)}}).Increment();
}

void MetadataMetrics::CountAuthorizationServerRequest(const char* result) {
  as_requests_.Add({{"result", result}}).Increment();
}

void MetadataMetrics::CountSnapshot(bool unchanged) {
  snapshots_.Add({{"result", unchanged ? "unchanged" : "full"}}).Increment();
}

void MetadataMetrics::CountPolicyReload(const char* result) { policy_reloads_.Add({{"result", result}}).Increment(); }

}  // namespace mcpauth::metadata
