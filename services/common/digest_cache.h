// A bounded, sharded LRU cache keyed by the SHA-256 of a string (a token, or a token
// with what it was checked against), so secrets are never kept as keys. Entries
// expire at the time given on insert; lookups refresh recency. Used for validated
// tokens in token-validation and for validation answers at the gateway.
#pragma once

#include <array>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/sha256.h"

namespace mcpauth {

// The SHA-256 of `secret` as 32 raw bytes: how a secret is kept as a map key.
inline std::string SecretDigest(std::string_view secret) {
  return Sha256(secret);
}

template <typename V>
class DigestCache {
 public:
  explicit DigestCache(size_t capacity, const Clock* clock = SystemClock::Get())
      : per_shard_capacity_((capacity + kShards - 1) / kShards), clock_(clock) {}

  // The value stored for `key`, or null when absent or expired.
  std::shared_ptr<const V> Find(std::string_view key) {
    if (per_shard_capacity_ == 0) return nullptr;
    const Digest d = Hash(key);
    Shard& shard = shards_[d[0] % kShards];
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.index.find(View(d));
    if (it == shard.index.end()) return nullptr;
    if (clock_->Now() >= it->second->expires) {
      auto node = it->second;
      shard.index.erase(it);
      shard.lru.erase(node);
      return nullptr;
    }
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    return it->second->value;
  }

  // Stores `value` until `expires` (nothing is stored when that has passed).
  void Insert(std::string_view key, std::shared_ptr<const V> value, absl::Time expires) {
    if (per_shard_capacity_ == 0 || expires <= clock_->Now()) return;
    const Digest d = Hash(key);
    Shard& shard = shards_[d[0] % kShards];
    std::lock_guard<std::mutex> lock(shard.mu);
    if (auto it = shard.index.find(View(d)); it != shard.index.end()) {
      auto node = it->second;
      shard.index.erase(it);
      shard.lru.erase(node);
    }
    while (shard.lru.size() >= per_shard_capacity_) {
      shard.index.erase(View(shard.lru.back().digest));
      shard.lru.pop_back();
    }
    shard.lru.push_front(Node{d, std::move(value), expires});
    shard.index.emplace(View(shard.lru.front().digest), shard.lru.begin());
  }

  size_t size() {
    size_t total = 0;
    for (Shard& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mu);
      total += shard.lru.size();
    }
    return total;
  }

 private:
  static constexpr size_t kShards = 16;
  using Digest = Sha256Digest;
  struct Node {
    Digest digest;
    std::shared_ptr<const V> value;
    absl::Time expires;
  };
  struct Shard {
    std::mutex mu;
    std::list<Node> lru;  // most recently used first
    absl::flat_hash_map<std::string_view, typename std::list<Node>::iterator> index;  // views into Node::digest
  };
  static Digest Hash(std::string_view key) {
    return Sha256Of(key);
  }
  static std::string_view View(const Digest& d) {
    return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
  }

  const size_t per_shard_capacity_;
  const Clock* clock_;
  std::array<Shard, kShards> shards_;
};

}  // namespace mcpauth
