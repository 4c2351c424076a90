// The policy in force, published as an immutable snapshot: readers take a
// shared_ptr and decide with it however long they need; a reload swaps the
// pointer. No request ever waits for a reload or sees half of one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/time/time.h"
#include "mcpauth/v1/scope_policy.pb.h"
#include "services/common/clock.h"
#include "services/scope_policy/policy.h"

namespace mcpauth::sp {

struct PublishedPolicy {
  std::shared_ptr<const CompiledPolicy> policy;
  uint64_t version = 0;  // 1 for the policy loaded at start, +1 per successful reload
  absl::Time loaded_at;
  v1::PolicySnapshot snapshot;  // what GetPolicy and WatchPolicy send
};

class PolicyStore {
 public:
  explicit PolicyStore(std::shared_ptr<const CompiledPolicy> initial, const Clock* clock = SystemClock::Get());

  std::shared_ptr<const PublishedPolicy> Current() const { return current_.load(); }
  // Makes `policy` the one in force under the next version, wakes every waiter,
  // and returns the new snapshot.
  std::shared_ptr<const PublishedPolicy> Publish(std::shared_ptr<const CompiledPolicy> policy);
  // Returns as soon as a version newer than `version` is in force, or after
  // `timeout`; the policy in force either way.
  std::shared_ptr<const PublishedPolicy> WaitForNewer(uint64_t version, absl::Duration timeout) const;

 private:
  std::shared_ptr<const PublishedPolicy> Make(std::shared_ptr<const CompiledPolicy> policy, uint64_t version) const;

  const Clock* clock_;
  std::atomic<std::shared_ptr<const PublishedPolicy>> current_;
  mutable std::mutex mu_;  // serializes Publish; pairs with changed_
  mutable std::condition_variable changed_;
};

}  // namespace mcpauth::sp
