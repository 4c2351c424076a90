#include "services/common/http_fetcher.h"

#include <gtest/gtest.h>

namespace mcpauth {
namespace {

TEST(CacheControl, MaxAge) {
  EXPECT_EQ(CacheControlMaxAge("public, max-age=600"), absl::Seconds(600));
  EXPECT_EQ(CacheControlMaxAge("Max-Age=15, stale-while-revalidate=15"), absl::Seconds(15));
  EXPECT_EQ(CacheControlMaxAge("no-store"), absl::ZeroDuration());
  EXPECT_EQ(CacheControlMaxAge("public"), std::nullopt);
  EXPECT_EQ(CacheControlMaxAge(""), std::nullopt);
  EXPECT_EQ(CacheControlMaxAge("max-age=abc"), std::nullopt);
}

TEST(CacheControl, EffectiveTtlIsConfiguredShortenedByMaxAgeWithFloor) {
  EXPECT_EQ(EffectiveCacheTtl(absl::Seconds(300), ""), absl::Seconds(300));
  EXPECT_EQ(EffectiveCacheTtl(absl::Seconds(300), "max-age=120"), absl::Seconds(120));
  EXPECT_EQ(EffectiveCacheTtl(absl::Seconds(300), "max-age=86400"), absl::Seconds(300));
  EXPECT_EQ(EffectiveCacheTtl(absl::Seconds(300), "max-age=0"), absl::Seconds(30));
  EXPECT_EQ(EffectiveCacheTtl(absl::Seconds(10), "no-cache"), absl::Seconds(10));
}

TEST(CurlFetcher, RefusesPlainHttpToRemoteHosts) {
  CurlFetcher fetcher;
  auto r = fetcher.Get("http://example.com/jwks.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mcpauth
