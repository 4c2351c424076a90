// The client side of scope-policy's WatchPolicy: one stream kept open (reopened
// with backoff, 200 ms doubling to 10 s, until Stop) that hands every PolicySnapshot
// to a callback. Everything that needs the policy in force — the gateway's view,
// the metadata service's server-level scopes — follows this one versioned stream;
// nothing else reads policy_file.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "mcpauth/v1/scope_policy.pb.h"

namespace mcpauth::sp {

class PolicyFollower {
 public:
  using OnSnapshot = std::function<void(const v1::PolicySnapshot&)>;

  PolicyFollower() = default;
  ~PolicyFollower();  // Stop()
  PolicyFollower(const PolicyFollower&) = delete;
  PolicyFollower& operator=(const PolicyFollower&) = delete;

  // Starts following on a thread; `on_snapshot` runs there, one snapshot at a time.
  void Start(std::shared_ptr<grpc::Channel> scope_policy, OnSnapshot on_snapshot);
  // Cancels the stream and waits for the thread; no callback runs after it returns.
  void Stop();

 private:
  void Follow(std::shared_ptr<grpc::Channel> channel, OnSnapshot on_snapshot);
  // Sleeps `d` unless Stop() comes first; false when stopping.
  bool Pause(std::chrono::milliseconds d);

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  grpc::ClientContext* live_ = nullptr;  // the open stream, cancelled by Stop
  std::thread thread_;
};

}  // namespace mcpauth::sp
