// The DPoP jti replay store: once per (jkt, jti) within the ttl; full means "could
// not decide", never "forget"; the shared store goes through SET NX with no fallback.
#include "services/token_validation/dpop_replay.h"

#include <gtest/gtest.h>

#include <memory>

#include "services/common/strings.h"

namespace mcpauth::tv {
namespace {

constexpr char kJkt[] = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
constexpr char kOtherJkt[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
const absl::Duration kTtl = absl::Seconds(180);

constexpr char kOwner[] = "https://as\nalice\n";

bool First(DpopReplayStore& store, std::string_view jkt, std::string_view jti, absl::Duration ttl = kTtl) {
  auto r = store.FirstUse(kOwner, jkt, jti, ttl);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.value_or(ReplayVerdict::kReplay) == ReplayVerdict::kFirstUse;
}

TEST(DpopReplayKey, PrefixedHashedAndOfFixedLength) {
  const std::string key = DpopReplayKey(kJkt, "e1j3V_bKic8-LAEB");
  EXPECT_TRUE(key.starts_with(StrCat("mcpauth:v1:dpop:jti:", kJkt, ":"))) << key;
  EXPECT_EQ(key.size(), std::string_view("mcpauth:v1:dpop:jti:").size() + 43 + 1 + 43);
  EXPECT_EQ(key.find("e1j3V_bKic8-LAEB"), std::string::npos);
  EXPECT_EQ(DpopReplayKey(kJkt, std::string(500, '\n')).size(), key.size());
  EXPECT_NE(DpopReplayKey(kJkt, "a"), DpopReplayKey(kJkt, "b"));
  EXPECT_NE(DpopReplayKey(kJkt, "a"), DpopReplayKey(kOtherJkt, "a"));
}

TEST(InProcessDpopReplayStore, EachPairOnceWithinTheTtl) {
  ManualClock clock;
  InProcessDpopReplayStore store(100, &clock);
  EXPECT_EQ(store.kind(), "in-process");
  EXPECT_TRUE(First(store, kJkt, "jti-1"));
  EXPECT_FALSE(First(store, kJkt, "jti-1"));
  EXPECT_TRUE(First(store, kJkt, "jti-2"));
  EXPECT_TRUE(First(store, kOtherJkt, "jti-1"));  // another key's jti space
  clock.Advance(kTtl - absl::Seconds(1));
  EXPECT_FALSE(First(store, kJkt, "jti-1"));
  clock.Advance(absl::Seconds(1));  // expired: the proof's window has closed long ago
  EXPECT_TRUE(First(store, kJkt, "jti-1"));
  EXPECT_FALSE(First(store, kJkt, "jti-1"));
}

TEST(InProcessDpopReplayStore, FullStoreCannotDecideAndForgetsNothing) {
  ManualClock clock;
  InProcessDpopReplayStore store(3, &clock);
  // Three owners, each within its share: the store itself fills.
  for (std::string_view jti : {"a", "b", "c"}) {
    EXPECT_EQ(store.FirstUse(StrCat("owner-", jti), kJkt, jti, kTtl).value(), ReplayVerdict::kFirstUse);
  }
  auto full = store.FirstUse("owner-d", kJkt, "d", kTtl);
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  // Replays are still recognized while full.
  EXPECT_FALSE(First(store, kJkt, "a"));
  EXPECT_EQ(store.size(), 3u);
  // Expiry frees room.
  clock.Advance(kTtl);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.FirstUse("owner-d", kJkt, "d", kTtl).value(), ReplayVerdict::kFirstUse);
  EXPECT_EQ(store.FirstUse("owner-a", kJkt, "a", kTtl).value(), ReplayVerdict::kFirstUse);
}

// Issue 14 (suspected, confirmed): one valid DPoP caller could fill the in-process
// store, after which every DPoP request anyone made could not be decided. Once the
// store is half full, an owner holding a sixteenth of it is refused further
// proofs (kOverShare) while others go on; replays are still recognised.
TEST(InProcessDpopReplayStore, NoOwnerFillsTheStoreForEveryone) {
  ManualClock clock;
  InProcessDpopReplayStore store(64, &clock);  // a share is 4; pressure from 32
  auto use = [&](std::string_view owner, int i) { return store.FirstUse(owner, kJkt, StrCat(owner, i), kTtl); };
  // Without pressure an owner may use more than its share.
  for (int i = 0; i < 31; ++i) ASSERT_EQ(use("mallory", i).value(), ReplayVerdict::kFirstUse);
  ASSERT_EQ(use("mallory", 31).value(), ReplayVerdict::kFirstUse);  // 32 entries: half full
  EXPECT_EQ(use("mallory", 32).value(), ReplayVerdict::kOverShare);
  EXPECT_EQ(store.FirstUse("mallory", kJkt, "mallory0", kTtl).value(), ReplayVerdict::kReplay);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(use("alice", i).value(), ReplayVerdict::kFirstUse) << i;
  EXPECT_EQ(use("alice", 4).value(), ReplayVerdict::kOverShare);
  EXPECT_EQ(use("bob", 0).value(), ReplayVerdict::kFirstUse);
  // Shares come back as entries expire.
  clock.Advance(kTtl);
  EXPECT_EQ(use("mallory", 100).value(), ReplayVerdict::kFirstUse);
  EXPECT_EQ(store.size(), 1u);
}

TEST(SharedDpopReplayStore, UsesSetIfAbsentWithTheTtl) {
  ManualClock clock;
  InProcessStore kv(100, &clock);  // stands in for Redis
  SharedDpopReplayStore store(&kv, 100, &clock);
  EXPECT_EQ(store.kind(), "redis");
  EXPECT_TRUE(First(store, kJkt, "jti-1"));
  EXPECT_FALSE(First(store, kJkt, "jti-1"));
  auto stored = kv.Get(DpopReplayKey(kJkt, "jti-1"));
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->has_value());
  clock.Advance(kTtl);
  EXPECT_TRUE(First(store, kJkt, "jti-1"));
}

// Stands in for a Redis that can restart without persistence (Forget).
class ForgetfulStore final : public KeyValueStore {
 public:
  explicit ForgetfulStore(const Clock* clock) : clock_(clock) { Forget(); }
  void Forget() { inner_ = std::make_unique<InProcessStore>(100, clock_); }
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override { return inner_->Get(key); }
  absl::Status Set(const std::string& key, const std::string& value, absl::Duration ttl) override {
    return inner_->Set(key, value, ttl);
  }
  absl::StatusOr<bool> SetIfAbsent(const std::string& key, const std::string& value, absl::Duration ttl) override {
    return inner_->SetIfAbsent(key, value, ttl);
  }

