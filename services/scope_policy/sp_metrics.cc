#include "services/scope_policy/sp_metrics.h"

#include "proto/enum_label.h"

namespace mcpauth::sp {
namespace {

constexpr std::array<std::string_view, 6> kMethodLabels = [] {
  std::array<std::string_view, 6> out{};
  size_t n = 0;
  for (const McpMethod& m : kMcpMethods) {
    if (m.uses != v1::TARGET_KIND_NONE) out[n++] = m.name;
  }
  out[n] = "other";
  return out;
}();

size_t MethodIndex(std::string_view method) {
  for (size_t i = 0; i + 1 < kMethodLabels.size(); ++i) {
    if (method == kMethodLabels[i]) return i;
  }
  return kMethodLabels.size() - 1;
}

// Decision reasons and list kinds are counted under their labels (proto/enum_label.h);
// the value v sits at index v - 1 (0, UNSPECIFIED, is never counted; an
// undeclared value counts as the first).
template <typename E>
size_t IndexOf(E value, size_t size) {
  const int index = static_cast<int>(value) - 1;
  return index >= 0 && static_cast<size_t>(index) < size ? static_cast<size_t>(index) : 0;
}

template <typename E>
std::string LabelAt(size_t index) {
  return std::string(EnumLabel(static_cast<E>(index + 1)));
}

}  // namespace

ScopePolicyMetrics::ScopePolicyMetrics(prometheus::Registry& registry) {
  auto& decisions = prometheus::BuildCounter()
                        .Name("mcpauth_policy_decisions_total")
                        .Help("Authorize decisions, by MCP method and result")
                        .Register(registry);
  for (size_t m = 0; m < kMethods; ++m) {
    for (size_t r = 0; r < kReasons; ++r) {
      decisions_[m][r] = &decisions.Add({{"method", std::string(kMethodLabels[m])}, {"result", LabelAt<DecisionReason>(r)}});
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
    list_items_[k][0] = &items.Add({{"kind", LabelAt<ListKind>(k)}, {"result", "allowed"}});
    list_items_[k][1] = &items.Add({{"kind", LabelAt<ListKind>(k)}, {"result", "filtered"}});
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
  for (size_t k = 0; k < 3; ++k) rules_[k] = &rules.Add({{"kind", LabelAt<ListKind>(k)}});
  watch_streams_ = &prometheus::BuildGauge()
                        .Name("mcpauth_policy_watch_streams")
                        .Help("Open WatchPolicy streams")
                        .Register(registry)
                        .Add({});
}

void ScopePolicyMetrics::CountDecision(std::string_view method, DecisionReason reason, double seconds) {
  decisions_[MethodIndex(method)][IndexOf(reason, kReasons)]->Increment();
  authorize_duration_->Observe(seconds);
}

void ScopePolicyMetrics::CountListFilter(ListKind kind, size_t offered, size_t allowed, double seconds) {
  list_items_[IndexOf(kind, list_items_.size())][0]->Increment(static_cast<double>(allowed));
  list_items_[IndexOf(kind, list_items_.size())][1]->Increment(static_cast<double>(offered - allowed));
  filter_duration_->Observe(seconds);
}

void ScopePolicyMetrics::CountReload(ReloadResult result) {
  reloads_[static_cast<size_t>(result)]->Increment();
}

void ScopePolicyMetrics::SetPolicy(const PublishedPolicy& published) {
  version_->Set(static_cast<double>(published.version));
  loaded_at_->Set(absl::ToDoubleSeconds(published.loaded_at - absl::UnixEpoch()));
  rules_[0]->Set(static_cast<double>(published.policy->rules(v1::TARGET_KIND_TOOL).size()));
  rules_[1]->Set(static_cast<double>(published.policy->rules(v1::TARGET_KIND_RESOURCE).size()));
  rules_[2]->Set(static_cast<double>(published.policy->rules(v1::TARGET_KIND_PROMPT).size()));
}

}  // namespace mcpauth::sp
