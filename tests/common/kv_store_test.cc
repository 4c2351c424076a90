#include "services/common/kv_store.h"

#include <gtest/gtest.h>

namespace mcpauth {
namespace {

TEST(InProcessStore, ExpiresEntries) {
  ManualClock clock;
  InProcessStore store(10, &clock);
  ASSERT_TRUE(store.Set("k", "v", absl::Seconds(5)).ok());
  EXPECT_EQ(*store.Get("k"), std::optional<std::string>("v"));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(*store.Get("k"), std::nullopt);
}

TEST(InProcessStore, SetIfAbsentOncePerLifetime) {
  ManualClock clock;
  InProcessStore store(10, &clock);
  EXPECT_TRUE(*store.SetIfAbsent("jti", "1", absl::Seconds(60)));
  EXPECT_FALSE(*store.SetIfAbsent("jti", "1", absl::Seconds(60)));
  clock.Advance(absl::Seconds(61));
  EXPECT_TRUE(*store.SetIfAbsent("jti", "1", absl::Seconds(60)));
}

TEST(InProcessStore, BoundedByCapacity) {
  ManualClock clock;
  InProcessStore store(3, &clock);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store.Set(std::to_string(i), "v", absl::Hours(1)).ok());
  EXPECT_EQ(*store.Get("0"), std::nullopt);
  EXPECT_EQ(*store.Get("1"), std::nullopt);
  EXPECT_EQ(*store.Get("4"), std::optional<std::string>("v"));
}

// A store whose every call fails, standing in for Redis while it is down.
class DownStore final : public KeyValueStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(const std::string&) override {
    return absl::UnavailableError("down");
  }
  absl::Status Set(const std::string&, const std::string&, absl::Duration) override {
    return absl::UnavailableError("down");
  }
  absl::StatusOr<bool> SetIfAbsent(const std::string&, const std::string&, absl::Duration) override {
    return absl::UnavailableError("down");
  }
};

TEST(FallbackStore, UsesLocalWhenSharedIsDown) {
  ManualClock clock;
  DownStore shared;
  InProcessStore local(10, &clock);
  FallbackStore store(&shared, &local);
  ASSERT_TRUE(store.Set("k", "v", absl::Seconds(5)).ok());
  EXPECT_EQ(*store.Get("k"), std::optional<std::string>("v"));
}

TEST(FallbackStore, PrefersSharedWhenUp) {
  ManualClock clock;
  InProcessStore shared(10, &clock), local(10, &clock);
  FallbackStore store(&shared, &local);
  ASSERT_TRUE(shared.Set("k", "from-shared", absl::Seconds(5)).ok());
  ASSERT_TRUE(local.Set("k", "from-local", absl::Seconds(5)).ok());
  EXPECT_EQ(*store.Get("k"), std::optional<std::string>("from-shared"));
}

}  // namespace
}  // namespace mcpauth
