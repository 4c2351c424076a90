#include "services/token_validation/dpop_replay.h"

#include <algorithm>

#include "services/common/base64url.h"
#include "services/common/sha256.h"
#include "services/common/strings.h"

namespace mcpauth::tv {

std::string DpopReplayKey(std::string_view jkt, std::string_view jti) {
  return StrCat(kRedisKeyPrefix, "dpop:jti:", jkt, ":", Base64UrlEncode(Sha256(jti)));
}

SharedDpopReplayStore::SharedDpopReplayStore(KeyValueStore* store, size_t local_capacity, const Clock* clock)
    : store_(store), seen_here_(local_capacity, clock) {}

absl::StatusOr<ReplayVerdict> SharedDpopReplayStore::FirstUse(std::string_view owner, std::string_view jkt,
                                                              std::string_view jti, absl::Duration ttl) {
  absl::StatusOr<bool> shared = store_->SetIfAbsent(DpopReplayKey(jkt, jti), "1", ttl);
  if (!shared.ok()) return shared.status();
  // Recorded here whatever Redis said; when the local copy is full (or this owner
  // is over its share of it), Redis alone decides.
  absl::StatusOr<ReplayVerdict> here = seen_here_.FirstUse(owner, jkt, jti, ttl);
  const bool replayed_here = here.ok() && *here == ReplayVerdict::kReplay;
  return *shared && !replayed_here ? ReplayVerdict::kFirstUse : ReplayVerdict::kReplay;
}

InProcessDpopReplayStore::InProcessDpopReplayStore(size_t capacity, const Clock* clock)
    : capacity_(capacity == 0 ? 1 : capacity), owner_share_(std::max<size_t>(1, capacity / 16)), clock_(clock) {}

void InProcessDpopReplayStore::SweepLocked(absl::Time now) {
  while (!order_.empty()) {
    Recorded& front = order_.front();
    if (front.expires > now) {
      // Entries are mostly in expiry order (one ttl per process); an entry behind
      // an unexpired one waits for it, which only delays freeing memory.
      break;
    }
    auto it = expires_.find(front.key);
    // A key re-recorded after expiring has a later expiry: leave that one.
    if (it != expires_.end() && it->second <= now) expires_.erase(it);
    if (auto owned = per_owner_.find(front.owner); owned != per_owner_.end() && --owned->second == 0) {
      per_owner_.erase(owned);
    }
    order_.pop_front();
  }
}

absl::StatusOr<ReplayVerdict> InProcessDpopReplayStore::FirstUse(std::string_view owner, std::string_view jkt,
                                                                 std::string_view jti, absl::Duration ttl) {
  std::string key = DpopReplayKey(jkt, jti);
  const absl::Time now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  SweepLocked(now);
  auto it = expires_.find(key);
  if (it != expires_.end() && it->second > now) return ReplayVerdict::kReplay;
  if (it == expires_.end() && expires_.size() >= capacity_) {
    return absl::ResourceExhaustedError(
        "the in-process DPoP replay store is full of unexpired proofs; configure redis or lower dpop_leeway");
  }
  std::string owner_key(owner);
  if (expires_.size() >= capacity_ / 2) {
    auto owned = per_owner_.find(owner_key);
    if (owned != per_owner_.end() && owned->second >= owner_share_) return ReplayVerdict::kOverShare;
  }
  const absl::Time expires = now + ttl;
  if (it != expires_.end()) {
    it->second = expires;
  } else {
    expires_.emplace(key, expires);
  }
  ++per_owner_[owner_key];
  order_.push_back(Recorded{expires, std::move(key), std::move(owner_key)});
  return ReplayVerdict::kFirstUse;
}

size_t InProcessDpopReplayStore::size() {
  std::lock_guard<std::mutex> lock(mu_);
  SweepLocked(clock_->Now());
  return expires_.size();
}

}  // namespace mcpauth::tv
