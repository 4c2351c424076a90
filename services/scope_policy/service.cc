#include "services/scope_policy/service.h"

#include <chrono>

#include "services/common/grpc_server.h"
#include "services/common/strings.h"
#include "services/scope_policy/decision.h"

namespace mcpauth::sp {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<std::string_view> Views(const v1::Principal& principal) {
  return std::vector<std::string_view>(principal.scopes().begin(), principal.scopes().end());
}

void FillAuthorizeResponse(const Decision& d, v1::AuthorizeResponse* response) {
  response->set_allowed(d.allowed);
  response->set_reason(d.reason);
  response->set_target_kind(d.target_kind);
  response->set_matched_rule(d.matched_rule);
  response->mutable_required_scopes()->Assign(d.required_scopes.begin(), d.required_scopes.end());
  response->mutable_missing_scopes()->Assign(d.missing_scopes.begin(), d.missing_scopes.end());
  response->set_message(d.message);
  response->set_challenge_scope(d.challenge_scope);
}

}  // namespace

grpc::Status ScopePolicyService::Authorize(grpc::ServerContext*, const v1::AuthorizeRequest* request,
                                           v1::AuthorizeResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  if (request->method().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "method is required");
  if (TargetKindOf(request->method()) != v1::TARGET_KIND_NONE && request->target().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, StrCat("target is required for ", request->method()));
  }
  const std::shared_ptr<const PublishedPolicy> current = store_->Current();
  const std::vector<std::string_view> scopes = Views(request->principal());
  const Decision decision =
      Decide(*current->policy, scopes, request->anonymous(), request->method(), request->target());
  FillAuthorizeResponse(decision, response);
  response->set_policy_version(current->version);
  if (metrics_ != nullptr) metrics_->CountDecision(request->method(), decision.reason, SecondsSince(start));
  return grpc::Status::OK;
}

grpc::Status ScopePolicyService::FilterList(grpc::ServerContext*, const v1::FilterListRequest* request,
                                            v1::FilterListResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  const std::string_view method = ListItemMethod(request->kind());
  if (method.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "kind is required");
  const std::shared_ptr<const PublishedPolicy> current = store_->Current();
  response->set_policy_version(current->version);
  const bool filter = current->policy->list_filtering() || request->always_filter();
  response->set_filtered(filter);
  if (!filter) {
    *response->mutable_allowed_names() = request->names();
    return grpc::Status::OK;
  }
  const std::vector<std::string_view> scopes = Views(request->principal());
  for (const std::string& name : request->names()) {
    if (IsAllowed(*current->policy, scopes, request->anonymous(), method, name)) response->add_allowed_names(name);
  }
  if (metrics_ != nullptr) {
    metrics_->CountListFilter(request->kind(), request->names_size(), response->allowed_names_size(), SecondsSince(start));
  }
  return grpc::Status::OK;
}

grpc::Status ScopePolicyService::GetPolicy(grpc::ServerContext*, const v1::GetPolicyRequest*,
                                           v1::PolicySnapshot* response) {
  *response = store_->Current()->snapshot;
  return grpc::Status::OK;
}

// Sync API: the stream holds one server thread while open. It waits on the
// store's condition variable with a timeout and checks for cancellation between
// waits, so neither a departed caller nor a shutdown (which cancels every call
// once its grace period ends) is ever waited on for long.
grpc::Status ScopePolicyService::WatchPolicy(grpc::ServerContext* context, const v1::WatchPolicyRequest*,
                                             grpc::ServerWriter<v1::PolicySnapshot>* writer) {
  if (metrics_ != nullptr) metrics_->WatchStreamOpened();
  std::shared_ptr<const PublishedPolicy> current = store_->Current();
  bool open = writer->Write(current->snapshot);
  uint64_t sent = current->version;
  while (open && !context->IsCancelled() && !ShutdownRequested()) {
    current = store_->WaitForNewer(sent, options_.watch_check_interval);
    if (current->version == sent) continue;
    open = writer->Write(current->snapshot);
    sent = current->version;
  }
  if (metrics_ != nullptr) metrics_->WatchStreamClosed();
  return context->IsCancelled() ? grpc::Status::CANCELLED : grpc::Status::OK;
}

}  // namespace mcpauth::sp
