#include "services/common/discovery.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "services/common/strings.h"
#include "services/common/json.h"
#include "services/common/log.h"
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
    StrAppend(failures, failures.empty() ? "" : "; ", metadata.status().message());
  }
  return absl::UnavailableError(StrCat("no metadata for issuer \"", issuer, "\": ", failures));
}

AuthorizationServerDirectory::AuthorizationServerDirectory(HttpFetcher* fetcher, KeyValueStore* cache,
                                                           absl::Duration cache_ttl,
                                                           prometheus::Registry* registry,
                                                           const Clock* clock)
    : fetcher_(fetcher), cache_(cache), cache_ttl_(cache_ttl), clock_(clock) {
  if (registry != nullptr) {
    fetches_ = &prometheus::BuildCounter()
                    .Name("mcpauth_discovery_fetches_total")
                    .Help("Authorization-server metadata discoveries, by result")
                    .Register(*registry);
    cache_requests_ = &CacheRequestsFamily(*registry);
  }
}

void AuthorizationServerDirectory::CountCache(const char* result) {
  if (cache_requests_) cache_requests_->Add({{"cache", "discovery"}, {"result", result}}).Increment();
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
  auto metadata = ParseAuthorizationServerMetadata(*document, issuer, *source);
  if (!metadata.ok()) return nullptr;
  *expires = absl::FromUnixSeconds(static_cast<int64_t>(*NumberValue(*exp)));
  return std::make_shared<const AuthorizationServerMetadata>(std::move(*metadata));
}

void AuthorizationServerDirectory::WriteShared(const AuthorizationServerMetadata& metadata,
                                               absl::Duration ttl) {
  if (cache_ == nullptr) return;
  boost::json::object o;
  o["document"] = metadata.document;
  o["source_url"] = metadata.source_url;
  o["expires_at"] = absl::ToUnixSeconds(clock_->Now() + ttl);
  (void)cache_->Set(SharedKey(metadata.issuer), ToJson(o), ttl);
}

absl::StatusOr<std::shared_ptr<const AuthorizationServerMetadata>> AuthorizationServerDirectory::Lookup(
    const std::string& issuer) {
  Entry& entry = EntryFor(issuer);
  std::lock_guard<std::mutex> fetch_lock(entry.fetch_mu);
  const absl::Time now = clock_->Now();
  if (entry.metadata && now < entry.expires) {
    CountCache("hit");
    return entry.metadata;
  }
  absl::Time shared_expires;
  if (auto shared = ReadShared(issuer, &shared_expires); shared && now < shared_expires) {
    CountCache("shared_hit");
    entry.metadata = shared;
    entry.expires = shared_expires;
    return entry.metadata;
  }
  if (now < entry.next_attempt) {
    // Discovery failed moments ago: do not send every request to a dead server.
    CountCache(entry.metadata ? "stale" : "negative");
    if (entry.metadata) return entry.metadata;
    return entry.last_failure;
  }
  CountCache("miss");
  auto discovered = DiscoverAuthorizationServer(*fetcher_, issuer);
  if (!discovered.ok()) {
    if (fetches_) fetches_->Add({{"result", "failure"}}).Increment();
    entry.next_attempt = now + std::min(cache_ttl_, absl::Seconds(30));
    entry.last_failure = discovered.status();
    log::Warn("authorization server discovery failed",
              {{"issuer", issuer}, {"error", std::string(discovered.status().message())},
               {"serving_stale", entry.metadata != nullptr}});
    if (entry.metadata) return entry.metadata;
    return discovered.status();
  }
  if (fetches_) fetches_->Add({{"result", "success"}}).Increment();
  const absl::Duration ttl = EffectiveCacheTtl(cache_ttl_, discovered->cache_control);
  entry.metadata = std::make_shared<const AuthorizationServerMetadata>(std::move(*discovered));
  entry.expires = now + ttl;
  WriteShared(*entry.metadata, ttl);
  log::Info("authorization server discovered",
            {{"issuer", issuer}, {"source", entry.metadata->source_url}, {"jwks_uri", entry.metadata->jwks_uri}});
  return entry.metadata;
}

}  // namespace mcpauth
