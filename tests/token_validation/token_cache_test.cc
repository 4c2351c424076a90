#include "services/token_validation/token_cache.h"

#include <gtest/gtest.h>

#include "services/common/strings.h"

namespace mcpauth::tv {
namespace {

std::shared_ptr<const VerifiedToken> Verified(const std::string& subject) {
  auto v = std::make_shared<VerifiedToken>();
  v->claims.subject = subject;
  return v;
}

TEST(TokenCache, FindsWhatWasInsertedUntilItExpires) {
  ManualClock clock;
  TokenCache cache(100, &clock);
  cache.Insert("token-a", Verified("alice"), clock.Now() + absl::Seconds(10));
  ASSERT_NE(cache.Find("token-a"), nullptr);
  EXPECT_EQ(cache.Find("token-a")->claims.subject, std::optional<std::string>("alice"));
  EXPECT_EQ(cache.Find("token-b"), nullptr);
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(cache.Find("token-a"), nullptr);
}

TEST(TokenCache, NeverStoresExpiredEntries) {
  ManualClock clock;
  TokenCache cache(100, &clock);
  cache.Insert("t", Verified("a"), clock.Now());
  EXPECT_EQ(cache.Find("t"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCache, IsBounded) {
  ManualClock clock;
  TokenCache cache(64, &clock);
  for (int i = 0; i < 10000; ++i) cache.Insert(StrCat("token-", i), Verified("x"), clock.Now() + absl::Hours(1));
  EXPECT_LE(cache.size(), 64u);
  EXPECT_NE(cache.Find("token-9999"), nullptr);
}

TEST(TokenCache, ZeroCapacityDisablesIt) {
  ManualClock clock;
  TokenCache cache(0, &clock);
  cache.Insert("t", Verified("a"), clock.Now() + absl::Hours(1));
  EXPECT_EQ(cache.Find("t"), nullptr);
}

TEST(TokenCache, ReinsertReplaces) {
  ManualClock clock;
  TokenCache cache(10, &clock);
  cache.Insert("t", Verified("a"), clock.Now() + absl::Seconds(5));
  cache.Insert("t", Verified("b"), clock.Now() + absl::Seconds(50));
  clock.Advance(absl::Seconds(10));
  ASSERT_NE(cache.Find("t"), nullptr);
  EXPECT_EQ(cache.Find("t")->claims.subject, std::optional<std::string>("b"));
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace mcpauth::tv
