#include "services/token_validation/token_cache.h"

#include <openssl/sha.h>

namespace mcpauth::tv {

TokenCache::TokenCache(size_t capacity, const Clock* clock)
    : per_shard_capacity_((capacity + kShards - 1) / kShards), clock_(clock) {}

TokenCache::Key TokenCache::Hash(std::string_view token) {
  Key key;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), key.data());
  return key;
}

std::shared_ptr<const VerifiedToken> TokenCache::Find(std::string_view token) {
  if (per_shard_capacity_ == 0) return nullptr;
  const Key key = Hash(token);
  Shard& shard = shards_[key[0] % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.index.find(View(key));
  if (it == shard.index.end()) return nullptr;
  if (clock_->Now() >= it->second->expires) {
    auto node = it->second;
    shard.index.erase(it);
    shard.lru.erase(node);
    return nullptr;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return it->second->verified;
}

void TokenCache::Insert(std::string_view token, std::shared_ptr<const VerifiedToken> verified,
                        absl::Time expires) {
  if (per_shard_capacity_ == 0 || expires <= clock_->Now()) return;
  const Key key = Hash(token);
  Shard& shard = shards_[key[0] % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  if (auto it = shard.index.find(View(key)); it != shard.index.end()) {
    auto node = it->second;
    shard.index.erase(it);
    shard.lru.erase(node);
  }
  while (shard.lru.size() >= per_shard_capacity_) {
    shard.index.erase(View(shard.lru.back().key));
    shard.lru.pop_back();
  }
  shard.lru.push_front(Node{key, std::move(verified), expires});
  shard.index.emplace(View(shard.lru.front().key), shard.lru.begin());
}

size_t TokenCache::size() {
  size_t total = 0;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    total += shard.lru.size();
  }
  return total;
}

}  // namespace mcpauth::tv