 private:
  const Clock* clock_;
  std::unique_ptr<InProcessStore> inner_;
};

// Found by tests/fault/fault_redis_down_test.cc: a Redis restarted without
// persistence has forgotten every recorded proof; a proof this replica accepted
// before stays a replay here, and Redis still answers for what other replicas saw.
TEST(SharedDpopReplayStore, RedisThatForgotDoesNotMakeAProofNewAgain) {
  ManualClock clock;
  ForgetfulStore redis(&clock);
  SharedDpopReplayStore replica(&redis, 100, &clock), other_replica(&redis, 100, &clock);
  EXPECT_TRUE(First(replica, kJkt, "jti-1"));
  EXPECT_FALSE(First(other_replica, kJkt, "jti-1"));
  EXPECT_TRUE(First(other_replica, kJkt, "jti-2"));
  redis.Forget();
  EXPECT_FALSE(First(replica, kJkt, "jti-1"));        // remembered here
  EXPECT_FALSE(First(other_replica, kJkt, "jti-2"));  // remembered there
  EXPECT_FALSE(First(replica, kJkt, "jti-2"));        // the line above told Redis again
  EXPECT_TRUE(First(replica, kJkt, "jti-3"));
  EXPECT_FALSE(First(other_replica, kJkt, "jti-3"));
  clock.Advance(kTtl);
  EXPECT_TRUE(First(replica, kJkt, "jti-1"));  // both memories expire with the proof's window
}

// A key-value store that is down, as RedisStore is while Redis is unreachable.
class DownStore final : public KeyValueStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(const std::string&) override { return Down(); }
  absl::Status Set(const std::string&, const std::string&, absl::Duration) override { return Down(); }
  absl::StatusOr<bool> SetIfAbsent(const std::string&, const std::string&, absl::Duration) override {
    ++calls;
    return Down();
  }
  int calls = 0;

 private:
  static absl::Status Down() { return absl::UnavailableError("redis down"); }
};

TEST(SharedDpopReplayStore, StoreDownIsAnErrorNotAFirstUse) {
  DownStore down;
  SharedDpopReplayStore store(&down);
  for (int i = 0; i < 3; ++i) {
    auto r = store.FirstUse(kOwner, kJkt, "jti-1", kTtl);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(down.calls, 3);
}

}  // namespace
}  // namespace mcpauth::tv
