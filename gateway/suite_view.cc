#include "gateway/suite_view.h"

#include "services/common/log.h"

namespace mcpauth::gw {

SuiteView::SuiteView(SuiteConfig config) : config_(std::move(config)) {
  if (!config_.policy_file.empty()) {
    // scope-policy reads it; the metadata settings are checked now all the same.
    metadata::SnapshotFromConfig(config_, {});
    return;
  }
  if (absl::Status s = Install(config_.policy, 0); !s.ok()) throw ConfigError(std::string(s.message()));
}

SuiteView::~SuiteView() { Stop(); }

std::shared_ptr<const sp::CompiledPolicy> SuiteView::policy() const {
  auto suite = current();
  return suite ? suite->policy : nullptr;
}

std::shared_ptr<const metadata::MetadataSnapshot> SuiteView::metadata() const {
  auto suite = current();
  return suite ? suite->metadata : nullptr;
}

uint64_t SuiteView::policy_version() const {
  auto suite = current();
  return suite ? suite->policy_version : 0;
}

absl::Status SuiteView::Install(const v1::Policy& policy, uint64_t version) {
  auto compiled = sp::CompiledPolicy::Compile(policy);
  if (!compiled.ok()) return compiled.status();
  std::vector<std::string> scopes(policy.required_scopes().begin(), policy.required_scopes().end());
  auto suite = std::make_shared<Suite>();
  try {
    suite->metadata = std::make_shared<const metadata::MetadataSnapshot>(metadata::SnapshotFromConfig(config_, scopes));
  } catch (const ConfigError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  suite->policy = *std::move(compiled);
  suite->policy_version = version;
  suite_.store(std::move(suite));
  return absl::OkStatus();
}

void SuiteView::Start(std::shared_ptr<grpc::Channel> scope_policy) {
  follower_.Start(std::move(scope_policy), [this](const v1::PolicySnapshot& snapshot) {
    const auto version = static_cast<int64_t>(snapshot.version());
    if (absl::Status s = Install(snapshot.policy(), snapshot.version()); !s.ok()) {
      log::Error("policy from scope-policy refused; keeping the one in force",
                 {{"version", version}, {"error", std::string(s.message())}});
      return;
    }
    log::Info("policy updated from scope-policy", {{"version", version}, {"metadata_version", metadata()->version}});
  });
}

void SuiteView::Stop() { follower_.Stop(); }

}  // namespace mcpauth::gw
