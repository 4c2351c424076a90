#include "services/common/discovery.h"

#include <algorithm>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth {
namespace {

constexpr std::string_view kOAuthWellKnown = "/.well-known/oauth-authorization-server";
constexpr std::string_view kOidcWellKnown = "/.well-known/openid-configuration";

std::string SharedKey(const std::string& issuer) {
  return StrCat(kRedisKeyPrefix, "as-metadata:", issuer);
}

// Refreshing starts this long before a document expires, so lookups keep finding
// it fresh: a tenth of its lifetime, at most 30 s.
absl::Time RefreshAt(absl::Time now, absl::Time fresh_until) {
  return fresh_until - std::min((fresh_until - now) / 10, absl::Seconds(30));
}

}  // namespace

std::vector<std::string> DiscoveryUrls(std::string_view issuer) {
  auto parsed = ParseUri(issuer);
  if (!parsed.ok()) return {};
  const std::string origin = StrCat(std::string(parsed->scheme()), "://",
                                          std::string(parsed->encoded_authority()));
  std::string path(parsed->encoded_path());
  // RFC 8414 §3.1: a terminating "/" of the issuer's path is removed before insertion.
  while (path.ends_with("/")) path.pop_back();
  std::vector<std::string> urls = {StrCat(origin, kOAuthWellKnown, path)};
  if (!path.empty()) urls.push_back(StrCat(origin, kOidcWellKnown, path));
  std::string_view trimmed = issuer;
  if (trimmed.ends_with("/")) trimmed.remove_suffix(1);
  urls.push_back(StrCat(trimmed, kOidcWellKnown));
  return urls;
}

absl::StatusOr<AuthorizationServerMetadata> ParseAuthorizationServerMetadata(
    std::string_view body, std::string_view expected_issuer, std::string source_url) {
  boost::json::value doc;
  if (ParseStrictJson(body, doc) != JsonParseError::kNone || !doc.is_object()) {
    return absl::InvalidArgumentError(StrCat(source_url, ": not a JSON object"));
  }
  const boost::json::object& object = doc.get_object();
  AuthorizationServerMetadata out;
  out.issuer = StringMember(object, "issuer").value_or("");
  if (out.issuer != expected_issuer) {
    return absl::PermissionDeniedError(StrCat(source_url, ": document names issuer \"", out.issuer,
                                                    "\", expected exactly \"", expected_issuer, "\""));
  }
  if (const boost::json::value* jwks = FindMember(object, "jwks_uri")) {
    if (!jwks->is_string()) return absl::InvalidArgumentError(StrCat(source_url, ": jwks_uri is not a string"));
    out.jwks_uri = std::string(jwks->get_string());
    if (absl::Status s = CheckFetchUrl(out.jwks_uri); !s.ok()) {
      return absl::InvalidArgumentError(StrCat(source_url, ": jwks_uri: ", s.message()));
    }
  }
  out.document = std::string(body);
  out.source_url = std::move(source_url);
  return out;
}

absl::StatusOr<AuthorizationServerMetadata> DiscoverAuthorizationServer(HttpFetcher& fetcher,
                                                                        const std::string& issuer) {
  const std::vector<std::string> urls = DiscoveryUrls(issuer);
  if (urls.empty()) return absl::InvalidArgumentError(StrCat("issuer is not a URL: \"", issuer, "\""));
  std::string failures;
  bool unusable_document = false;
  for (const std::string& url : urls) {
    auto response = fetcher.Get(url);
    if (!response.ok()) {
      StrAppend(failures, failures.empty() ? "" : "; ", response.status().message());
      continue;
    }
    if (response->status != 200) {
      StrAppend(failures, failures.empty() ? "" : "; ", url, ": HTTP ", response->status);
      continue;
    }
    auto metadata = ParseAuthorizationServerMetadata(response->body, issuer, url);
    // A document for another issuer is refused outright, not skipped over.
    if (!metadata.ok() && metadata.status().code() == absl::StatusCode::kPermissionDenied) return metadata;
    if (metadata.ok()) {
      metadata->cache_control = response->cache_control;
      return metadata;
    }
    unusable_document = true;
    StrAppend(failures, failures.empty() ? "" : "; ", metadata.status().message());
  }
  const std::string message = StrCat("no metadata for issuer \"", issuer, "\": ", failures);
  return unusable_document ? absl::InvalidArgumentError(message) : absl::UnavailableError(message);
}

