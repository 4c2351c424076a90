#include "services/metadata/policy_scopes_reloader.h"

#include <exception>

#include "services/common/log.h"
#include "services/common/strings.h"

namespace mcpauth::metadata {

PolicyScopesReloader::PolicyScopesReloader(SuiteConfig config, MetadataMetrics* metrics, FileWatcherOptions options,
                                           const Clock* clock)
    : config_(std::move(config)), metrics_(metrics), watcher_(PolicyFilePath(config_), options, clock) {}

PolicyScopesReloader::~PolicyScopesReloader() { Stop(); }

MetadataSnapshot PolicyScopesReloader::Initial() {
  auto content = watcher_.ReadInitial();
  if (!content.ok()) throw ConfigError(StrCat("policy_file: ", content.status().message()));
  auto scopes = RequiredScopesFromPolicyText(*content, watcher_.path());
  if (!scopes.ok()) throw ConfigError(StrCat("policy_file ", watcher_.path(), ": ", scopes.status().message()));
  required_scopes_ = *std::move(scopes);
  return SnapshotFromConfig(config_, required_scopes_);
}

PolicyScopesReloader::Outcome PolicyScopesReloader::Tick(std::optional<MetadataSnapshot>& snapshot) {
  snapshot.reset();
  FileWatcher::Poll poll = watcher_.PollIfDue();
  if (poll.event == FileWatcher::Event::kNotDue) return Outcome::kNotDue;
  if (poll.event == FileWatcher::Event::kUnreadable) {
    if (poll.error != unreadable_error_) {
      log::Warn("cannot read the policy file; the required scopes in force stay",
                {{"file", watcher_.path()}, {"error", poll.error}});
      if (metrics_ != nullptr) metrics_->CountPolicyReload("unreadable");
      unreadable_error_ = poll.error;
    }
    return Outcome::kUnreadable;
  }
  unreadable_error_.clear();
  if (poll.event == FileWatcher::Event::kUnchanged) return Outcome::kUnchanged;
  if (poll.event == FileWatcher::Event::kSettling) return Outcome::kSettling;

  auto scopes = RequiredScopesFromPolicyText(poll.content, watcher_.path());
  if (!scopes.ok()) {
    log::Error("policy file changed but does not parse; the required scopes in force stay",
               {{"file", watcher_.path()}, {"error", std::string(scopes.status().message())}});
    if (metrics_ != nullptr) metrics_->CountPolicyReload("invalid");
    return Outcome::kRefused;
  }
  if (*scopes == required_scopes_) return Outcome::kUnchanged;  // other rules changed: not ours
  snapshot = SnapshotFromConfig(config_, *scopes);
  log::Info("required scopes reloaded from the policy file", {{"file", watcher_.path()},
                                                              {"required_scopes", StrJoin(*scopes, " ")},
                                                              {"previous", StrJoin(required_scopes_, " ")},
                                                              {"version", snapshot->version}});
  required_scopes_ = *std::move(scopes);
  if (metrics_ != nullptr) metrics_->CountPolicyReload("success");
  return Outcome::kReloaded;
}

void PolicyScopesReloader::Start(MetadataService* service, absl::Duration period) {
  Stop();
  thread_ = std::jthread([this, service, period](std::stop_token stop) {
    while (!stop.stop_requested()) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait_for(lock, stop, absl::ToChronoNanoseconds(period), [] { return false; });
      }
      if (stop.stop_requested()) break;
      std::optional<MetadataSnapshot> snapshot;
      if (Tick(snapshot) == Outcome::kReloaded) {
        service->ReplaceSnapshot(std::make_shared<const MetadataSnapshot>(*std::move(snapshot)));
      }
    }
  });
}

void PolicyScopesReloader::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

}  // namespace mcpauth::metadata
