// mcpauth.v1.ScopePolicy over gRPC: decisions with the policy in force, list
// filtering, and the policy itself for callers that keep a copy.
#pragma once

#include "absl/time/time.h"
#include "mcpauth/v1/scope_policy.grpc.pb.h"
#include "services/scope_policy/policy_store.h"
#include "services/scope_policy/sp_metrics.h"

namespace mcpauth::sp {

struct ScopePolicyServiceOptions {
  // How often an idle WatchPolicy stream checks whether its caller went away or
  // the server is shutting down.
  absl::Duration watch_check_interval = absl::Milliseconds(500);
};

class ScopePolicyService final : public v1::ScopePolicy::Service {
 public:
  // `metrics` may be null.
  ScopePolicyService(const PolicyStore* store, ScopePolicyMetrics* metrics, ScopePolicyServiceOptions options = {})
      : store_(store), metrics_(metrics), options_(options) {}

  grpc::Status Authorize(grpc::ServerContext* context, const v1::AuthorizeRequest* request,
                         v1::AuthorizeResponse* response) override;
  grpc::Status FilterList(grpc::ServerContext* context, const v1::FilterListRequest* request,
                          v1::FilterListResponse* response) override;
  grpc::Status GetPolicy(grpc::ServerContext* context, const v1::GetPolicyRequest* request,
                         v1::PolicySnapshot* response) override;
  grpc::Status WatchPolicy(grpc::ServerContext* context, const v1::WatchPolicyRequest* request,
                           grpc::ServerWriter<v1::PolicySnapshot>* writer) override;

 private:
  const PolicyStore* store_;
  ScopePolicyMetrics* metrics_;
  ScopePolicyServiceOptions options_;
};

}  // namespace mcpauth::sp
