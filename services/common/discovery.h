// Authorization-server discovery: RFC 8414 metadata, falling back to OpenID
// Connect Discovery, with the returned `issuer` checked against the configured one
// exactly (RFC 8414 §3.3 — a mismatch is a mix-up attack, not a typo to forgive).
// Results are cached in process and, when configured, in Redis for every replica.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/http_fetcher.h"
#include "services/common/kv_store.h"
#include "services/common/metrics.h"

namespace mcpauth {

struct AuthorizationServerMetadata {
  std::string issuer;
  std::string jwks_uri;    // empty when the server publishes none
  std::string document;    // the JSON object as served
  std::string source_url;  // where it was found
  std::string cache_control;  // the response's Cache-Control, when fetched
};

// Where to look for `issuer`'s metadata, in order: RFC 8414 with path insertion,
// then OpenID Connect with path insertion (issuers with a path only), then OpenID
// Connect appended to the issuer (OIDC Discovery §4).
std::vector<std::string> DiscoveryUrls(std::string_view issuer);

// Parses a metadata document and checks its issuer equals `expected_issuer`.
absl::StatusOr<AuthorizationServerMetadata> ParseAuthorizationServerMetadata(
    std::string_view body, std::string_view expected_issuer, std::string source_url);

// Fetches metadata for `issuer`, trying each DiscoveryUrls entry until one answers
// 200 with a document for that issuer. A document naming another issuer stops the
// search with an error.
absl::StatusOr<AuthorizationServerMetadata> DiscoverAuthorizationServer(HttpFetcher& fetcher,
                                                                        const std::string& issuer);

class AuthorizationServerDirectory {
 public:
  AuthorizationServerDirectory(HttpFetcher* fetcher, KeyValueStore* cache, absl::Duration cache_ttl,
                               prometheus::Registry* registry, const Clock* clock = SystemClock::Get());

  // Metadata for `issuer`: from process memory, then the shared cache, then the
  // network. While refreshes fail, the last good document keeps being served.
  absl::StatusOr<std::shared_ptr<const AuthorizationServerMetadata>> Lookup(const std::string& issuer);

 private:
  struct Entry {
    std::mutex fetch_mu;  // one discovery per issuer at a time
    std::shared_ptr<const AuthorizationServerMetadata> metadata;
    absl::Time expires = absl::InfinitePast();
    absl::Time next_attempt = absl::InfinitePast();
    absl::Status last_failure;  // answered until next_attempt when nothing is cached
  };
  Entry& EntryFor(const std::string& issuer);
  std::shared_ptr<const AuthorizationServerMetadata> ReadShared(const std::string& issuer, absl::Time* expires);
  void WriteShared(const AuthorizationServerMetadata& metadata, absl::Duration ttl);
  void CountCache(const char* result);

  HttpFetcher* fetcher_;
  KeyValueStore* cache_;
  absl::Duration cache_ttl_;
  const Clock* clock_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> entries_;
  prometheus::Family<prometheus::Counter>* fetches_ = nullptr;
  prometheus::Family<prometheus::Counter>* cache_requests_ = nullptr;
};

}  // namespace mcpauth
