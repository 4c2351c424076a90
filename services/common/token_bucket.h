// A token bucket as a value: `burst` tokens at most, refilled at `per_second`. The
// owner keeps the rate (one per map of buckets) and the lock.
#pragma once

#include <algorithm>

#include "absl/time/time.h"

namespace mcpauth {

struct TokenBucket {
  double tokens = 0;
  absl::Time updated = absl::InfinitePast();

  static TokenBucket Full(double burst, absl::Time now) { return TokenBucket{burst, now}; }
  // The tokens there would be at `now`, without changing the bucket.
  double TokensAt(absl::Time now, double per_second, double burst) const {
    return std::min(burst, tokens + absl::ToDoubleSeconds(now - updated) * per_second);
  }
  void Refill(absl::Time now, double per_second, double burst) {
    tokens = TokensAt(now, per_second, burst);
    updated = now;
  }
  // Refills to `now` and takes one token; false when less than one is there.
  bool Take(absl::Time now, double per_second, double burst) {
    Refill(now, per_second, burst);
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }
};

}  // namespace mcpauth
