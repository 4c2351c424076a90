// Tokens whose signature and issuer were verified, keyed by SHA-256 of the token.
// Bounded (least recently used goes first) and sharded to keep lock contention low.
// An entry never outlives the token's exp; time and audience are re-checked on
// every hit because they depend on the clock and on the request.
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
#include "services/token_validation/jwt.h"

namespace mcpauth::tv {

struct TrustedIssuer;

struct VerifiedToken {
  JwtClaims claims;
  std::string claims_json;  // the payload exactly as signed
  const TrustedIssuer* issuer = nullptr;
};

class TokenCache {
 public:
  TokenCache(size_t capacity, const Clock* clock = SystemClock::Get());

  std::shared_ptr<const VerifiedToken> Find(std::string_view token);
  void Insert(std::string_view token, std::shared_ptr<const VerifiedToken> verified, absl::Time expires);
  size_t size();

 private:
  static constexpr size_t kShards = 16;
  using Key = std::array<unsigned char, 32>;
  struct Node {
    Key key;
    std::shared_ptr<const VerifiedToken> verified;
    absl::Time expires;
  };
  struct Shard {
    std::mutex mu;
    std::list<Node> lru;  // most recently used first
    absl::flat_hash_map<std::string_view, std::list<Node>::iterator> index;  // views into Node::key
  };
  static Key Hash(std::string_view token);
  static std::string_view View(const Key& key) {
    return std::string_view(reinterpret_cast<const char*>(key.data()), key.size());
  }

  const size_t per_shard_capacity_;
  const Clock* clock_;
  std::array<Shard, kShards> shards_;
};

}  // namespace mcpauth::tv