const char* DiscoveryResultLabel(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return "success";
    case absl::StatusCode::kPermissionDenied: return "issuer_mismatch";
    case absl::StatusCode::kInvalidArgument: return "invalid";
    default: return "unavailable";
  }
}

AuthorizationServerDirectory::AuthorizationServerDirectory(HttpFetcher* fetcher, KeyValueStore* cache,
                                                           absl::Duration cache_ttl,
                                                           prometheus::Registry* registry,
                                                           const Clock* clock)
    : fetcher_(fetcher), cache_(cache), cache_ttl_(cache_ttl), clock_(clock) {
  if (registry != nullptr) {
    fetches_ = &prometheus::BuildCounter()
                    .Name("mcpauth_discovery_fetches_total")
                    .Help("Authorization-server metadata discoveries, by result (success, issuer_mismatch, "
                          "invalid, unavailable)")
                    .Register(*registry);
    cache_requests_ = &CacheRequestsFamily(*registry);
  }
}

void AuthorizationServerDirectory::CountCache(const char* result) {
  if (cache_requests_) cache_requests_->Add({{"cache", "discovery"}, {"result", result}}).Increment();
}

absl::Duration AuthorizationServerDirectory::Backoff(int consecutive_failures) const {
  // 1 s, 2 s, 4 s, ... up to 30 s (or the cache lifetime, when shorter).
  const absl::Duration cap = std::min(cache_ttl_, absl::Seconds(30));
  const int doublings = std::clamp(consecutive_failures - 1, 0, 10);
  return std::min(absl::Seconds(1) * (int64_t{1} << doublings), cap);
}

AuthorizationServerDirectory::Entry& AuthorizationServerDirectory::EntryFor(const std::string& issuer) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = entries_[issuer];
  if (!slot) slot = std::make_unique<Entry>();
  return *slot;
}

std::shared_ptr<const AuthorizationServerMetadata> AuthorizationServerDirectory::ReadShared(
    const std::string& issuer, absl::Time* expires) {
  if (cache_ == nullptr) return nullptr;
  auto stored = cache_->Get(SharedKey(issuer));
  if (!stored.ok() || !stored->has_value()) return nullptr;
  boost::json::value v;
  if (ParseStrictJson(**stored, v) != JsonParseError::kNone || !v.is_object()) return nullptr;
  const auto& o = v.get_object();
  auto document = StringMember(o, "document");
  auto source = StringMember(o, "source_url");
  const boost::json::value* exp = FindMember(o, "expires_at");
  if (!document || !source || exp == nullptr || !NumberValue(*exp)) return nullptr;
  // Checked again: a shared store is not trusted to hold only what we wrote.
  auto metadata = ParseAuthorizationServerMetadata(*document, issuer, *source);
  if (!metadata.ok()) return nullptr;
  metadata->cache_control = StringMember(o, "cache_control").value_or("");
  if (const boost::json::value* fetched = FindMember(o, "fetched_at"); fetched && NumberValue(*fetched)) {
    metadata->fetched_at = absl::FromUnixSeconds(static_cast<int64_t>(*NumberValue(*fetched)));
  }
  *expires = absl::FromUnixSeconds(static_cast<int64_t>(*NumberValue(*exp)));
  return std::make_shared<const AuthorizationServerMetadata>(std::move(*metadata));
}

void AuthorizationServerDirectory::WriteShared(const AuthorizationServerMetadata& metadata, absl::Time expires,
                                               absl::Duration ttl) {
  if (cache_ == nullptr) return;
  boost::json::object o;
  o["document"] = metadata.document;
  o["source_url"] = metadata.source_url;
  o["cache_control"] = metadata.cache_control;
  o["fetched_at"] = absl::ToUnixSeconds(metadata.fetched_at);
  o["expires_at"] = absl::ToUnixSeconds(expires);
  (void)cache_->Set(SharedKey(metadata.issuer), ToJson(o), ttl);
}

