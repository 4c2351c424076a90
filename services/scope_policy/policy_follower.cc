#include "services/scope_policy/policy_follower.h"

#include <algorithm>

#include "mcpauth/v1/scope_policy.grpc.pb.h"
#include "services/common/log.h"

namespace mcpauth::sp {

namespace {
constexpr std::chrono::milliseconds kFirstBackoff{200};
constexpr std::chrono::milliseconds kMaxBackoff{10'000};
}  // namespace

PolicyFollower::~PolicyFollower() { Stop(); }

void PolicyFollower::Start(std::shared_ptr<grpc::Channel> scope_policy, OnSnapshot on_snapshot) {
  thread_ = std::thread([this, channel = std::move(scope_policy), on_snapshot = std::move(on_snapshot)] {
    Follow(channel, on_snapshot);
  });
}

void PolicyFollower::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (live_ != nullptr) live_->TryCancel();
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PolicyFollower::Pause(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  stop_cv_.wait_for(lock, d, [this] { return stopping_; });
  return !stopping_;
}

void PolicyFollower::Follow(std::shared_ptr<grpc::Channel> channel, OnSnapshot on_snapshot) {
  auto stub = v1::ScopePolicy::NewStub(channel);
  std::chrono::milliseconds backoff = kFirstBackoff;
  for (;;) {
    grpc::ClientContext context;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      live_ = &context;
    }
    auto reader = stub->WatchPolicy(&context, v1::WatchPolicyRequest());
    v1::PolicySnapshot snapshot;
    while (reader->Read(&snapshot)) {
      backoff = kFirstBackoff;
      on_snapshot(snapshot);
    }
    const grpc::Status status = reader->Finish();
    {
      std::lock_guard<std::mutex> lock(mu_);
      live_ = nullptr;
    }
    if (!status.ok()) log::Debug("policy watch stream ended", {{"error", status.error_message()}});
    if (!Pause(backoff)) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace mcpauth::sp
