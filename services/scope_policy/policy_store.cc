#include "services/scope_policy/policy_store.h"

namespace mcpauth::sp {

PolicyStore::PolicyStore(std::shared_ptr<const CompiledPolicy> initial, const Clock* clock)
    : clock_(clock), current_(Make(std::move(initial), 1)) {}

std::shared_ptr<const PublishedPolicy> PolicyStore::Make(std::shared_ptr<const CompiledPolicy> policy,
                                                         uint64_t version) const {
  auto published = std::make_shared<PublishedPolicy>();
  published->version = version;
  published->loaded_at = clock_->Now();
  v1::PolicySnapshot& s = published->snapshot;
  s.set_version(version);
  *s.mutable_policy() = policy->source();
  s.set_digest(policy->Digest());
  for (const std::string& scope : policy->server_scopes()) s.add_scopes_supported(scope);
  s.set_loaded_at_unix_ms(absl::ToUnixMillis(published->loaded_at));
  published->policy = std::move(policy);
  return published;
}

std::shared_ptr<const PublishedPolicy> PolicyStore::Publish(std::shared_ptr<const CompiledPolicy> policy) {
  std::shared_ptr<const PublishedPolicy> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next = Make(std::move(policy), current_.load()->version + 1);
    current_.store(next);
  }
  changed_.notify_all();
  return next;
}

std::shared_ptr<const PublishedPolicy> PolicyStore::WaitForNewer(uint64_t version, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return current_.load()->version > version; });
  return current_.load();
}

}  // namespace mcpauth::sp
