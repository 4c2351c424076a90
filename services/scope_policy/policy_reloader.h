// Hot reload of `policy_file`: polls it (FileWatcher: content hash, symlinks
// resolved on every read, so Kubernetes' ConfigMap swap is seen), compiles a
// settled change and publishes it. A change that fails validation is refused
// with one log line naming the file and the offending key, and counted; the last
// good policy stays in force. Tick() is the whole step, driven by the watcher's
// injected clock, so tests call it directly; Start() runs it on a thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "services/common/file_watcher.h"
#include "services/scope_policy/policy_store.h"
#include "services/scope_policy/sp_metrics.h"

namespace mcpauth::sp {

class PolicyReloader {
 public:
  enum class Outcome {
    kNotDue,      // not time to look yet
    kUnchanged,   // same content
    kSettling,    // new content, waiting one interval to see it unchanged
    kReloaded,    // new policy published
    kRefused,     // new content that does not validate; the old policy stays
    kUnreadable,  // the file cannot be read; the old policy stays
  };

  // `watcher` must have done its ReadInitial() (the policy `store` starts with).
  // `metrics` may be null.
  PolicyReloader(FileWatcher* watcher, PolicyStore* store, ScopePolicyMetrics* metrics);
  ~PolicyReloader();  // Stop()
  PolicyReloader(const PolicyReloader&) = delete;
  PolicyReloader& operator=(const PolicyReloader&) = delete;

  Outcome Tick();

  // Calls Tick() every `period` (real time) on a background thread.
  void Start(absl::Duration period);
  // Stops that thread promptly (it is waiting, not reading, almost always).
  void Stop();

 private:
  FileWatcher* watcher_;
  PolicyStore* store_;
  ScopePolicyMetrics* metrics_;
  // The read error last reported, so an unreadable file is logged and counted
  // once per distinct error, not once per poll.
  std::string unreadable_error_;

  std::mutex mu_;
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace mcpauth::sp
