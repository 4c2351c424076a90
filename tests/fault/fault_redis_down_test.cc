// Redis killed (SIGKILL) and started again while the whole suite is under gateway load.
// No wrong decision at any time: bearer tokens keep validating from in-process
// caches, forged tokens stay refused, challenges keep coming; DPoP requests, whose
// replay protection needs the shared store, fail closed (503) while Redis is down,
// as documented, and a replayed proof is never accepted; every service stays up,
// reconnects by itself, and mcpauth_redis_up shows the outage and the recovery.
//
// (Token-validation alone through a Redis outage, key rotation included, is
// tests/integration/token_validation_integration_test.cc KeepsAnsweringThroughARedisOutage;
// DPoP across two replicas with Redis down is dpop_integration_test.cc
// RedisDownFailsClosedForDpopOnly.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "services/common/strings.h"
#include "tests/fault/mixed_auth_load.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/ports.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

enum Phase { kBefore, kOutage, kRecovered };

TEST(RedisDownTest, NoWrongDecisionThroughARedisOutageUnderLoad) {
  test::TempDir dir("mcpauth-fault-redis");
  const int upstream_port = test::PickFreePort();
  auto upstream = test::StartUpstream(upstream_port, dir.File("upstream.log"));
  ASSERT_TRUE(upstream.ok());
  test::SuiteProcesses suite(test::SuiteOptions{
      .upstream = StrCat("http://127.0.0.1:", upstream_port, "/mcp"), .redis = true, .validation_cache_ttl = 0});
  ASSERT_EQ(suite.Start(), absl::OkStatus());
  const int gw = suite.gateway_port();

  test::MixedAuthLoad load(suite, {"before", "outage", "after"});
  ASSERT_EQ(load.first_use_status(), 200);
  ASSERT_TRUE(load.driver().WaitForMore(100, absl::Seconds(60)));
  const std::string tv_metrics = suite.metrics_url("token-validation");
  ASSERT_EQ(test::ScrapeMetric(tv_metrics, "mcpauth_redis_up"), 1.0);
  const double reconnects_before = test::ScrapeMetric(tv_metrics, "mcpauth_redis_reconnects_total").value_or(0);

  load.SetPhase(test::MixedAuthLoad::kTransition);  // requests in flight while it dies are judged by nobody
  suite.redis()->Kill();
  load.SetPhase(kOutage);
  ASSERT_TRUE(load.driver().WaitForMore(150, absl::Seconds(60)));
  // The outage is visible (every DPoP request tries the replay store).
  EXPECT_TRUE(
      test::WaitFor([&] { return test::ScrapeMetric(tv_metrics, "mcpauth_redis_up") == 0.0; }, absl::Seconds(10)));
  load.SetPhase(test::MixedAuthLoad::kTransition);
  ASSERT_EQ(suite.redis()->Start(), absl::OkStatus());
  ASSERT_TRUE(test::WaitFor(
      [&] { return test::PostJson(gw, "/mcp", test::ToolsCall("echo"), load.FreshDpopHeaders()).status == 200; },
      absl::Seconds(30), absl::Milliseconds(100)));
  load.SetPhase(kRecovered);
  ASSERT_TRUE(load.driver().WaitForMore(100, absl::Seconds(60)));
  load.Finish();

  EXPECT_EQ(test::ScrapeMetric(tv_metrics, "mcpauth_redis_up"), 1.0);
  EXPECT_GE(test::ScrapeMetric(tv_metrics, "mcpauth_redis_reconnects_total").value_or(0), reconnects_before + 1);
  load.ExpectBearerDecisionsIn({"before", "outage", "after"});
  load.ExpectDpopDecisionsIn({"before", "after"});
  load.ExpectOnly("outage/dpop", {"status-503"});
  load.ExpectOnly("outage/dpop-replayed", {"status-503"});
  load.ExpectNoWrongAdmission();
  for (const char* name : test::SuiteProcesses::kServices) {
    EXPECT_TRUE(suite.Process(name)->Running()) << name;
    EXPECT_TRUE(suite.Ready(name)) << name;
  }
}

}  // namespace
}  // namespace mcpauth
