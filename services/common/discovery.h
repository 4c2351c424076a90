// Authorization-server discovery: RFC 8414 metadata, falling back to OpenID
// Connect Discovery, with the returned `issuer` checked against the configured one
// exactly (RFC 8414 §3.3 — a mismatch is a mix-up attack, not a typo to forgive).
// Results are cached in process and, when configured, in Redis for every replica,
// by the suite's RefreshingCache (services/common/refreshing_cache.h).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/http_fetcher.h"
#include "services/common/kv_store.h"
#include "services/common/metrics.h"
#include "services/common/refreshing_cache.h"

namespace mcpauth {

struct AuthorizationServerMetadata {
  std::string issuer;
  std::string jwks_uri;    // empty when the server publishes none
  std::string introspection_endpoint;  // RFC 7662 (RFC 8414 §2); empty when none
  std::string document;    // the JSON object as served
  std::string source_url;  // where it was found
  std::string cache_control;  // the response's Cache-Control, when fetched
  absl::Time fetched_at = absl::InfinitePast();  // when the authorization server served it
};

// Where to look for `issuer`'s metadata, in order: RFC 8414 with path insertion,
// then OpenID Connect with path insertion (issuers with a path only), then OpenID
// Connect appended to the issuer (OIDC Discovery §4).
std::vector<std::string> DiscoveryUrls(std::string_view issuer);

// Parses a metadata document and checks its issuer equals `expected_issuer`:
// PermissionDenied when it names another issuer, InvalidArgument when unusable.
absl::StatusOr<AuthorizationServerMetadata> ParseAuthorizationServerMetadata(
    std::string_view body, std::string_view expected_issuer, std::string source_url);

// Fetches metadata for `issuer`, trying each DiscoveryUrls entry until one answers
// 200 with a document for that issuer. A document naming another issuer stops the
// search (PermissionDenied). Otherwise InvalidArgument when some URL answered with
// an unusable document, Unavailable when none answered with a document at all.
absl::StatusOr<AuthorizationServerMetadata> DiscoverAuthorizationServer(HttpFetcher& fetcher,
                                                                        const std::string& issuer);

// The label a discovery outcome is counted under in mcpauth_discovery_fetches_total:
// "success", "issuer_mismatch", "invalid" or "unavailable".
const char* DiscoveryResultLabel(const absl::Status& status);

// A directory answer with how current it is.
struct CachedAuthorizationServerMetadata {
  std::shared_ptr<const AuthorizationServerMetadata> metadata;
  absl::Time fresh_until = absl::InfinitePast();
  bool stale = false;  // past fresh_until: refreshes are failing
};

class AuthorizationServerDirectory {
 public:
  AuthorizationServerDirectory(HttpFetcher* fetcher, KeyValueStore* cache, absl::Duration cache_ttl,
                               prometheus::Registry* registry, const Clock* clock = SystemClock::Get());

  // Metadata for `issuer`: from process memory, then the shared cache, then the
  // network. While refreshes fail, the last good document keeps being served; while
  // another thread is refreshing it, too (callers never queue behind a slow server
  // when there is something to answer with).
  absl::StatusOr<std::shared_ptr<const AuthorizationServerMetadata>> Lookup(const std::string& issuer);
  // The same, saying how fresh the answer is.
  absl::StatusOr<CachedAuthorizationServerMetadata> Find(const std::string& issuer);
  // Metadata for `issuer` if it is in memory and fresh, else null; never waits.
  std::shared_ptr<const AuthorizationServerMetadata> FindFresh(const std::string& issuer);

  // Brings `issuer`'s entry up to date shortly before it expires (so lookups keep
  // finding it fresh): adopts a newer copy from the shared cache, else discovers it,
  // unless a failure moments ago put it in backoff. OK when the entry is fresh
  // afterwards; otherwise why not. Background refreshers call this.
  absl::Status Refresh(const std::string& issuer);
  // When Refresh(issuer) next has work to do.
  absl::Time NextRefresh(const std::string& issuer);

 private:
  // RefreshingCache's hooks.
  std::optional<CachedValue<AuthorizationServerMetadata>> ReadShared(const std::string& issuer);
  void WriteShared(const AuthorizationServerMetadata& metadata, absl::Time expires, absl::Duration ttl);
  absl::StatusOr<CachedValue<AuthorizationServerMetadata>> Discover(const std::string& issuer, absl::Time now,
                                                                    const AuthorizationServerMetadata* held);

  HttpFetcher* fetcher_;
  KeyValueStore* cache_;
  absl::Duration cache_ttl_;
  prometheus::Family<prometheus::Counter>* const fetches_;
  prometheus::Family<prometheus::Counter>* const cache_requests_;
  RefreshingCache<AuthorizationServerMetadata> directory_;
};

// Keeps a fixed set of issuers' metadata current from a background thread: all of
// them are discovered right after Start() (so a dead authorization server never
// delays start-up), each is refreshed shortly before it expires, and failures are
// retried with backoff while the last good document keeps being served.
class DiscoveryRefresher {
 public:
  DiscoveryRefresher(AuthorizationServerDirectory* directory, std::vector<std::string> issuers,
                     const Clock* clock = SystemClock::Get());
  ~DiscoveryRefresher();  // Stop()
  DiscoveryRefresher(const DiscoveryRefresher&) = delete;
  DiscoveryRefresher& operator=(const DiscoveryRefresher&) = delete;

  void Start();
  // Wakes the thread and waits for it (a discovery in flight finishes first).
  void Stop();

  // One pass over the issuers: refreshes those that are due and returns when the
  // next one is. The thread runs this in a loop; tests call it directly.
  absl::Time RunOnce();

 private:
  void Loop();

  AuthorizationServerDirectory* directory_;
  const std::vector<std::string> issuers_;
  const Clock* clock_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mcpauth
