// A bounded, sharded LRU cache (ShardedLru) keyed by the SHA-256 of a string (a
// token, or a token with what it was checked against), so secrets are never kept as
// keys. Entries expire at the time given on insert; lookups refresh recency. Used
// for validated tokens in token-validation and for validation answers at the gateway.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/lru_map.h"
#include "services/common/sha256.h"

namespace mcpauth {

// The SHA-256 of `secret` as 32 raw bytes: how a secret is kept as a map key.
inline std::string SecretDigest(std::string_view secret) {
  return Sha256(secret);
}

template <typename V>
class DigestCache {
 public:
  explicit DigestCache(size_t capacity, const Clock* clock = SystemClock::Get()) : entries_(capacity), clock_(clock) {}

  // The value stored for `key`, or null when absent or expired.
  std::shared_ptr<const V> Find(std::string_view key) {
    return entries_.Find(SecretDigest(key), clock_->Now()).value_or(nullptr);
  }

  // Stores `value` until `expires` (nothing is stored when that has passed).
  void Insert(std::string_view key, std::shared_ptr<const V> value, absl::Time expires) {
    const absl::Time now = clock_->Now();
    if (expires <= now) return;
    entries_.Insert(SecretDigest(key), std::move(value), expires, now);
  }

  size_t size() { return entries_.size(); }

 private:
  ShardedLru<std::shared_ptr<const V>> entries_;
  const Clock* clock_;
};

}  // namespace mcpauth
