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
    : options_(options), fetcher_(fetcher), shared_(shared), metrics_(metrics), clock_(clock) {}

JwksCache::Entry& JwksCache::EntryFor(const std::string& source) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = entries_[source];
  if (!slot) slot = std::make_unique<Entry>();
  return *slot;
}

absl::StatusOr<std::shared_ptr<const KeySet>> JwksCache::KeysFor(const std::string& source) {
  Entry& entry = EntryFor(source);
  if (auto fresh = FreshIn(entry)) return fresh;
  std::unique_lock<std::mutex> load_lock(entry.load_mu, std::try_to_lock);
  if (!load_lock.owns_lock()) {
    // Someone is loading already: use the stale set if there is one, else wait.
    {
      std::lock_guard<std::mutex> lock(entry.mu);
      if (entry.keys) {
        if (metrics_) metrics_->CountCache("jwks", "stale");
        return entry.keys;
      }
    }
    load_lock.lock();
  }
  {
    std::lock_guard<std::mutex> lock(entry.mu);
    const absl::Time now = clock_->Now();
    if (entry.keys && now < entry.expires) {
      if (metrics_) metrics_->CountCache("jwks", "hit");
      return entry.keys;
    }
    if (now < entry.retry_after) {
      // A load failed moments ago: answer from what we have (stale keys, or the
      // failure) instead of letting every request wait on the same dead source.
      if (metrics_) metrics_->CountCache("jwks", entry.keys ? "stale" : "negative");
      if (entry.keys) return entry.keys;
      return entry.last_failure;
    }
  }
  if (metrics_) metrics_->CountCache("jwks", "miss");
  return Load(entry, source);
}

std::shared_ptr<const KeySet> JwksCache::FreshKeys(const std::string& source) { return FreshIn(EntryFor(source)); }

std::shared_ptr<const KeySet> JwksCache::FreshIn(Entry& entry) {
  std::lock_guard<std::mutex> lock(entry.mu);
  if (!entry.keys || clock_->Now() >= entry.expires) return nullptr;
  if (metrics_) metrics_->CountCache("jwks", "hit");
  return entry.keys;
}

absl::StatusOr<std::shared_ptr<const KeySet>> JwksCache::RefreshForUnknownKid(const std::string& source,
                                                                             std::string_view kid) {
  Entry& entry = EntryFor(source);
  std::unique_lock<std::mutex> load_lock(entry.load_mu, std::try_to_lock);
  if (!load_lock.owns_lock()) {
    // A load is under way. Waiting for it would let a flood of made-up kids hold
    // every thread for as long as a slow key source takes; the set in hand answers.
    std::lock_guard<std::mutex> lock(entry.mu);
    if (metrics_) metrics_->CountUnknownKid("load_in_progress");
    if (entry.keys) return entry.keys;
    return absl::UnavailableError(StrCat("no keys available yet from ", source, " (a load is under way)"));
  }
  {
    std::lock_guard<std::mutex> lock(entry.mu);
    if (entry.keys && entry.keys->HasKid(kid)) return entry.keys;
    if (clock_->Now() < entry.last_attempt + options_.refetch_interval) {
      if (metrics_) metrics_->CountUnknownKid("debounced");
      if (entry.keys) return entry.keys;
    }
  }
  if (metrics_) metrics_->CountUnknownKid("refetched");
  auto keys = Load(entry, source, kid);
  if (keys.ok() && (*keys)->HasKid(kid) && metrics_) metrics_->CountUnknownKid("found_after_refetch");
  return keys;
}

std::optional<JwksCache::Loaded> JwksCache::ReadShared(const std::string& source) {
  if (shared_ == nullptr || IsFileSource(source)) return std::nullopt;
  auto stored = shared_->Get(SharedKey(source));
  if (!stored.ok() || !stored->has_value()) return std::nullopt;
  boost::json::value v;
  if (ParseStrictJson(**stored, v) != JsonParseError::kNone || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  auto body = StringMember(o, "body");
  const boost::json::value* fetched = FindMember(o, "fetched_at_ms");
  const boost::json::value* expires = FindMember(o, "expires_at_ms");
  if (!body || fetched == nullptr || expires == nullptr || !NumberValue(*fetched) || !NumberValue(*expires)) {
    return std::nullopt;
  }
  auto set = ParseJwks(*body);
  if (!set.ok() || set->keys.empty()) return std::nullopt;
  return Loaded{std::make_shared<const KeySet>(std::move(*set)),
                absl::FromUnixMillis(static_cast<int64_t>(*NumberValue(*fetched))),
                absl::FromUnixMillis(static_cast<int64_t>(*NumberValue(*expires)))};
}

void JwksCache::WriteShared(const std::string& source, const std::string& body, const Loaded& loaded) {
  if (shared_ == nullptr || IsFileSource(source)) return;
  boost::json::object o;
  o["body"] = body;
  o["fetched_at_ms"] = absl::ToUnixMillis(loaded.fetched_at);
  o["expires_at_ms"] = absl::ToUnixMillis(loaded.expires);
  (void)shared_->Set(SharedKey(source), ToJson(o), loaded.expires - clock_->Now());
}

void JwksCache::Install(Entry& entry, const std::string& source, const Loaded& loaded) {
  {
    std::lock_guard<std::mutex> lock(entry.mu);
    entry.keys = loaded.keys;
    entry.loaded_at = loaded.fetched_at;
    entry.expires = loaded.expires;
    entry.retry_after = absl::InfinitePast();
  }
  if (metrics_) metrics_->SetJwksKeys(source, loaded.keys->keys.size());
}

absl::StatusOr<std::shared_ptr<const KeySet>> JwksCache::Load(Entry& entry, const std::string& source,
                                                              std::string_view wanted_kid) {
  const absl::Time now = clock_->Now();
  absl::Time loaded_at;
  {
    std::lock_guard<std::mutex> lock(entry.mu);
    entry.last_attempt = now;
    loaded_at = entry.loaded_at;
  }
  // Another replica may already hold a newer set than ours (one that has the kid
  // we are looking for, if we are looking for one).
  if (auto shared = ReadShared(source); shared && now < shared->expires && shared->fetched_at > loaded_at &&
                                        (wanted_kid.empty() || shared->keys->HasKid(wanted_kid))) {
    if (metrics_) metrics_->CountCache("jwks", "shared_hit");
    Install(entry, source, *shared);
    return shared->keys;
  }

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
      Loaded loaded{std::make_shared<const KeySet>(std::move(*set)), now,
                    now + EffectiveCacheTtl(options_.ttl, cache_control)};
      Install(entry, source, loaded);
      WriteShared(source, body, loaded);
      if (metrics_) metrics_->CountJwksFetch(source, "success");
      log::Info("jwks loaded", {{"source", source}, {"keys", loaded.keys->keys.size()},
                                {"ttl_seconds", absl::ToInt64Seconds(loaded.expires - now)}});
      return loaded.keys;
    }
  }

  if (metrics_) metrics_->CountJwksFetch(source, result);
  std::lock_guard<std::mutex> lock(entry.mu);
  entry.retry_after = now + std::clamp(options_.refetch_interval, absl::Seconds(1), absl::Seconds(30));
  entry.last_failure = absl::UnavailableError(StrCat("no keys available: ", failure.message()));
  const bool keep_stale = entry.keys && now < entry.expires + options_.max_stale;
  log::Warn("jwks load failed", {{"source", source}, {"error", std::string(failure.message())},
                                 {"serving_stale", keep_stale}});
  if (keep_stale) return entry.keys;
  entry.keys = nullptr;
  return entry.last_failure;
}

}  // namespace mcpauth::tv
