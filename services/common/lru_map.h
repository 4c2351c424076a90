// The suite's one bounded map: at most `capacity` entries, each with an expiry
// (InfiniteFuture for none); when full, the entry used longest ago goes first.
// LruMap is one map, guarded by its owner; ShardedLru spreads keys over sixteen
// LruMaps, each with its own lock, for caches read on every request. Built on it:
// DigestCache (validated tokens, gateway answers), DpopKeyCache (built proof keys)
// and InProcessStore (the local key-value store).
#pragma once

#include <array>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/time/time.h"

namespace mcpauth {

template <typename V>
class LruMap {
 public:
  explicit LruMap(size_t capacity) : capacity_(capacity) {}
  LruMap(const LruMap&) = delete;
  LruMap& operator=(const LruMap&) = delete;

  // The live value of `key` at `now` (an expired one is dropped); with `touch`, it
  // becomes the most recently used.
  V* Find(std::string_view key, absl::Time now, bool touch = true) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    if (now >= it->second->expires) {
      Erase(it);
      return nullptr;
    }
    if (touch) order_.splice(order_.begin(), order_, it->second);
    return &it->second->value;
  }

  // Stores `value` for `key` until `expires`, as the most recently used, replacing
  // a live value only when `replace`; false when a live value was kept. Nothing is
  // stored when capacity is 0.
  bool Insert(std::string_view key, V value, absl::Time expires, absl::Time now, bool replace = true) {
    if (capacity_ == 0) return false;
    if (auto it = index_.find(key); it != index_.end()) {
      if (!replace && now < it->second->expires) return false;
      Erase(it);
    }
    while (order_.size() >= capacity_) {
      index_.erase(std::string_view(order_.back().key));
      order_.pop_back();
    }
    order_.push_front(Node{std::string(key), std::move(value), expires});
    index_.emplace(std::string_view(order_.front().key), order_.begin());
    return true;
  }

  // Drops `key`; true when a live value was there.
  bool Remove(std::string_view key, absl::Time now) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    const bool live = now < it->second->expires;
    Erase(it);
    return live;
  }

  size_t size() const { return order_.size(); }

 private:
  struct Node {
    std::string key;
    V value;
    absl::Time expires;
  };
  using Index = absl::flat_hash_map<std::string_view, typename std::list<Node>::iterator>;  // views into Node::key

  void Erase(typename Index::iterator it) {
    auto node = it->second;
    index_.erase(it);
    order_.erase(node);
  }

  const size_t capacity_;
  std::list<Node> order_;  // most recently used first
  Index index_;
};

template <typename V>
class ShardedLru {
 public:
  // `capacity` in total, spread over the shards.
  explicit ShardedLru(size_t capacity) : shards_(MakeShards((capacity + kShards - 1) / kShards)) {}

  // A copy of the live value of `key`, made the most recently used.
  std::optional<V> Find(std::string_view key, absl::Time now) {
    Shard& shard = ShardFor(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    const V* value = shard.map.Find(key, now);
    if (value == nullptr) return std::nullopt;
    return *value;
  }

  bool Insert(std::string_view key, V value, absl::Time expires, absl::Time now, bool replace = true) {
    Shard& shard = ShardFor(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    return shard.map.Insert(key, std::move(value), expires, now, replace);
  }

  size_t size() {
    size_t total = 0;
    for (auto& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard->mu);
      total += shard->map.size();
    }
    return total;
  }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    explicit Shard(size_t capacity) : map(capacity) {}
    std::mutex mu;
    LruMap<V> map;
  };
  static std::array<std::unique_ptr<Shard>, kShards> MakeShards(size_t per_shard) {
    std::array<std::unique_ptr<Shard>, kShards> shards;
    for (auto& shard : shards) shard = std::make_unique<Shard>(per_shard);
    return shards;
  }
  Shard& ShardFor(std::string_view key) { return *shards_[absl::HashOf(key) % kShards]; }

  std::array<std::unique_ptr<Shard>, kShards> shards_;
};

}  // namespace mcpauth
