#include "services/token_validation/jwks_cache.h"

#include <fstream>
#include <sstream>

#include "services/common/strings.h"
#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/sha256.h"

namespace mcpauth::tv {
namespace {

std::string SharedKey(const std::string& source) {
  return StrCat(kRedisKeyPrefix, "jwks:", HexEncode(Sha256(source)));
}

bool IsFileSource(const std::string& source) { return source.starts_with(kFileSourcePrefix); }

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(StrCat("cannot read JWKS file \"", path, "\""));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

JwksCache::JwksCache(JwksCacheOptions options, HttpFetcher* fetcher, KeyValueStore* shared,
                     TokenValidationMetrics* metrics, const Clock* clock)
    : options_(options),
      fetcher_(fetcher),
      shared_(shared),
      metrics_(metrics),
      clock_(clock),
      cache_(
          RefreshingCacheHooks<KeySet>{
              .read_shared = [this](const std::string& source) { return ReadShared(source); },
              .load = [this](const std::string& source, absl::Time now, const KeySet*) { return Load(source, now); },
              .count = [this](const char* result) { if (metrics_) metrics_->CountCache("jwks", result); },
              .installed =
                  [this](const std::string& source, const KeySet& keys) {
                    if (metrics_) metrics_->SetJwksKeys(source, keys.keys.size());
                  },
              .failed =
                  [](const std::string& source, const absl::Status& failure, bool serving_stale, absl::Duration retry) {
                    log::Warn("jwks load failed", {{"source", source},
                                                   {"error", std::string(failure.message())},
                                                   {"serving_stale", serving_stale},
                                                   {"retry_in_seconds", absl::ToInt64Seconds(retry)}});
                  }},
          RefreshingCacheOptions{.max_stale = options.max_stale,
                                 .max_backoff = std::clamp(options.refetch_interval, absl::Seconds(1), absl::Seconds(30))},
          clock) {}

absl::StatusOr<std::shared_ptr<const KeySet>> JwksCache::KeysFor(const std::string& source) {
  auto found = cache_.Get(source);
  if (!found.ok()) return found.status();
  return std::move(found->value);
}

std::shared_ptr<const KeySet> JwksCache::FreshKeys(const std::string& source) { return cache_.GetFresh(source); }

bool JwksCache::TakeRefetchToken(const std::string& source) {
  const double per_second = 1.0 / std::max(absl::ToDoubleSeconds(options_.refetch_interval), 1e-3);
  const absl::Time now = clock_->Now();
  std::lock_guard<std::mutex> lock(buckets_mu_);
  auto [it, inserted] = buckets_.try_emplace(source, TokenBucket::Full(1, now));
  return it->second.Take(now, per_second, 1);
}

absl::StatusOr<std::shared_ptr<const KeySet>> JwksCache::RefreshForUnknownKid(const std::string& source,
                                                                             std::string_view kid) {
  using Outcome = RefreshingCache<KeySet>::LoadForOutcome;
  Outcome outcome;
  auto keys = cache_.LoadFor(
      source, [kid](const KeySet& set) { return set.HasKid(kid); }, [&] { return TakeRefetchToken(source); },
      &outcome);
  if (metrics_) {
    switch (outcome) {
      case Outcome::kSatisfied:
        break;
      case Outcome::kBusy:
        metrics_->CountUnknownKid("load_in_progress");
        break;
      case Outcome::kDeclined:
        metrics_->CountUnknownKid("debounced");
        break;
      case Outcome::kLoaded:
        metrics_->CountUnknownKid("refetched");
        if (keys.ok() && (*keys)->HasKid(kid)) metrics_->CountUnknownKid("found_after_refetch");
        break;
    }
  }
  return keys;
}

std::optional<CachedValue<KeySet>> JwksCache::ReadShared(const std::string& source) {
  if (shared_ == nullptr || IsFileSource(source)) return std::nullopt;
  auto stored = shared_->Get(SharedKey(source));
  if (!stored.ok() || !stored->has_value()) return std::nullopt;
  boost::json::value v;
  if (ParseStrictJson(**stored, v) != JsonParseError::kNone || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  auto body = StringMember(o, "body");
  auto fetched = UnixMillisMember(o, "fetched_at_ms");
  auto expires = UnixMillisMember(o, "expires_at_ms");
  if (!body || !fetched || !expires) return std::nullopt;
  auto set = ParseJwks(*body);
  if (!set.ok() || set->keys.empty()) return std::nullopt;
  return CachedValue<KeySet>{std::make_shared<const KeySet>(std::move(*set)), *fetched, *expires};
}

void JwksCache::WriteShared(const std::string& source, const std::string& body, const CachedValue<KeySet>& loaded) {
  if (shared_ == nullptr || IsFileSource(source)) return;
  boost::json::object o;
  o["body"] = body;
  o["fetched_at_ms"] = absl::ToUnixMillis(loaded.fetched_at);
  o["expires_at_ms"] = absl::ToUnixMillis(loaded.fresh_until);
  (void)shared_->Set(SharedKey(source), ToJson(o), loaded.fresh_until - clock_->Now());
}

absl::StatusOr<CachedValue<KeySet>> JwksCache::Load(const std::string& source, absl::Time now) {
  absl::Status failure;
  std::string body, cache_control;
  if (IsFileSource(source)) {
    auto text = ReadFile(source.substr(kFileSourcePrefix.size()));
    if (text.ok()) body = std::move(*text); else failure = text.status();
  } else {
    auto response = fetcher_->Get(source);
    if (!response.ok()) {
      failure = response.status();
    } else if (response->status != 200) {
      failure = absl::UnavailableError(StrCat("GET ", source, ": HTTP ", response->status));
    } else {
      body = std::move(response->body);
      cache_control = std::move(response->cache_control);
    }
  }
  const char* result = "failure";
  if (failure.ok()) {
    auto set = ParseJwks(body);
    if (!set.ok()) {
      failure = absl::UnavailableError(StrCat(source, ": ", set.status().message()));
      result = "rejected";
    } else if (set->keys.empty()) {
      failure = absl::UnavailableError(StrCat(source, ": no usable key in the set",
                                                    set->skipped.empty() ? "" : " (",
                                                    StrJoin(set->skipped, "; "),
                                                    set->skipped.empty() ? "" : ")"));
      result = "rejected";
    } else {
      if (!set->skipped.empty()) {
        log::Warn("jwks keys skipped", {{"source", source}, {"skipped", StrJoin(set->skipped, "; ")},
                                        {"usable", set->keys.size()}});
      }
      CachedValue<KeySet> loaded{std::make_shared<const KeySet>(std::move(*set)), now,
                                 now + EffectiveCacheTtl(options_.ttl, cache_control)};
      WriteShared(source, body, loaded);
      if (metrics_) metrics_->CountJwksFetch(source, "success");
      log::Info("jwks loaded", {{"source", source}, {"keys", loaded.value->keys.size()},
                                {"ttl_seconds", absl::ToInt64Seconds(loaded.fresh_until - now)}});
      return loaded;
    }
  }
  if (metrics_) metrics_->CountJwksFetch(source, result);
  return absl::UnavailableError(StrCat("no keys available: ", failure.message()));
}

}  // namespace mcpauth::tv
