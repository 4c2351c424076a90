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
  // The endpoints the suite calls: absent is allowed, anything else must be a URL it may fetch.
  for (auto [name, field] : {std::pair{"jwks_uri", &out.jwks_uri},
                             std::pair{"introspection_endpoint", &out.introspection_endpoint}}) {
    const boost::json::value* value = FindMember(object, name);
    if (value == nullptr) continue;
    if (!value->is_string()) return absl::InvalidArgumentError(StrCat(source_url, ": ", name, " is not a string"));
    *field = std::string(value->get_string());
    if (absl::Status s = CheckFetchUrl(*field); !s.ok()) {
      return absl::InvalidArgumentError(StrCat(source_url, ": ", name, ": ", s.message()));
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
    : fetcher_(fetcher),
      cache_(cache),
      cache_ttl_(cache_ttl),
      fetches_(registry ? &prometheus::BuildCounter()
                               .Name("mcpauth_discovery_fetches_total")
                               .Help("Authorization-server metadata discoveries, by result (success, "
                                     "issuer_mismatch, invalid, unavailable)")
                               .Register(*registry)
                        : nullptr),
      cache_requests_(registry ? &CacheRequestsFamily(*registry) : nullptr),
      // Retries: 1 s, 2 s, 4 s, ... up to 30 s (or the cache lifetime, when shorter).
      directory_(
          RefreshingCacheHooks<AuthorizationServerMetadata>{
              .read_shared = [this](const std::string& issuer) { return ReadShared(issuer); },
              .load = [this](const std::string& issuer, absl::Time now,
                             const AuthorizationServerMetadata* held) { return Discover(issuer, now, held); },
              .count =
                  [this](const char* result) {
                    if (cache_requests_) cache_requests_->Add({{"cache", "discovery"}, {"result", result}}).Increment();
                  },
              .failed =
                  [](const std::string& issuer, const absl::Status& failure, bool serving_stale, absl::Duration retry) {
                    // A mismatch is a mix-up attack or a misconfiguration; either needs a human.
                    (failure.code() == absl::StatusCode::kPermissionDenied ? log::Error : log::Warn)(
                        "authorization server discovery failed",
                        {{"issuer", issuer}, {"result", DiscoveryResultLabel(failure)},
                         {"error", std::string(failure.message())}, {"serving_stale", serving_stale},
                         {"retry_in_seconds", absl::ToInt64Seconds(retry)}});
                  }},
          RefreshingCacheOptions{.max_backoff = std::min(cache_ttl, absl::Seconds(30))}, clock) {}

std::optional<CachedValue<AuthorizationServerMetadata>> AuthorizationServerDirectory::ReadShared(
    const std::string& issuer) {
  if (cache_ == nullptr) return std::nullopt;
  auto stored = cache_->Get(SharedKey(issuer));
  if (!stored.ok() || !stored->has_value()) return std::nullopt;
  boost::json::value v;
  if (ParseStrictJson(**stored, v) != JsonParseError::kNone || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  auto document = StringMember(o, "document");
  auto source = StringMember(o, "source_url");
  auto fetched = UnixMillisMember(o, "fetched_at_ms");
  auto expires = UnixMillisMember(o, "expires_at_ms");
  if (!document || !source || !fetched || !expires) return std::nullopt;
  // Checked again: a shared store is not trusted to hold only what we wrote.
  auto metadata = ParseAuthorizationServerMetadata(*document, issuer, *source);
  if (!metadata.ok()) return std::nullopt;
  metadata->cache_control = StringMember(o, "cache_control").value_or("");
  metadata->fetched_at = *fetched;
  return CachedValue<AuthorizationServerMetadata>{
      std::make_shared<const AuthorizationServerMetadata>(std::move(*metadata)), *fetched, *expires};
}

void AuthorizationServerDirectory::WriteShared(const AuthorizationServerMetadata& metadata, absl::Time expires,
                                               absl::Duration ttl) {
  if (cache_ == nullptr) return;
  boost::json::object o;
  o["document"] = metadata.document;
  o["source_url"] = metadata.source_url;
  o["cache_control"] = metadata.cache_control;
  o["fetched_at_ms"] = absl::ToUnixMillis(metadata.fetched_at);
  o["expires_at_ms"] = absl::ToUnixMillis(expires);
  (void)cache_->Set(SharedKey(metadata.issuer), ToJson(o), ttl);
}

absl::StatusOr<CachedValue<AuthorizationServerMetadata>> AuthorizationServerDirectory::Discover(
    const std::string& issuer, absl::Time now, const AuthorizationServerMetadata* held) {
  auto discovered = DiscoverAuthorizationServer(*fetcher_, issuer);
  if (fetches_) fetches_->Add({{"result", DiscoveryResultLabel(discovered.status())}}).Increment();
  if (!discovered.ok()) return discovered.status();
  discovered->fetched_at = now;
  const absl::Duration ttl = EffectiveCacheTtl(cache_ttl_, discovered->cache_control);
  auto metadata = std::make_shared<const AuthorizationServerMetadata>(std::move(*discovered));
  WriteShared(*metadata, now + ttl, ttl);
  (held == nullptr ? log::Info : log::Debug)("authorization server discovered",
                                             {{"issuer", issuer},
                                              {"source", metadata->source_url},
                                              {"jwks_uri", metadata->jwks_uri},
                                              {"ttl_seconds", absl::ToInt64Seconds(ttl)}});
  return CachedValue<AuthorizationServerMetadata>{metadata, now, now + ttl};
}

absl::StatusOr<std::shared_ptr<const AuthorizationServerMetadata>> AuthorizationServerDirectory::Lookup(
    const std::string& issuer) {
  auto found = Find(issuer);
  if (!found.ok()) return found.status();
  return std::move(found->metadata);
}

std::shared_ptr<const AuthorizationServerMetadata> AuthorizationServerDirectory::FindFresh(
    const std::string& issuer) {
  return directory_.GetFresh(issuer);
}

absl::StatusOr<CachedAuthorizationServerMetadata> AuthorizationServerDirectory::Find(const std::string& issuer) {
  auto found = directory_.Get(issuer);
  if (!found.ok()) return found.status();
  return CachedAuthorizationServerMetadata{std::move(found->value), found->fresh_until, found->stale};
}

absl::Status AuthorizationServerDirectory::Refresh(const std::string& issuer) { return directory_.Refresh(issuer); }

absl::Time AuthorizationServerDirectory::NextRefresh(const std::string& issuer) {
  return directory_.NextRefresh(issuer);
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
