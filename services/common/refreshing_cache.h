// The suite's one refreshing two-tier cache: a value per key in process memory, a
// copy replicas share (Redis, optional), and the origin behind both (a JWKS URI, an
// authorization server's discovery). Key sets and authorization-server metadata are
// both kept by it; what differs between them is in the hooks, not in the design.
//
// * Fresh values are answered from memory. One load per key at a time: while one
//   caller loads, the others answer with the value in hand (stale), and only when
//   there is none do they wait for it.
// * A load first adopts the shared copy when another replica has a newer one, and
//   only then goes to the origin.
// * A failed load is retried after a pause that doubles (1 s, 2 s, 4 s, ... up to
//   max_backoff); until then callers get the stale value, or the failure at once
//   (negative caching): a dead origin is not hit once per request.
// * While loads fail, the last good value keeps being answered up to max_stale past
//   its lifetime; a failed load never replaces a good value.
// * Refresh() brings a value up to date shortly before it expires (a tenth of its
//   lifetime, at most 30 s, ahead), for a background refresher.
// Times are absl::Time throughout (and Unix milliseconds in the shared copies the
// owners write).
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/strings.h"

namespace mcpauth {

template <typename V>
struct CachedValue {
  std::shared_ptr<const V> value;
  absl::Time fetched_at = absl::InfinitePast();  // when the origin served it
  absl::Time fresh_until = absl::InfinitePast();
};

struct RefreshingCacheOptions {
  absl::Duration max_stale = absl::InfiniteDuration();
  absl::Duration max_backoff = absl::Seconds(30);
};

template <typename V>
struct RefreshingCacheHooks {
  // The shared copy of `key`, checked as strictly as the origin's answer; nullopt
  // when there is none or it is unusable. Unset: no shared tier.
  std::function<std::optional<CachedValue<V>>(const std::string& key)> read_shared;
  // Loads `key` from the origin at `now` (`held`: the value in hand, or null), and
  // writes the shared copy. Counts and logs its own fetch.
  std::function<absl::StatusOr<CachedValue<V>>(const std::string& key, absl::Time now, const V* held)> load;
  // Every lookup's outcome: "hit", "stale", "negative", "shared_hit" or "miss".
  std::function<void(const char* result)> count;
  // A value taken in, from the origin or the shared copy. Optional.
  std::function<void(const std::string& key, const V& value)> installed;
  // A load failed; the cache answers `serving_stale` and retries after `retry`. Optional.
  std::function<void(const std::string& key, const absl::Status& failure, bool serving_stale, absl::Duration retry)>
      failed;
};

template <typename V>
class RefreshingCache {
 public:
  struct Answer {
    std::shared_ptr<const V> value;
    absl::Time fresh_until = absl::InfinitePast();
    bool stale = false;  // past fresh_until: loads are failing or under way
  };
  // Why LoadFor answered as it did.
  enum class LoadForOutcome { kSatisfied, kBusy, kDeclined, kLoaded };

  RefreshingCache(RefreshingCacheHooks<V> hooks, RefreshingCacheOptions options, const Clock* clock)
      : hooks_(std::move(hooks)), options_(options), clock_(clock) {}
  RefreshingCache(const RefreshingCache&) = delete;
  RefreshingCache& operator=(const RefreshingCache&) = delete;

  // The value of `key`: from memory, the shared copy or the origin.
  absl::StatusOr<Answer> Get(const std::string& key) {
    Entry& entry = EntryFor(key);
    Answer answer = Held(entry);
    if (answer.value && clock_->Now() < answer.fresh_until) return Count("hit", answer);
    std::unique_lock<std::mutex> load_lock(entry.load_mu, std::defer_lock);
    if (answer.value) {
      if (!load_lock.try_lock()) return Count("stale", Stale(answer));  // a load is under way
    } else {
      load_lock.lock();  // nothing to answer with: wait for the load under way
    }
    const absl::Time now = clock_->Now();
    answer = Held(entry);
    if (answer.value && now < answer.fresh_until) return Count("hit", answer);
    if (AdoptShared(entry, key, now, nullptr)) return Count("shared_hit", Held(entry));
    {
      std::lock_guard<std::mutex> lock(entry.mu);
      if (now < entry.next_attempt) {
        // A load failed moments ago: answer from what there is.
        if (!answer.value) return Count("negative", entry.last_failure);
        return Count("stale", Stale(answer));
      }
    }
    Count("miss");
    return Load(entry, key, now);
  }

