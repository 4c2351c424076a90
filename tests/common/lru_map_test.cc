#include "services/common/lru_map.h"

#include <gtest/gtest.h>

namespace mcpauth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
const absl::Time kLater = kNow + absl::Hours(1);

TEST(LruMap, ATouchingReadKeepsAnEntryAndAPlainReadDoesNot) {
  LruMap<int> touched(2);
  touched.Insert("a", 1, kLater, kNow);
  touched.Insert("b", 2, kLater, kNow);
  ASSERT_NE(touched.Find("a", kNow), nullptr);  // a is now the most recently used
  touched.Insert("c", 3, kLater, kNow);
  EXPECT_NE(touched.Find("a", kNow), nullptr);
  EXPECT_EQ(touched.Find("b", kNow), nullptr);

  LruMap<int> written(2);  // reads without touch: the least recently written goes
  written.Insert("a", 1, kLater, kNow);
  written.Insert("b", 2, kLater, kNow);
  ASSERT_NE(written.Find("a", kNow, /*touch=*/false), nullptr);
  written.Insert("c", 3, kLater, kNow);
  EXPECT_EQ(written.Find("a", kNow), nullptr);
  EXPECT_NE(written.Find("b", kNow), nullptr);
}

TEST(LruMap, InsertWithoutReplaceKeepsALiveValueOnly) {
  LruMap<int> map(4);
  EXPECT_TRUE(map.Insert("k", 1, kNow + absl::Seconds(10), kNow, /*replace=*/false));
  EXPECT_FALSE(map.Insert("k", 2, kLater, kNow, /*replace=*/false));
  EXPECT_EQ(*map.Find("k", kNow), 1);
  const absl::Time expired = kNow + absl::Seconds(10);
  EXPECT_EQ(map.Find("k", expired), nullptr);  // expiry is exclusive
  EXPECT_TRUE(map.Insert("k", 3, kLater, expired, /*replace=*/false));
  EXPECT_EQ(*map.Find("k", expired), 3);
  EXPECT_TRUE(map.Insert("k", 4, kLater, expired));  // replace (the default) always stores
  EXPECT_EQ(*map.Find("k", expired), 4);
  EXPECT_EQ(map.size(), 1u);
}

TEST(LruMap, ZeroCapacityStoresNothing) {
  LruMap<int> map(0);
  EXPECT_FALSE(map.Insert("k", 1, kLater, kNow));
  EXPECT_EQ(map.Find("k", kNow), nullptr);
}

TEST(ShardedLru, HoldsAboutItsCapacityOverAllShards) {
  ShardedLru<int> lru(64);
  for (int i = 0; i < 1000; ++i) lru.Insert(std::to_string(i), i, kLater, kNow);
  EXPECT_LE(lru.size(), 64u);
  EXPECT_EQ(lru.Find("999", kNow), 999);
}

}  // namespace
}  // namespace mcpauth