void AuthorizationServerDirectory::Store(Entry& entry, std::shared_ptr<const AuthorizationServerMetadata> metadata,
                                         absl::Time now, absl::Time fresh_until) {
  std::lock_guard<std::mutex> lock(entry.mu);
  entry.metadata = std::move(metadata);
  entry.fresh_until = fresh_until;
  entry.refresh_at = RefreshAt(now, fresh_until);
  entry.consecutive_failures = 0;
  entry.next_attempt = absl::InfinitePast();
  entry.last_failure = absl::OkStatus();
}

bool AuthorizationServerDirectory::AdoptShared(Entry& entry, const std::string& issuer, absl::Time now) {
  absl::Time shared_expires;
  std::shared_ptr<const AuthorizationServerMetadata> shared = ReadShared(issuer, &shared_expires);
  if (!shared || now >= shared_expires) return false;
  {
    // Only a copy newer than ours (another replica refreshed it) is worth taking.
    std::lock_guard<std::mutex> lock(entry.mu);
    if (entry.metadata && shared_expires <= entry.fresh_until) return false;
  }
  Store(entry, std::move(shared), now, shared_expires);
  return true;
}

absl::Status AuthorizationServerDirectory::Discover(Entry& entry, const std::string& issuer, absl::Time now) {
  auto discovered = DiscoverAuthorizationServer(*fetcher_, issuer);
  const char* result = DiscoveryResultLabel(discovered.status());
  if (fetches_) fetches_->Add({{"result", result}}).Increment();
  if (!discovered.ok()) {
    bool serving_stale = false;
    absl::Duration retry;
    {
      std::lock_guard<std::mutex> lock(entry.mu);
      retry = Backoff(++entry.consecutive_failures);
      entry.next_attempt = now + retry;
      entry.last_failure = discovered.status();
      serving_stale = entry.metadata != nullptr;
    }
    // A mismatch is a mix-up attack or a misconfiguration; either needs a human.
    (discovered.status().code() == absl::StatusCode::kPermissionDenied ? log::Error : log::Warn)(
        "authorization server discovery failed",
        {{"issuer", issuer}, {"result", result}, {"error", std::string(discovered.status().message())},
         {"serving_stale", serving_stale}, {"retry_in_seconds", absl::ToInt64Seconds(retry)}});
    return discovered.status();
  }
  discovered->fetched_at = now;
  const absl::Duration ttl = EffectiveCacheTtl(cache_ttl_, discovered->cache_control);
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(entry.mu);
    first = entry.metadata == nullptr;
  }
  auto metadata = std::make_shared<const AuthorizationServerMetadata>(std::move(*discovered));
  Store(entry, metadata, now, now + ttl);
  WriteShared(*metadata, now + ttl, ttl);
  (first ? log::Info : log::Debug)("authorization server discovered",
                                   {{"issuer", issuer},
                                    {"source", metadata->source_url},
                                    {"jwks_uri", metadata->jwks_uri},
                                    {"ttl_seconds", absl::ToInt64Seconds(ttl)}});
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const AuthorizationServerMetadata>> AuthorizationServerDirectory::Lookup(
    const std::string& issuer) {
  auto found = Find(issuer);
  if (!found.ok()) return found.status();
  return std::move(found->metadata);
}

std::shared_ptr<const AuthorizationServerMetadata> AuthorizationServerDirectory::FindFresh(
    const std::string& issuer) {
  Entry& entry = EntryFor(issuer);
  std::lock_guard<std::mutex> lock(entry.mu);
  if (!entry.metadata || clock_->Now() >= entry.fresh_until) return nullptr;
  CountCache("hit");
  return entry.metadata;
}

