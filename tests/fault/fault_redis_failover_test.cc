// Redis Sentinel failover under gateway load: the suite is configured with
// redis.sentinel (a master, a replica, a sentinel: real redis-server processes),
// the master is killed (SIGKILL) while requests flow, the sentinel promotes the
// replica, and the services follow it without a restart. No wrong decision at any
// time: bearer tokens keep being served, forged ones refused, a replayed DPoP proof
// is never accepted; DPoP requests fail closed (503) only while no master exists.
// Afterwards the shared state is the new master's: a proof used before the kill is
// still a replay, and a gateway started fresh knows which principal owns a session
// opened before the kill.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "services/common/strings.h"
#include "tests/fault/mixed_auth_load.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

enum Phase { kBefore, kFailover, kAfter };

std::string Initialize() {
  return R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
         R"("capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
}

TEST(RedisFailoverTest, TheSuiteFollowsTheNewMasterUnderLoad) {
  test::TempDir dir("mcpauth-fault-failover");
  const int upstream_port = test::PickFreePort();
  auto upstream = test::StartUpstream(upstream_port, dir.File("upstream.log"));
  ASSERT_TRUE(upstream.ok());
  test::SuiteProcesses suite(test::SuiteOptions{.upstream = StrCat("http://127.0.0.1:", upstream_port, "/mcp"),
                                                .redis_sentinel = true,
                                                .validation_cache_ttl = 0});
  ASSERT_EQ(suite.Start(), absl::OkStatus());
  const int gw = suite.gateway_port();
  const std::string alice = suite.Mint("alice", "mcp");
  const std::string bob = suite.Mint("bob", "mcp");

  // Before: a session opened by alice and a proof used once (by the load's set-up),
  // both in Redis and copied to the replica.
  const std::string opened = test::RawHttpExchange(
      gw, StrCat("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Accept: application/json, text/event-stream\r\nConnection: close\r\nAuthorization: Bearer ",
                 alice, "\r\nContent-Length: ", Initialize().size(), "\r\n\r\n", Initialize()));
  ASSERT_TRUE(opened.starts_with("HTTP/1.1 200")) << opened;
  const std::string session = test::RawHeader(opened, "Mcp-Session-Id");
  ASSERT_FALSE(session.empty()) << opened;
  test::MixedAuthLoad load(suite, {"before", "failover", "after"});
  ASSERT_EQ(load.first_use_status(), 200);
  ASSERT_EQ(suite.redis()->WaitForReplication(*suite.redis_replica()), absl::OkStatus());
  ASSERT_TRUE(load.driver().WaitForMore(100, absl::Seconds(60)));
  const std::string tv_metrics = suite.metrics_url("token-validation");

  load.SetPhase(test::MixedAuthLoad::kTransition);
  suite.redis()->Kill();
  load.SetPhase(kFailover);
  // Until the replica is promoted and found, DPoP cannot be decided; then it can.
  ASSERT_TRUE(test::WaitFor(
      [&] { return test::PostJson(gw, "/mcp", test::ToolsCall("echo"), load.FreshDpopHeaders()).status == 200; },
      absl::Seconds(60), absl::Milliseconds(100)))
      << suite.redis_sentinel()->LogText();
  load.SetPhase(test::MixedAuthLoad::kTransition);
  ASSERT_TRUE(load.driver().WaitForMore(10, absl::Seconds(30)));
  load.SetPhase(kAfter);
  ASSERT_TRUE(load.driver().WaitForMore(100, absl::Seconds(60)));
  load.Finish();

  load.ExpectBearerDecisionsIn({"before", "failover", "after"});
  load.ExpectDpopDecisionsIn({"before", "after"});
  load.ExpectOnly("failover/dpop", {"upstream-alice", "status-503"});
  load.ExpectOnly("failover/dpop-replayed", {"status-401", "status-503"});
  load.ExpectNoWrongAdmission();
  EXPECT_EQ(test::ScrapeMetric(tv_metrics, "mcpauth_redis_up"), 1.0);
  EXPECT_EQ(test::ScrapeMetric(tv_metrics, "mcpauth_redis_master_changes_total"), 1.0);

  // The shared state lives on the promoted replica: the proof used before the kill
  // is refused by the replay store there; a gateway with nothing in memory learns
  // the session's owner from it.
  EXPECT_NE(suite.redis_replica()->Command({"DBSIZE"}).value_or("0"), "0");
  EXPECT_EQ(test::PostJson(gw, "/mcp", test::ToolsCall("echo"), load.ReplayedDpopHeaders()).status, 401);
  ASSERT_EQ(suite.StopService("gateway"), 0);
  ASSERT_EQ(suite.StartService("gateway"), absl::OkStatus());
  auto with_session = [&](const std::string& token) {
    return test::PostJson(gw, "/mcp", test::ToolsCall("echo"),
                          StrCat("Authorization: Bearer ", token, "\r\nMcp-Session-Id: ", session, "\r\n"))
        .status;
  };
  EXPECT_EQ(with_session(alice), 200);
  EXPECT_EQ(with_session(bob), 403);
  for (const char* name : test::SuiteProcesses::kServices) {
    EXPECT_TRUE(suite.Process(name)->Running()) << name;
    EXPECT_TRUE(suite.Ready(name)) << name;
  }
}

}  // namespace
}  // namespace mcpauth