  // The value of `key` if it is in memory and fresh (counted as a hit), else null;
  // never waits and never loads.
  std::shared_ptr<const V> GetFresh(const std::string& key) {
    Answer answer = Held(EntryFor(key));
    if (!answer.value || clock_->Now() >= answer.fresh_until) return nullptr;
    Count("hit");
    return answer.value;
  }

  // For a caller that needs what the value in hand may lack (a key id it has not
  // seen): answers with the value when `satisfied` by it; never waits for a load
  // another caller has under way (answers with the value in hand, or Unavailable);
  // when `allow()` says no, answers with the value in hand; otherwise loads now,
  // taking a shared copy only when it satisfies. A value in hand is required for
  // `allow` to be asked: with none, it loads.
  absl::StatusOr<std::shared_ptr<const V>> LoadFor(const std::string& key,
                                                  const std::function<bool(const V&)>& satisfied,
                                                  const std::function<bool()>& allow, LoadForOutcome* outcome) {
    Entry& entry = EntryFor(key);
    std::unique_lock<std::mutex> load_lock(entry.load_mu, std::try_to_lock);
    Answer answer = Held(entry);
    if (!load_lock.owns_lock()) {
      *outcome = LoadForOutcome::kBusy;
      if (answer.value) return answer.value;
      return absl::UnavailableError(StrCat("nothing available yet for ", key, " (a load is under way)"));
    }
    if (answer.value && satisfied(*answer.value)) {
      *outcome = LoadForOutcome::kSatisfied;
      return answer.value;
    }
    if (answer.value && !allow()) {
      *outcome = LoadForOutcome::kDeclined;
      return answer.value;
    }
    *outcome = LoadForOutcome::kLoaded;
    const absl::Time now = clock_->Now();
    if (AdoptShared(entry, key, now, &satisfied)) {
      Count("shared_hit");
      return Held(entry).value;
    }
    auto loaded = Load(entry, key, now);
    if (!loaded.ok()) return loaded.status();
    return loaded->value;
  }

  // Brings `key` up to date ahead of its expiry: adopts a newer shared copy, else
  // loads, unless a failure moments ago put it in backoff. OK when it is fresh
  // enough afterwards; otherwise why not. Background refreshers call this.
  absl::Status Refresh(const std::string& key) {
    Entry& entry = EntryFor(key);
    std::lock_guard<std::mutex> load_lock(entry.load_mu);
    const absl::Time now = clock_->Now();
    auto fresh_enough = [&entry, now] {
      std::lock_guard<std::mutex> lock(entry.mu);
      return entry.held.value != nullptr && now < entry.refresh_at;
    };
    if (fresh_enough()) return absl::OkStatus();
    if (AdoptShared(entry, key, now, nullptr)) {
      Count("shared_hit");
      if (fresh_enough()) return absl::OkStatus();
    }
    {
      std::lock_guard<std::mutex> lock(entry.mu);
      if (now < entry.next_attempt) return entry.last_failure;
    }
    Count("miss");
    auto loaded = Load(entry, key, now);
    if (!loaded.ok()) return loaded.status();
    return loaded->stale ? LastFailure(entry) : absl::OkStatus();
  }

  // When Refresh(key) next has work to do: after a failure, when its backoff ends;
  // else shortly before the value expires; never loaded: now.
  absl::Time NextRefresh(const std::string& key) {
    Entry& entry = EntryFor(key);
    std::lock_guard<std::mutex> lock(entry.mu);
    if (entry.consecutive_failures > 0) return entry.next_attempt;
    if (entry.held.value) return entry.refresh_at;
    return absl::InfinitePast();
  }

  // The pause after `consecutive_failures` failed loads: 1 s doubling, at most max_backoff.
  absl::Duration Backoff(int consecutive_failures) const {
    const int doublings = std::clamp(consecutive_failures - 1, 0, 10);
    return std::min(absl::Seconds(1) * (int64_t{1} << doublings), options_.max_backoff);
  }

