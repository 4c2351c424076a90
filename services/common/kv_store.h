// Key-value storage with expiry, behind one interface so caches work the same with
// Redis (shared by every replica) and without it (in-process, per replica).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/lru_map.h"
#include "services/common/redis_client.h"

namespace mcpauth {

// Every Redis key the suite writes starts with this.
inline constexpr std::string_view kRedisKeyPrefix = "mcpauth:v1:";

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;
  virtual absl::StatusOr<std::optional<std::string>> Get(const std::string& key) = 0;
  virtual absl::Status Set(const std::string& key, const std::string& value, absl::Duration ttl) = 0;
  // Creates the key only if absent; true when this call created it.
  virtual absl::StatusOr<bool> SetIfAbsent(const std::string& key, const std::string& value,
                                           absl::Duration ttl) = 0;
  // Removes the key; true when it existed. Stores for caches only need not (Unimplemented).
  virtual absl::StatusOr<bool> Delete(const std::string& key);
  // Adds one to the integer at `key` (created at 1, expiring after `ttl`, when
  // absent) and returns the new value. Stores for caches only need not (Unimplemented).
  virtual absl::StatusOr<int64_t> Increment(const std::string& key, absl::Duration ttl);
};

// Bounded in-process store; the least recently written entries go first when full.
class InProcessStore final : public KeyValueStore {
 public:
  explicit InProcessStore(size_t capacity = 100'000, const Clock* clock = SystemClock::Get());
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override;
  absl::Status Set(const std::string& key, const std::string& value, absl::Duration ttl) override;
  absl::StatusOr<bool> SetIfAbsent(const std::string& key, const std::string& value,
                                   absl::Duration ttl) override;
  absl::StatusOr<bool> Delete(const std::string& key) override;
  absl::StatusOr<int64_t> Increment(const std::string& key, absl::Duration ttl) override;

 private:
  const Clock* clock_;
  std::mutex mu_;
  LruMap<std::string> entries_;  // reads do not count as use: the least recently written go first
};

class RedisStore final : public KeyValueStore {
 public:
  explicit RedisStore(RedisClient* redis) : redis_(redis) {}
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override {
    return redis_->Get(key);
  }
  absl::Status Set(const std::string& key, const std::string& value, absl::Duration ttl) override {
    return redis_->SetWithExpiry(key, value, ttl);
  }
  absl::StatusOr<bool> SetIfAbsent(const std::string& key, const std::string& value,
                                   absl::Duration ttl) override {
    return redis_->SetIfAbsent(key, value, ttl);
  }
  absl::StatusOr<bool> Delete(const std::string& key) override { return redis_->Delete(key); }
  absl::StatusOr<int64_t> Increment(const std::string& key, absl::Duration ttl) override {
    return redis_->Increment(key, ttl);
  }

 private:
  RedisClient* redis_;
};

// For caches only: the shared store when it answers, the in-process one when it
// does not, so a Redis outage degrades to per-replica caching instead of failing.
// (Replay protection must not use this: a fallback there would accept replays.)
class FallbackStore final : public KeyValueStore {
 public:
  FallbackStore(KeyValueStore* shared, KeyValueStore* local) : shared_(shared), local_(local) {}
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override;
  absl::Status Set(const std::string& key, const std::string& value, absl::Duration ttl) override;
  absl::StatusOr<bool> SetIfAbsent(const std::string& key, const std::string& value,
                                   absl::Duration ttl) override;

 private:
  KeyValueStore* shared_;
  KeyValueStore* local_;
};

}  // namespace mcpauth
