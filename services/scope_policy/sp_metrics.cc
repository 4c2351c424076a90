#include "services/scope_policy/sp_metrics.h"

namespace mcpauth::sp {
namespace {

constexpr const char* kMethodLabels[] = {"tools/call", "resources/read", "resources/subscribe",
                                         "resources/unsubscribe", "prompts/get", "other"};
constexpr const char* kReasonLabels[] = {"allowed", "server_scopes_missing", "target_scopes_missing",
                                         "unknown_tool", "target_invalid"};
constexpr const char* kKindLabels[] = {"tools", "resources", "prompts", "resource_templates"};

size_t MethodIndex(std::string_view method) {
  for (size_t i = 0; i + 1 < std::size(kMethodLabels); ++i) {
    if (method == kMethodLabels[i]) return i;
  }
  return std::size(kMethodLabels) - 1;
}

size_t ReasonIndex(DecisionReason reason) {
  switch (reason) {
    case DecisionReason::kAllowed: return 0;
    case DecisionReason::kServerScopesMissing: return 1;
    case DecisionReason::kTargetScopesMissing: return 2;
    case DecisionReason::kUnknownTool: return 3;
    case DecisionReason::kTargetInvalid: return 4;
  }
  return 0;
}

size_t KindIndex(ListKind kind) {
  switch (kind) {
    case ListKind::kTools: return 0;
    case ListKind::kResources: return 1;
    case ListKind::kPrompts: return 2;
    case ListKind::kResourceTemplates: return 3;
  }
  return 0;
}

}  // namespace

ScopePolicyMetrics::ScopePolicyMetrics(prometheus::Registry& registry) {
  auto& decisions = prometheus::BuildCounter()
                        .Name("mcpauth_policy_decisions_total")
                        .Help("Authorize decisions, by MCP method and result")
                        .Register(registry);
  for (size_t m = 0; m < kMethods; ++m) {
    for (size_t r = 0; r < kReasons; ++r) {
      decisions_[m][r] = &decisions.Add({{"method", kMethodLabels[m]}, {"result", kReasonLabels[r]}});
    }
  }
  auto& duration = prometheus::BuildHistogram()
                       .Name("mcpauth_policy_decision_duration_seconds")
                       .Help("Time to answer Authorize and FilterList, inside the service")
                       .Register(registry);
  authorize_duration_ = &duration.Add({{"rpc", "authorize"}}, LatencyBuckets());
  filter_duration_ = &duration.Add({{"rpc", "filter_list"}}, LatencyBuckets());
  auto& items = prometheus::BuildCounter()
                    .Name("mcpauth_policy_list_items_total")
                    .Help("Items offered to FilterList, by kind and whether they were kept")
                    .Register(registry);
  for (size_t k = 0; k < list_items_.size(); ++k) {
    list_items_[k][0] = &items.Add({{"kind", kKindLabels[k]}, {"result", "allowed"}});
    list_items_[k][1] = &items.Add({{"kind", kKindLabels[k]}, {"result", "filtered"}});
  }
  auto& reloads = prometheus::BuildCounter()
                      .Name("mcpauth_policy_reloads_total")
                      .Help("Policy file reloads, by result (success, invalid: refused, unreadable)")
                      .Register(registry);
  reloads_[0] = &reloads.Add({{"result", "success"}});
  reloads_[1] = &reloads.Add({{"result", "invalid"}});
  reloads_[2] = &reloads.Add({{"result", "unreadable"}});
  version_ = &prometheus::BuildGauge()
                  .Name("mcpauth_policy_version")
                  .Help("Version of the policy in force (1 at start, +1 per successful reload)")
                  .Register(registry)
                  .Add({});
  loaded_at_ = &prometheus::BuildGauge()
                    .Name("mcpauth_policy_loaded_timestamp_seconds")
                    .Help("When the policy in force was loaded (Unix time)")
                    .Register(registry)
                    .Add({});
  auto& rules = prometheus::BuildGauge()
                    .Name("mcpauth_policy_rules")
                    .Help("Rules in the policy in force, by kind")
                    .Register(registry);
  for (size_t k = 0; k < 3; ++k) rules_[k] = &rules.Add({{"kind", kKindLabels[k]}});
  watch_streams_ = &prometheus::BuildGauge()
                        .Name("mcpauth_policy_watch_streams")
                        .Help("Open WatchPolicy streams")
                        .Register(registry)
                        .Add({});
}

void ScopePolicyMetrics::CountDecision(std::string_view method, DecisionReason reason, double seconds) {
  decisions_[MethodIndex(method)][ReasonIndex(reason)]->Increment();
  authorize_duration_->Observe(seconds);
}

void ScopePolicyMetrics::CountListFilter(ListKind kind, size_t offered, size_t allowed, double seconds) {
  list_items_[KindIndex(kind)][0]->Increment(static_cast<double>(allowed));
  list_items_[KindIndex(kind)][1]->Increment(static_cast<double>(offered - allowed));
  filter_duration_->Observe(seconds);
}

void ScopePolicyMetrics::CountReload(ReloadResult result) {
  reloads_[static_cast<size_t>(result)]->Increment();
}

void ScopePolicyMetrics::SetPolicy(const PublishedPolicy& published) {
  version_->Set(static_cast<double>(published.version));
  loaded_at_->Set(absl::ToDoubleSeconds(published.loaded_at - absl::UnixEpoch()));
  rules_[0]->Set(static_cast<double>(published.policy->rules(TargetKind::kTool).size()));
  rules_[1]->Set(static_cast<double>(published.policy->rules(TargetKind::kResource).size()));
  rules_[2]->Set(static_cast<double>(published.policy->rules(TargetKind::kPrompt).size()));
}

}  // namespace mcpauth::sp