absl::StatusOr<CachedAuthorizationServerMetadata> AuthorizationServerDirectory::Find(const std::string& issuer) {
  Entry& entry = EntryFor(issuer);
  auto held = [&entry] {
    std::lock_guard<std::mutex> lock(entry.mu);
    return CachedAuthorizationServerMetadata{entry.metadata, entry.fresh_until, false};
  };
  auto as_stale = [](CachedAuthorizationServerMetadata answer) {
    answer.stale = true;
    return answer;
  };

  CachedAuthorizationServerMetadata answer = held();
  if (answer.metadata && clock_->Now() < answer.fresh_until) {
    CountCache("hit");
    return answer;
  }
  std::unique_lock<std::mutex> fetch_lock(entry.fetch_mu, std::defer_lock);
  if (answer.metadata) {
    if (!fetch_lock.try_lock()) {
      // Another thread is refreshing it: answer with what we have.
      CountCache("stale");
      return as_stale(std::move(answer));
    }
  } else {
    fetch_lock.lock();  // wait for a discovery in flight rather than start another
  }
  const absl::Time now = clock_->Now();
  answer = held();
  if (answer.metadata && now < answer.fresh_until) {
    CountCache("hit");
    return answer;
  }
  if (AdoptShared(entry, issuer, now)) {
    CountCache("shared_hit");
    return held();
  }
  absl::Status last_failure;
  bool in_backoff = false;
  {
    std::lock_guard<std::mutex> lock(entry.mu);
    in_backoff = now < entry.next_attempt;
    last_failure = entry.last_failure;
  }
  if (in_backoff) {
    // Discovery failed moments ago: do not send every request to a dead server.
    CountCache(answer.metadata ? "stale" : "negative");
    if (answer.metadata) return as_stale(std::move(answer));
    return last_failure;
  }
  CountCache("miss");
  absl::Status discovered = Discover(entry, issuer, now);
  answer = held();
  if (discovered.ok()) return answer;
  if (answer.metadata) return as_stale(std::move(answer));
  return discovered;
}

absl::Status AuthorizationServerDirectory::Refresh(const std::string& issuer) {
  Entry& entry = EntryFor(issuer);
  std::lock_guard<std::mutex> fetch_lock(entry.fetch_mu);
  const absl::Time now = clock_->Now();
  auto fresh_enough = [&entry, now] {
    std::lock_guard<std::mutex> lock(entry.mu);
    return entry.metadata != nullptr && now < entry.refresh_at;
  };
  if (fresh_enough()) return absl::OkStatus();
  if (AdoptShared(entry, issuer, now)) {
    CountCache("shared_hit");
    if (fresh_enough()) return absl::OkStatus();
  }
  {
    std::lock_guard<std::mutex> lock(entry.mu);
    if (now < entry.next_attempt) return entry.last_failure;
  }
  CountCache("miss");
  return Discover(entry, issuer, now);
}

absl::Time AuthorizationServerDirectory::NextRefresh(const std::string& issuer) {
  Entry& entry = EntryFor(issuer);
  std::lock_guard<std::mutex> lock(entry.mu);
  if (entry.consecutive_failures > 0) return entry.next_attempt;
  if (entry.metadata) return entry.refresh_at;
  return absl::InfinitePast();  // never tried: due now
}

DiscoveryRefresher::DiscoveryRefresher(AuthorizationServerDirectory* directory, std::vector<std::string> issuers,
                                       const Clock* clock)
    : directory_(directory), issuers_(std::move(issuers)), clock_(clock) {}

DiscoveryRefresher::~DiscoveryRefresher() { Stop(); }

void DiscoveryRefresher::Start() {
  if (thread_.joinable() || issuers_.empty()) return;
  thread_ = std::thread([this] { Loop(); });
}

void DiscoveryRefresher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::Time DiscoveryRefresher::RunOnce() {
  absl::Time next = absl::InfiniteFuture();
  for (const std::string& issuer : issuers_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    (void)directory_->Refresh(issuer);  // failures are logged and counted there
    next = std::min(next, directory_->NextRefresh(issuer));
  }
  return next;
}

void DiscoveryRefresher::Loop() {
  while (true) {
    const absl::Time next = RunOnce();
    // Bounded both ways: never spin, and notice a wall-clock jump within minutes.
    const absl::Duration wait = std::clamp(next - clock_->Now(), absl::Milliseconds(100), absl::Minutes(5));
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_for(lock, absl::ToChronoNanoseconds(wait), [this] { return stopping_; })) return;
  }
}

}  // namespace mcpauth
