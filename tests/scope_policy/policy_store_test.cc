// The published policy: versions, snapshots, and waiting for the next version.
#include "services/scope_policy/policy_store.h"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpauth::sp {
namespace {

using ::testing::ElementsAre;

std::shared_ptr<const CompiledPolicy> MustCompile(std::string_view yaml) {
  auto policy = CompilePolicyText(yaml, "/p.yaml");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

TEST(PolicyStoreTest, VersionsAndSnapshots) {
  ManualClock clock(absl::FromUnixMillis(1'700'000'000'123));
  PolicyStore store(MustCompile("authorization: {required_scopes: [read, mcp]}"), &clock);
  auto first = store.Current();
  EXPECT_EQ(first->version, 1u);
  EXPECT_EQ(first->snapshot.version(), 1u);
  EXPECT_THAT(first->snapshot.scopes_supported(), ElementsAre("mcp", "read"));
  EXPECT_THAT(first->snapshot.policy().required_scopes(), ElementsAre("read", "mcp"));
  EXPECT_EQ(first->snapshot.policy().source(), "/p.yaml");
  EXPECT_EQ(first->snapshot.loaded_at_unix_ms(), 1'700'000'000'123);
  EXPECT_EQ(first->snapshot.digest().size(), 64u);

  clock.Advance(absl::Seconds(5));
  auto second = store.Publish(MustCompile("authorization: {required_scopes: [read]}"));
  EXPECT_EQ(second->version, 2u);
  EXPECT_EQ(store.Current(), second);
  EXPECT_NE(second->snapshot.digest(), first->snapshot.digest());
  EXPECT_EQ(second->snapshot.loaded_at_unix_ms(), 1'700'000'005'123);
  // Whoever still holds the first snapshot keeps a complete, unchanged policy.
  EXPECT_EQ(first->policy->server_scopes(), (std::vector<std::string>{"mcp", "read"}));

  // The same content again is still a new version.
  auto third = store.Publish(MustCompile("authorization: {required_scopes: [read]}"));
  EXPECT_EQ(third->version, 3u);
  EXPECT_EQ(third->snapshot.digest(), second->snapshot.digest());
}

TEST(PolicyStoreTest, WaitForNewerReturnsAtOnceWhenAlreadyNewer) {
  PolicyStore store(MustCompile("{}"));
  store.Publish(MustCompile("{}"));
  EXPECT_EQ(store.WaitForNewer(1, absl::Hours(1))->version, 2u);
  EXPECT_EQ(store.WaitForNewer(2, absl::ZeroDuration())->version, 2u);  // timed out: the current one
}

TEST(PolicyStoreTest, WaitForNewerWakesOnPublish) {
  PolicyStore store(MustCompile("{}"));
  std::shared_ptr<const PublishedPolicy> seen;
  std::thread waiter([&] { seen = store.WaitForNewer(1, absl::Minutes(5)); });
  store.Publish(MustCompile("tools: {a: {required_scopes: [x]}}"));
  waiter.join();  // a lost wake-up would hang here until the ctest timeout
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->version, 2u);
}

}  // namespace
}  // namespace mcpauth::sp
