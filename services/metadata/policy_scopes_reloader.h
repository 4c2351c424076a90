// With `policy_file`, the server-level required scopes — the scope parameter of
// challenges, and scopes_supported unless metadata.scopes_supported pins it — come
// from that file, and follow it as scope-policy does: it is polled (FileWatcher:
// content hash, symlinks resolved on every read, a change reported once settled),
// and a change to its required scopes becomes a new snapshot (watchers are sent
// it). A file that stops parsing or cannot be read leaves the last good scopes in
// force, logged once and counted. Tick() is the whole step, on the watcher's
// injected clock, so tests call it directly; Start() runs it on a thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "services/common/file_watcher.h"
#include "services/common/suite_config.h"
#include "services/metadata/md_metrics.h"
#include "services/metadata/service.h"
#include "services/metadata/snapshot.h"

namespace mcpauth::metadata {

class PolicyScopesReloader {
 public:
  enum class Outcome {
    kNotDue,      // not time to look yet
    kUnchanged,   // same content, or new content with the same required scopes
    kSettling,    // new content, waiting one interval to see it unchanged
    kReloaded,    // a new snapshot was made
    kRefused,     // new content that does not parse; the old scopes stay
    kUnreadable,  // the file cannot be read; the old scopes stay
  };

  // `config.policy_file` must be set. `metrics` may be null.
  PolicyScopesReloader(SuiteConfig config, MetadataMetrics* metrics, FileWatcherOptions options = {},
                       const Clock* clock = SystemClock::Get());
  ~PolicyScopesReloader();  // Stop()
  PolicyScopesReloader(const PolicyScopesReloader&) = delete;
  PolicyScopesReloader& operator=(const PolicyScopesReloader&) = delete;

  // The start-up read: the snapshot for the file as it is now. Throws ConfigError
  // naming policy_file when it cannot be read or parsed.
  MetadataSnapshot Initial();
  // One poll. kReloaded leaves the new snapshot in `snapshot`.
  Outcome Tick(std::optional<MetadataSnapshot>& snapshot);

  // Ticks every `period` (real time) on a thread, handing new snapshots to `service`.
  void Start(MetadataService* service, absl::Duration period);
  void Stop();

  const std::vector<std::string>& required_scopes() const { return required_scopes_; }

 private:
  SuiteConfig config_;
  MetadataMetrics* metrics_;
  FileWatcher watcher_;
  std::vector<std::string> required_scopes_;
  std::string unreadable_error_;  // the read error last reported (logged once per distinct error)

  std::mutex mu_;
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace mcpauth::metadata
