// Key sets per source (a JWKS URI, or a file), cached in process and — when
// configured — in Redis so replicas share one fetch.
//
// * Fresh keys are served from memory; expired keys are refreshed by one caller
//   while others keep using the stale set.
// * A token naming an unknown kid triggers at most one refetch per source per
//   refetch interval: a flood of random kids is not a flood of fetches.
// * When a refresh fails, the last good set keeps working up to max_stale past its
//   lifetime; a fetched set with no usable key never replaces a good one.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
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

  // For a token whose kid the current set lacks: reloads unless a load happened
  // within the refetch interval, and returns the set to use. Never waits for a load
  // another caller has under way: answers from the set in hand instead.
  absl::StatusOr<std::shared_ptr<const KeySet>> RefreshForUnknownKid(const std::string& source,
                                                                     std::string_view kid);

 private:
  struct Entry {
    std::mutex load_mu;  // one load per source at a time
    std::mutex mu;       // guards the fields below
    std::shared_ptr<const KeySet> keys;
    absl::Time loaded_at = absl::InfinitePast();  // when `keys` were fetched at the source
    absl::Time expires = absl::InfinitePast();
    absl::Time last_attempt = absl::InfinitePast();
    absl::Time retry_after = absl::InfinitePast();
    absl::Status last_failure;  // why the last load failed, answered until retry_after
  };
  struct Loaded {
    std::shared_ptr<const KeySet> keys;
    absl::Time fetched_at;
    absl::Time expires;
  };

  Entry& EntryFor(const std::string& source);
  // The entry's keys if fresh (counted as a hit), else null.
  std::shared_ptr<const KeySet> FreshIn(Entry& entry);
  // Brings `entry` up to date from the shared cache or the source. Holds load_mu.
  // With `wanted_kid`, a shared copy without that kid does not count as up to date.
  absl::StatusOr<std::shared_ptr<const KeySet>> Load(Entry& entry, const std::string& source,
                                                     std::string_view wanted_kid = "");
  std::optional<Loaded> ReadShared(const std::string& source);
  void WriteShared(const std::string& source, const std::string& body, const Loaded& loaded);
  void Install(Entry& entry, const std::string& source, const Loaded& loaded);

  JwksCacheOptions options_;
  HttpFetcher* fetcher_;
  KeyValueStore* shared_;
  TokenValidationMetrics* metrics_;
  const Clock* clock_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace mcpauth::tv
