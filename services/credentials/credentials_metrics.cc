#include "services/credentials/credentials_metrics.h"

namespace mcpauth::credentials {

CredentialsMetrics::CredentialsMetrics(prometheus::Registry& registry)
    : egress_(prometheus::BuildCounter()
                  .Name("mcpauth_credentials_egress_total")
                  .Help("Calls through the egress port, by result (ok, or why refused or failed)")
                  .Register(registry)),
      operations_(prometheus::BuildCounter()
                      .Name("mcpauth_credentials_operations_total")
                      .Help("Store, list and revoke calls, by operation and result (ok, invalid, error)")
                      .Register(registry)) {
  egress_duration_ = &prometheus::BuildHistogram()
                          .Name("mcpauth_credentials_egress_duration_seconds")
                          .Help("Time to answer an egress call, the third party's time included")
                          .Register(registry)
                          .Add({}, LatencyBuckets());
  echoes_ = &prometheus::BuildCounter()
                 .Name("mcpauth_credentials_secret_echoes_total")
                 .Help("Third-party answers that held the secret, redacted before the MCP server saw them")
                 .Register(registry)
                 .Add({});
  for (const char* result : {"ok", "grant_missing", "grant_invalid", "grant_expired", "grant_used_up",
                             "unknown_handle", "not_owner", "not_for_resource", "credential_expired", "host_not_allowed", "bad_request",
                             "upstream_error", "store_error"}) {
    egress_.Add({{"result", result}});
  }
}

void CredentialsMetrics::CountEgress(const std::string& result, double seconds) {
  egress_.Add({{"result", result}}).Increment();
  egress_duration_->Observe(seconds);
}

void CredentialsMetrics::CountOperation(const char* operation, const char* result) {
  operations_.Add({{"operation", operation}, {"result", result}}).Increment();
}

}  // namespace mcpauth::credentials
