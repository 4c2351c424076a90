// Key sets per source (a JWKS URI, or a file), cached in process and — when
// configured — in Redis so replicas share one fetch.
//
// * Fresh keys are served from memory; expired keys are refreshed by one caller
//   while others keep using the stale set.
// * A token naming an unknown kid triggers at most one refetch per source per
//   refetch interval: a flood of random kids is not a flood of fetches.
// * When a refresh fails, the last good set keeps working up to max_stale past its
//   lifetime; a fetched set with no usable key never replaces a good one.
// The caching itself is the suite's RefreshingCache (services/common/
// refreshing_cache.h); this class is what is particular to key sets.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/refreshing_cache.h"
#include "services/common/token_bucket.h"
#include "services/common/http_fetcher.h"
#include "services/common/kv_store.h"
#include "services/token_validation/jwks.h"
#include "services/token_validation/tv_metrics.h"

namespace mcpauth::tv {

struct JwksCacheOptions {
  absl::Duration ttl = absl::Seconds(300);
  absl::Duration refetch_interval = absl::Seconds(30);
  absl::Duration max_stale = absl::Hours(24);
};

// A key-set source: "https://…" (or loopback "http://…") is fetched; "file:PATH" is read.
inline constexpr std::string_view kFileSourcePrefix = "file:";

class JwksCache {
 public:
  JwksCache(JwksCacheOptions options, HttpFetcher* fetcher, KeyValueStore* shared,
            TokenValidationMetrics* metrics, const Clock* clock = SystemClock::Get());

  // The current key set of `source`. Unavailable when no usable set was ever loaded
  // (or the last one is older than max_stale) and loading it now fails.
  absl::StatusOr<std::shared_ptr<const KeySet>> KeysFor(const std::string& source);
  // The set of `source` if it is in memory and fresh, else null; never waits.
  std::shared_ptr<const KeySet> FreshKeys(const std::string& source);

  // For a token whose kid the current set lacks: reloads when the source's
  // unknown-kid budget allows (a token bucket: one refetch per refetch interval;
  // scheduled loads do not spend it, so a key published just after one is found at
  // once), and returns the set to use. Never waits for a load another caller has
  // under way: answers from the set in hand instead.
  absl::StatusOr<std::shared_ptr<const KeySet>> RefreshForUnknownKid(const std::string& source,
                                                                     std::string_view kid);

 private:
  absl::StatusOr<CachedValue<KeySet>> Load(const std::string& source, absl::Time now);
  std::optional<CachedValue<KeySet>> ReadShared(const std::string& source);
  void WriteShared(const std::string& source, const std::string& body, const CachedValue<KeySet>& loaded);
  // Spends the source's unknown-kid refetch token when it has one.
  bool TakeRefetchToken(const std::string& source);

  JwksCacheOptions options_;
  HttpFetcher* fetcher_;
  KeyValueStore* shared_;
  TokenValidationMetrics* metrics_;
  const Clock* clock_;
  RefreshingCache<KeySet> cache_;
  std::mutex buckets_mu_;
  absl::flat_hash_map<std::string, TokenBucket> buckets_;  // unknown-kid refetches per source
};

}  // namespace mcpauth::tv
