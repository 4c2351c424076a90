#include "services/common/redis_client.h"

#include <gtest/gtest.h>

namespace mcpauth {
namespace {

TEST(RedisUrl, Parses) {
  auto o = ParseRedisUrl("redis://:s3cret@redis.internal:6380/2");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->host, "redis.internal");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->db, 2);
  EXPECT_EQ(o->password, "s3cret");
  EXPECT_EQ(o->username, "");
}

TEST(RedisUrl, Defaults) {
  auto o = ParseRedisUrl("redis://127.0.0.1");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->port, 6379);
  EXPECT_EQ(o->db, 0);
}

TEST(RedisUrl, RefusesOtherSchemesAndBadParts) {
  auto tls = ParseRedisUrl("rediss://h:6380");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->tls_enabled);
  EXPECT_FALSE(ParseRedisUrl("redis://h").value().tls_enabled);
  EXPECT_FALSE(ParseRedisUrl("http://h:6379").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:99999").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h/x").ok());
  EXPECT_FALSE(ParseRedisUrl("not a url").ok());
}

// With nothing listening, commands fail fast with Unavailable and the client
// backs off instead of reconnecting on every call.
TEST(RedisClient, DownServerFailsFastAndBacksOff) {
  ManualClock clock;
  RedisOptions options;
  options.port = 1;  // nothing listens on port 1 of loopback
  options.connect_timeout = absl::Milliseconds(200);
  prometheus::Registry registry;
  RedisClient client(options, &registry, &clock);
  auto first = client.Get("k");
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(client.up());
  auto second = client.Get("k");  // within the backoff: no connection attempt
  ASSERT_FALSE(second.ok());
  EXPECT_NE(std::string(second.status().message()).find("retrying later"), std::string::npos);
  clock.Advance(absl::Seconds(1));
  auto third = client.Get("k");  // backoff over: tries (and fails) again
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(std::string(third.status().message()).find("retrying later"), std::string::npos);
}

}  // namespace
}  // namespace mcpauth
