#include "services/common/kv_store.h"

#include "services/common/strings.h"

namespace mcpauth {

InProcessStore::InProcessStore(size_t capacity, const Clock* clock)
    : clock_(clock), entries_(capacity == 0 ? 1 : capacity) {}

absl::StatusOr<std::optional<std::string>> InProcessStore::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string* value = entries_.Find(key, clock_->Now(), /*touch=*/false);
  if (value == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(*value);
}

absl::Status InProcessStore::Set(const std::string& key, const std::string& value, absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = clock_->Now();
  entries_.Insert(key, value, now + ttl, now);
  return absl::OkStatus();
}

absl::StatusOr<bool> InProcessStore::SetIfAbsent(const std::string& key, const std::string& value,
                                                 absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = clock_->Now();
  return entries_.Insert(key, value, now + ttl, now, /*replace=*/false);
}

absl::StatusOr<bool> KeyValueStore::Delete(const std::string& key) {
  return absl::UnimplementedError(StrCat("this store cannot delete (", key, ")"));
}

absl::StatusOr<int64_t> KeyValueStore::Increment(const std::string& key, absl::Duration) {
  return absl::UnimplementedError(StrCat("this store cannot count (", key, ")"));
}

absl::StatusOr<bool> InProcessStore::Delete(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.Remove(key, clock_->Now());
}

absl::StatusOr<int64_t> InProcessStore::Increment(const std::string& key, absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = clock_->Now();
  // The count lives in the value; its expiry stays the one it was created with.
  std::string* held = entries_.Find(key, now, /*touch=*/false);
  if (held == nullptr) {
    entries_.Insert(key, "1", now + ttl, now);
    return 1;
  }
  int64_t count = 0;
  if (!ParseInt64(*held, count)) return absl::InternalError(StrCat(key, " holds no integer"));
  *held = std::to_string(++count);
  return count;
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
