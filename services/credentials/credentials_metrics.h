// What operators watch on mcpauth-credentials.
#pragma once

#include <string>

#include "services/common/metrics.h"

namespace mcpauth::credentials {

class CredentialsMetrics {
 public:
  explicit CredentialsMetrics(prometheus::Registry& registry);

  // mcpauth_credentials_egress_total{result}: "ok" (the third party answered, any
  // status), or why the call was refused or failed; and its duration.
  void CountEgress(const std::string& result, double seconds);
  // mcpauth_credentials_operations_total{operation, result}: store, list, revoke;
  // "ok", "invalid" (refused input) or "error" (the store failed).
  void CountOperation(const char* operation, const char* result);
  // mcpauth_credentials_secret_echoes_total: answers in which the third party sent
  // the secret back (redacted before the MCP server saw them).
  void CountEcho() { echoes_->Increment(); }

 private:
  prometheus::Family<prometheus::Counter>& egress_;
  prometheus::Histogram* egress_duration_;
  prometheus::Family<prometheus::Counter>& operations_;
  prometheus::Counter* echoes_;
};

}  // namespace mcpauth::credentials
