#include "services/common/kv_store.h"

namespace mcpauth {

InProcessStore::InProcessStore(size_t capacity, const Clock* clock)
    : capacity_(capacity == 0 ? 1 : capacity), clock_(clock) {}

void InProcessStore::PutLocked(const std::string& key, const std::string& value, absl::Time expires) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    order_.erase(it->second.order);
    entries_.erase(it);
  }
  while (entries_.size() >= capacity_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(key);
  entries_.emplace(key, Entry{value, expires, std::prev(order_.end())});
}

absl::StatusOr<std::optional<std::string>> InProcessStore::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::optional<std::string>();
  if (clock_->Now() >= it->second.expires) {
    order_.erase(it->second.order);
    entries_.erase(it);
    return std::optional<std::string>();
  }
  return std::optional<std::string>(it->second.value);
}

absl::Status InProcessStore::Set(const std::string& key, const std::string& value, absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  PutLocked(key, value, clock_->Now() + ttl);
  return absl::OkStatus();
}

absl::StatusOr<bool> InProcessStore::SetIfAbsent(const std::string& key, const std::string& value,
                                                 absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = clock_->Now();
  auto it = entries_.find(key);
  if (it != entries_.end() && now < it->second.expires) return false;
  PutLocked(key, value, now + ttl);
  return true;
}

absl::StatusOr<std::optional<std::string>> FallbackStore::Get(const std::string& key) {
  auto shared = shared_->Get(key);
  if (shared.ok()) return shared;
  return local_->Get(key);
}

absl::Status FallbackStore::Set(const std::string& key, const std::string& value, absl::Duration ttl) {
  // Written to both, so a later outage still finds the value locally.
  (void)local_->Set(key, value, ttl);
  (void)shared_->Set(key, value, ttl);
  return absl::OkStatus();
}

absl::StatusOr<bool> FallbackStore::SetIfAbsent(const std::string& key, const std::string& value,
                                                absl::Duration ttl) {
  auto shared = shared_->SetIfAbsent(key, value, ttl);
  if (shared.ok()) return shared;
  return local_->SetIfAbsent(key, value, ttl);
}

}  // namespace mcpauth
