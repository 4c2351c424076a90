// What scope-policy counts. Labels are bounded: methods outside the five that name
// a target are counted as "other", and no tool, resource or prompt name is ever a
// label value.
//
//   mcpauth_policy_decisions_total{method,result}       Authorize answers
//       result: allowed | server_scopes_missing | target_scopes_missing | unknown_tool
//   mcpauth_policy_decision_duration_seconds{rpc}       rpc: authorize | filter_list
//   mcpauth_policy_list_items_total{kind,result}        result: allowed | filtered
//   mcpauth_policy_reloads_total{result}                result: success | invalid | unreadable
//   mcpauth_policy_version                              the version in force
//   mcpauth_policy_loaded_timestamp_seconds             when it was loaded
//   mcpauth_policy_rules{kind}                          rules of the policy in force
//   mcpauth_policy_watch_streams                        open WatchPolicy streams
#pragma once

#include <array>
#include <string_view>

#include "services/common/metrics.h"
#include "services/scope_policy/decision.h"
#include "services/scope_policy/policy_store.h"

namespace mcpauth::sp {

enum class ReloadResult { kSuccess, kInvalid, kUnreadable };

class ScopePolicyMetrics {
 public:
  explicit ScopePolicyMetrics(prometheus::Registry& registry);

  void CountDecision(std::string_view method, DecisionReason reason, double seconds);
  void CountListFilter(ListKind kind, size_t offered, size_t allowed, double seconds);
  void CountReload(ReloadResult result);
  // The policy now in force.
  void SetPolicy(const PublishedPolicy& published);
  void WatchStreamOpened() { watch_streams_->Increment(); }
  void WatchStreamClosed() { watch_streams_->Decrement(); }

 private:
  static constexpr size_t kMethods = 6;  // tools/call, resources/{read,subscribe,unsubscribe}, prompts/get, other
  static constexpr size_t kReasons = 5;
  std::array<std::array<prometheus::Counter*, kReasons>, kMethods> decisions_{};
  prometheus::Histogram* authorize_duration_;
  prometheus::Histogram* filter_duration_;
  std::array<std::array<prometheus::Counter*, 2>, 4> list_items_{};  // [kind][allowed, filtered]
  std::array<prometheus::Counter*, 3> reloads_{};
  prometheus::Gauge* version_;
  prometheus::Gauge* loaded_at_;
  std::array<prometheus::Gauge*, 3> rules_{};
  prometheus::Gauge* watch_streams_;
};

}  // namespace mcpauth::sp