 private:
  struct Entry {
    std::mutex load_mu;  // one load per key at a time; held while reading the shared copy or the origin
    std::mutex mu;       // guards the fields below
    CachedValue<V> held;
    absl::Time refresh_at = absl::InfinitePast();    // a little before held.fresh_until
    absl::Time next_attempt = absl::InfinitePast();  // backoff after a failure
    int consecutive_failures = 0;
    absl::Status last_failure;  // answered until next_attempt when nothing is held
  };

  Entry& EntryFor(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = entries_[key];
    if (!slot) slot = std::make_unique<Entry>();
    return *slot;
  }

  static Answer Held(Entry& entry) {
    std::lock_guard<std::mutex> lock(entry.mu);
    return Answer{entry.held.value, entry.held.fresh_until, false};
  }
  static Answer Stale(Answer answer) {
    answer.stale = true;
    return answer;
  }
  static absl::Status LastFailure(Entry& entry) {
    std::lock_guard<std::mutex> lock(entry.mu);
    return entry.last_failure;
  }

  void Count(const char* result) {
    if (hooks_.count) hooks_.count(result);
  }
  template <typename T>
  T Count(const char* result, T answer) {
    Count(result);
    return answer;
  }

  // Refreshing starts this long before a value expires: a tenth of its lifetime, at most 30 s.
  static absl::Time RefreshAt(absl::Time now, absl::Time fresh_until) {
    return fresh_until - std::min((fresh_until - now) / 10, absl::Seconds(30));
  }

  void Install(Entry& entry, const std::string& key, CachedValue<V> value, absl::Time now) {
    {
      std::lock_guard<std::mutex> lock(entry.mu);
      entry.refresh_at = RefreshAt(now, value.fresh_until);
      entry.held = value;
      entry.consecutive_failures = 0;
      entry.next_attempt = absl::InfinitePast();
      entry.last_failure = absl::OkStatus();
    }
    if (hooks_.installed) hooks_.installed(key, *value.value);
  }

  // Takes the shared copy when it is fresh, newer than the value held (another
  // replica loaded it later) and, with `wanted`, satisfies it. Requires load_mu.
  bool AdoptShared(Entry& entry, const std::string& key, absl::Time now,
                   const std::function<bool(const V&)>* wanted) {
    if (!hooks_.read_shared) return false;
    std::optional<CachedValue<V>> shared = hooks_.read_shared(key);
    if (!shared || !shared->value || now >= shared->fresh_until) return false;
    if (wanted != nullptr && !(*wanted)(*shared->value)) return false;
    {
      std::lock_guard<std::mutex> lock(entry.mu);
      if (entry.held.value && shared->fetched_at <= entry.held.fetched_at) return false;
    }
    Install(entry, key, *std::move(shared), now);
    return true;
  }

  // Loads from the origin. Requires load_mu.
  absl::StatusOr<Answer> Load(Entry& entry, const std::string& key, absl::Time now) {
    std::shared_ptr<const V> held = Held(entry).value;
    absl::StatusOr<CachedValue<V>> loaded = hooks_.load(key, now, held.get());
    if (loaded.ok()) {
      Install(entry, key, *loaded, now);
      return Held(entry);
    }
    Answer answer;
    absl::Duration retry;
    {
      std::lock_guard<std::mutex> lock(entry.mu);
      retry = Backoff(++entry.consecutive_failures);
      entry.next_attempt = now + retry;
      entry.last_failure = loaded.status();
      if (entry.held.value && now >= entry.held.fresh_until + options_.max_stale) entry.held = CachedValue<V>();
      answer = Answer{entry.held.value, entry.held.fresh_until, true};
    }
    if (hooks_.failed) hooks_.failed(key, loaded.status(), answer.value != nullptr, retry);
    if (answer.value) return answer;
    return loaded.status();
  }

  const RefreshingCacheHooks<V> hooks_;
  const RefreshingCacheOptions options_;
  const Clock* clock_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace mcpauth
