#include "gateway/suite_view.h"

#include <algorithm>

#include "mcpauth/v1/metadata.grpc.pb.h"
#include "mcpauth/v1/scope_policy.grpc.pb.h"
#include "services/common/log.h"
#include "services/metadata/convert.h"

namespace mcpauth::gw {

SuiteView::SuiteView(const SuiteConfig& config) {
  // Local copies until the services answer: the policy when the main file holds it,
  // and the metadata snapshot (which reads policy_file itself when it can).
  if (config.policy_file.empty()) {
    auto compiled = sp::CompiledPolicy::Compile(config.policy);
    if (compiled.ok()) policy_.store(*compiled);
  }
  try {
    metadata_.store(std::make_shared<const metadata::MetadataSnapshot>(metadata::SnapshotFromConfig(config)));
  } catch (const ConfigError& e) {
    log::Warn("metadata snapshot not available from the local config; waiting for the metadata service",
              {{"error", e.what()}});
  }
}

SuiteView::~SuiteView() { Stop(); }

void SuiteView::SetPolicy(std::shared_ptr<const sp::CompiledPolicy> policy, uint64_t version) {
  policy_.store(std::move(policy));
  policy_version_ = version;
}

void SuiteView::SetMetadata(std::shared_ptr<const metadata::MetadataSnapshot> snapshot) {
  metadata_.store(std::move(snapshot));
}

void SuiteView::Start(std::shared_ptr<grpc::Channel> scope_policy, std::shared_ptr<grpc::Channel> metadata) {
  policy_thread_ = std::thread([this, scope_policy] { WatchPolicy(scope_policy); });
  metadata_thread_ = std::thread([this, metadata] { WatchMetadata(metadata); });
}

void SuiteView::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !policy_thread_.joinable() && !metadata_thread_.joinable()) return;
    stopping_ = true;
    for (grpc::ClientContext* c : live_) c->TryCancel();
  }
  stop_cv_.notify_all();
  if (policy_thread_.joinable()) policy_thread_.join();
  if (metadata_thread_.joinable()) metadata_thread_.join();
}

bool SuiteView::Pause(absl::Duration d) {
  std::unique_lock<std::mutex> lock(mu_);
  stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(d), [this] { return stopping_; });
  return !stopping_;
}

template <typename Message, typename Open, typename OnMessage>
void SuiteView::KeepWatching(Open open, OnMessage on_message) {
  absl::Duration backoff = absl::Milliseconds(200);
  for (;;) {
    grpc::ClientContext context;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      live_.push_back(&context);
    }
    auto reader = open(&context);
    Message message;
    while (reader->Read(&message)) {
      backoff = absl::Milliseconds(200);
      on_message(message);
    }
    const grpc::Status status = reader->Finish();
    {
      std::lock_guard<std::mutex> lock(mu_);
      live_.erase(std::remove(live_.begin(), live_.end(), &context), live_.end());
    }
    if (!status.ok()) log::Debug("watch stream ended", {{"error", status.error_message()}});
    if (!Pause(backoff)) return;
    backoff = std::min(backoff * 2, absl::Seconds(10));
  }
}

void SuiteView::WatchPolicy(std::shared_ptr<grpc::Channel> channel) {
  auto stub = v1::ScopePolicy::NewStub(channel);
  KeepWatching<v1::PolicySnapshot>(
      [&](grpc::ClientContext* context) { return stub->WatchPolicy(context, v1::WatchPolicyRequest()); },
      [&](const v1::PolicySnapshot& snapshot) {
        auto compiled = sp::CompiledPolicy::Compile(snapshot.policy());
        if (!compiled.ok()) {
          log::Error("policy from scope-policy refused; keeping the one in force",
                     {{"version", static_cast<int64_t>(snapshot.version())},
                      {"error", std::string(compiled.status().message())}});
          return;
        }
        SetPolicy(*compiled, snapshot.version());
        log::Info("policy updated from scope-policy", {{"version", static_cast<int64_t>(snapshot.version())}});
      });
}

void SuiteView::WatchMetadata(std::shared_ptr<grpc::Channel> channel) {
  auto stub = v1::Metadata::NewStub(channel);
  KeepWatching<v1::MetadataSnapshot>(
      [&](grpc::ClientContext* context) { return stub->WatchSnapshot(context, v1::GetMetadataSnapshotRequest()); },
      [&](const v1::MetadataSnapshot& proto) {
        auto snapshot = metadata::FromProto(proto);
        if (!snapshot.ok()) {
          log::Error("metadata snapshot refused; keeping the one in force",
                     {{"error", std::string(snapshot.status().message())}});
          return;
        }
        auto current = metadata();
        if (current == nullptr || current->version != snapshot->version) {
          SetMetadata(std::make_shared<const metadata::MetadataSnapshot>(std::move(*snapshot)));
          log::Info("metadata snapshot updated", {{"version", metadata()->version}});
        }
      });
}

}  // namespace mcpauth::gw
