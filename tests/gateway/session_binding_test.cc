// Session bindings: a binding is made once and never written over; a session the
// gateway holds no binding for is unknown (not anyone's); a shared store that
// cannot answer is "unavailable", never "unknown"; owners are subjects, or the
// client when a token has no subject.
#include "gateway/session_binding.h"

#include <gtest/gtest.h>

namespace mcpauth::gw {
namespace {

using Owner = SessionBindings::Owner;

// A shared store that can be made to fail (Redis down).
class SwitchableStore final : public KeyValueStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override {
    if (down) return absl::UnavailableError("down");
    return inner.Get(key);
  }
  absl::Status Set(const std::string& key, const std::string& value, absl::Duration ttl) override {
    if (down) return absl::UnavailableError("down");
    return inner.Set(key, value, ttl);
  }
  absl::StatusOr<bool> SetIfAbsent(const std::string& key, const std::string& value, absl::Duration ttl) override {
    if (down) return absl::UnavailableError("down");
    return inner.SetIfAbsent(key, value, ttl);
  }
  bool down = false;
  InProcessStore inner;
};

const std::string kAlice = SessionBindings::OwnerKey("https://as", "alice", "app");
const std::string kBob = SessionBindings::OwnerKey("https://as", "bob", "app");

TEST(SessionBindings, ABindingIsMadeOnceAndNeverWrittenOver) {
  InProcessStore local;
  SessionBindings sessions(nullptr, &local, absl::Hours(1));
  EXPECT_EQ(sessions.Check("s-1", kAlice), Owner::kUnknown);
  EXPECT_EQ(sessions.Bind("s-1", kAlice), Owner::kSame);
  EXPECT_EQ(sessions.Bind("s-1", kAlice), Owner::kSame);
  // An upstream handing alice's session to bob does not make it bob's.
  EXPECT_EQ(sessions.Bind("s-1", kBob), Owner::kOther);
  EXPECT_EQ(sessions.Check("s-1", kAlice), Owner::kSame);
  EXPECT_EQ(sessions.Check("s-1", kBob), Owner::kOther);
}

TEST(SessionBindings, SharedBindingsAreSeenByEveryReplicaAndKeptWhenRedisRestarts) {
  SwitchableStore redis;
  InProcessStore local_a, local_b;
  SessionBindings a(&redis, &local_a, absl::Hours(1)), b(&redis, &local_b, absl::Hours(1));
  EXPECT_EQ(a.Bind("s-1", kAlice), Owner::kSame);
  EXPECT_EQ(b.Check("s-1", kBob), Owner::kOther);
  EXPECT_EQ(b.Bind("s-1", kBob), Owner::kOther);  // the shared binding wins over b's attempt
  EXPECT_EQ(b.Check("s-1", kAlice), Owner::kSame);
  // Redis down: what a replica has seen still answers; what it has not is
  // "unavailable", not "unknown" (another replica may have bound it).
  redis.down = true;
  EXPECT_EQ(a.Check("s-1", kBob), Owner::kOther);
  EXPECT_EQ(a.Check("s-2", kAlice), Owner::kUnavailable);
  // A session opened while Redis is down is bound on this replica.
  EXPECT_EQ(a.Bind("s-3", kAlice), Owner::kSame);
  EXPECT_EQ(a.Check("s-3", kBob), Owner::kOther);
}

TEST(SessionBindings, OwnersAreSubjectsOrClientsNeverNobody) {
  // The subject form is the one earlier releases wrote to Redis.
  EXPECT_EQ(SessionBindings::OwnerKey("https://as", "alice", "app"), SessionBindings::OwnerKey("https://as", "alice", ""));
  EXPECT_NE(SessionBindings::OwnerKey("https://as", "alice", ""), SessionBindings::OwnerKey("https://other", "alice", ""));
  // Tokens without sub were one owner for every caller of an issuer; now each client is its own.
  EXPECT_NE(SessionBindings::OwnerKey("https://as", "", "app-1"), SessionBindings::OwnerKey("https://as", "", "app-2"));
  EXPECT_NE(SessionBindings::OwnerKey("https://as", "", "app-1"), SessionBindings::OwnerKey("https://as", "app-1", ""));
  EXPECT_EQ(SessionBindings::OwnerKey("https://as", "", ""), "");
}

// Bounded in-process store: an evicted binding is unknown (404 at the edge, the
// client opens a new session), never someone else's.
TEST(SessionBindings, AnEvictedBindingIsUnknown) {
  InProcessStore local(2);
  SessionBindings sessions(nullptr, &local, absl::Hours(1));
  ASSERT_EQ(sessions.Bind("s-1", kAlice), Owner::kSame);
  ASSERT_EQ(sessions.Bind("s-2", kAlice), Owner::kSame);
  ASSERT_EQ(sessions.Bind("s-3", kAlice), Owner::kSame);
  EXPECT_EQ(sessions.Check("s-1", kBob), Owner::kUnknown);
}

}  // namespace
}  // namespace mcpauth::gw
