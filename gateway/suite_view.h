// What the gateway keeps of scope-policy and metadata: the policy in force and the
// metadata snapshot, each a current copy kept by a background watch stream, so the
// request path evaluates them in process (one gRPC call per request at most: token
// validation). Until a service answers, copies built from the gateway's own config
// are used (the same libraries build them), when the config holds what they need.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "services/common/suite_config.h"
#include "services/metadata/snapshot.h"
#include "services/scope_policy/policy.h"

namespace mcpauth::gw {

class SuiteView {
 public:
  explicit SuiteView(const SuiteConfig& config);
  ~SuiteView();

  // Starts the watch streams (reconnecting with backoff until Stop).
  void Start(std::shared_ptr<grpc::Channel> scope_policy, std::shared_ptr<grpc::Channel> metadata);
  void Stop();

  std::shared_ptr<const sp::CompiledPolicy> policy() const { return policy_.load(); }
  std::shared_ptr<const metadata::MetadataSnapshot> metadata() const { return metadata_.load(); }
  uint64_t policy_version() const { return policy_version_.load(); }
  bool ready() const { return policy() != nullptr && metadata() != nullptr; }

  // For tests: install copies directly.
  void SetPolicy(std::shared_ptr<const sp::CompiledPolicy> policy, uint64_t version);
  void SetMetadata(std::shared_ptr<const metadata::MetadataSnapshot> snapshot);

 private:
  void WatchPolicy(std::shared_ptr<grpc::Channel> channel);
  void WatchMetadata(std::shared_ptr<grpc::Channel> channel);
  // Keeps one server stream open (reopening it with backoff) until Stop, handing
  // every message to `on_message`. `open(context)` starts the stream.
  template <typename Message, typename Open, typename OnMessage>
  void KeepWatching(Open open, OnMessage on_message);
  // Sleeps `d` unless Stop() comes first; false when stopping.
  bool Pause(absl::Duration d);

  std::atomic<std::shared_ptr<const sp::CompiledPolicy>> policy_;
  std::atomic<std::shared_ptr<const metadata::MetadataSnapshot>> metadata_;
  std::atomic<uint64_t> policy_version_{0};

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::vector<grpc::ClientContext*> live_;  // streams to cancel on Stop
  std::thread policy_thread_, metadata_thread_;
};

}  // namespace mcpauth::gw
