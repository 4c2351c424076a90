// What the gateway keeps of the suite: the policy in force and the metadata snapshot
// built with that policy's server-level scopes, as one immutable Suite swapped
// whole, so a request never sees a policy with another policy's challenge scopes.
// Both come from one versioned stream — scope-policy's WatchPolicy — and the
// gateway's own configuration (every service reads the same file); the request path
// evaluates them in process (one gRPC call per request at most: token validation).
// When the main file holds the policy, the view is ready before scope-policy answers.
#pragma once

#include <atomic>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "services/common/suite_config.h"
#include "services/metadata/snapshot.h"
#include "services/scope_policy/policy.h"
#include "services/scope_policy/policy_follower.h"

namespace mcpauth::gw {

struct Suite {
  std::shared_ptr<const sp::CompiledPolicy> policy;
  uint64_t policy_version = 0;  // scope-policy's version; 0 for the local copy
  std::shared_ptr<const metadata::MetadataSnapshot> metadata;
};

class SuiteView {
 public:
  // Throws ConfigError naming the key when the configuration cannot make a snapshot.
  explicit SuiteView(SuiteConfig config);
  ~SuiteView();

  // Follows scope-policy's WatchPolicy stream until Stop.
  void Start(std::shared_ptr<grpc::Channel> scope_policy);
  void Stop();

  // Null until a policy is known.
  std::shared_ptr<const Suite> current() const { return suite_.load(); }
  bool ready() const { return current() != nullptr; }
  std::shared_ptr<const sp::CompiledPolicy> policy() const;
  std::shared_ptr<const metadata::MetadataSnapshot> metadata() const;
  uint64_t policy_version() const;

  // Compiles `policy` and builds the metadata snapshot with its server-level scopes;
  // on success both replace the ones in force together. An error leaves them.
  absl::Status Install(const v1::Policy& policy, uint64_t version);

 private:
  const SuiteConfig config_;
  std::atomic<std::shared_ptr<const Suite>> suite_;
  sp::PolicyFollower follower_;
};

}  // namespace mcpauth::gw
