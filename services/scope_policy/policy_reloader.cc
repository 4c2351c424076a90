#include "services/scope_policy/policy_reloader.h"

#include "services/common/log.h"

namespace mcpauth::sp {

PolicyReloader::PolicyReloader(FileWatcher* watcher, PolicyStore* store, ScopePolicyMetrics* metrics)
    : watcher_(watcher), store_(store), metrics_(metrics) {}

PolicyReloader::~PolicyReloader() { Stop(); }

PolicyReloader::Outcome PolicyReloader::Tick() {
  FileWatcher::Poll poll = watcher_->PollIfDue();
  if (poll.event == FileWatcher::Event::kNotDue) return Outcome::kNotDue;
  if (poll.event == FileWatcher::Event::kUnreadable) {
    if (poll.error != unreadable_error_) {
      log::Warn("cannot read the policy file; the policy in force stays",
                {{"file", watcher_->path()}, {"error", poll.error}, {"version", store_->Current()->version}});
      if (metrics_ != nullptr) metrics_->CountReload(ReloadResult::kUnreadable);
      unreadable_error_ = poll.error;
    }
    return Outcome::kUnreadable;
  }
  if (!unreadable_error_.empty()) {
    log::Info("the policy file is readable again", {{"file", watcher_->path()}});
    unreadable_error_.clear();
  }
  if (poll.event == FileWatcher::Event::kUnchanged) return Outcome::kUnchanged;
  if (poll.event == FileWatcher::Event::kSettling) return Outcome::kSettling;

  auto compiled = CompilePolicyText(poll.content, watcher_->path());
  if (!compiled.ok()) {
    log::Error("policy reload refused; the policy in force stays",
               {{"file", watcher_->path()},
                {"resolved", watcher_->ResolvedPath()},
                {"error", std::string(compiled.status().message())},
                {"version", store_->Current()->version}});
    if (metrics_ != nullptr) metrics_->CountReload(ReloadResult::kInvalid);
    return Outcome::kRefused;
  }
  std::shared_ptr<const PublishedPolicy> published = store_->Publish(*std::move(compiled));
  if (metrics_ != nullptr) {
    metrics_->CountReload(ReloadResult::kSuccess);
    metrics_->SetPolicy(*published);
  }
  log::Info("policy reloaded", {{"file", watcher_->path()},
                                {"resolved", watcher_->ResolvedPath()},
                                {"version", published->version},
                                {"digest", published->snapshot.digest()},
                                {"tools", published->policy->rules(v1::TARGET_KIND_TOOL).size()},
                                {"resources", published->policy->rules(v1::TARGET_KIND_RESOURCE).size()},
                                {"prompts", published->policy->rules(v1::TARGET_KIND_PROMPT).size()}});
  return Outcome::kReloaded;
}

void PolicyReloader::Start(absl::Duration period) {
  Stop();
  thread_ = std::jthread([this, period](std::stop_token stop) {
    while (!stop.stop_requested()) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait_for(lock, stop, absl::ToChronoNanoseconds(period), [] { return false; });
      }
      if (stop.stop_requested()) break;
      Tick();
    }
  });
}

void PolicyReloader::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

}  // namespace mcpauth::sp
