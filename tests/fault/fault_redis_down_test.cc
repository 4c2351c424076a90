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
#include "services/token_validation/dpop_sign.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/ports.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

enum Phase { kBefore, kOutage, kTransition, kRecovered };
const char* PhaseName(int p) {
  return p == kBefore ? "before" : p == kOutage ? "outage" : p == kTransition ? "transition" : "after";
}

struct Sent {
  int phase = 0;
  int kind = 0;
};
thread_local Sent sent;

TEST(RedisDownTest, NoWrongDecisionThroughARedisOutageUnderLoad) {
  test::TempDir dir("mcpauth-fault-redis");
  const int upstream_port = test::PickFreePort();
  auto upstream = test::StartUpstream(upstream_port, dir.File("upstream.log"));
  ASSERT_TRUE(upstream.ok());
  test::SuiteProcesses suite(test::SuiteOptions{
      .upstream = StrCat("http://127.0.0.1:", upstream_port, "/mcp"), .redis = true, .validation_cache_ttl = 0});
  ASSERT_EQ(suite.Start(), absl::OkStatus());
  const int gw = suite.gateway_port();

  tv::testing::TestKey client = tv::testing::MakeKey("ES256", "");
  const std::string alice = suite.Mint("alice", "mcp");
  const std::string forged = alice.substr(0, alice.rfind('.') + 1) + std::string(86, 'A');
  const std::string bound = suite.MintBound("alice", "mcp", client.private_key->Thumbprint());
  auto proof = [&] {
    return *tv::MakeDpopProof(
        *client.private_key,
        {.htm = "POST", .htu = suite.resource(), .iat = absl::ToUnixSeconds(absl::Now()), .access_token = bound});
  };
  const std::string replayed_proof = proof();
  ASSERT_EQ(test::PostJson(gw, "/mcp", test::ToolsCall("echo"),
                           StrCat("Authorization: DPoP ", bound, "\r\nDPoP: ", replayed_proof, "\r\n"))
                .status,
            200);

  std::atomic<int> phase{kBefore};
  static const char* kKinds[] = {"bearer", "forged", "dpop", "dpop-replayed", "no-token"};
  test::LoadDriver load(
      gw, 3,
      [&](int, int64_t n) -> std::pair<std::string, std::string> {
        sent = {phase.load(), static_cast<int>(n % 5)};
        switch (sent.kind) {
          case 0:
            return {test::ToolsCall("echo"), StrCat("Authorization: Bearer ", alice, "\r\n")};
          case 1:
            return {test::ToolsCall("echo"), StrCat("Authorization: Bearer ", forged, "\r\n")};
          case 2:
            return {test::ToolsCall("echo"), StrCat("Authorization: DPoP ", bound, "\r\nDPoP: ", proof(), "\r\n")};
          case 3:
            return {test::ToolsCall("echo"),
                    StrCat("Authorization: DPoP ", bound, "\r\nDPoP: ", replayed_proof, "\r\n")};
          default:
            return {test::ToolsCall("echo"), ""};
        }
      },
      [&](const test::Exchange& e) {
        std::string outcome = StrCat("status-", e.status);
        if (e.status == 200) {
          outcome = e.body.find(R"("subject":"alice")") != std::string::npos ? "upstream-alice" : "upstream-other";
        }
        // Judged in the phase it was sent in if also answered in it, else "transition".
        return StrCat(PhaseName(phase.load() == sent.phase ? sent.phase : kTransition), "/", kKinds[sent.kind], "/",
                      outcome);
      });
  ASSERT_TRUE(load.WaitForMore(100, absl::Seconds(60)));
  const std::string tv_metrics = suite.metrics_url("token-validation");
  ASSERT_EQ(test::ScrapeMetric(tv_metrics, "mcpauth_redis_up"), 1.0);
  const double reconnects_before = test::ScrapeMetric(tv_metrics, "mcpauth_redis_reconnects_total").value_or(0);

  phase = kTransition;  // requests in flight while it dies are judged by nobody
  suite.redis()->Kill();
  phase = kOutage;
  ASSERT_TRUE(load.WaitForMore(150, absl::Seconds(60)));
  // The outage is visible (every DPoP request tries the replay store).
  EXPECT_TRUE(
      test::WaitFor([&] { return test::ScrapeMetric(tv_metrics, "mcpauth_redis_up") == 0.0; }, absl::Seconds(10)));
  phase = kTransition;
  ASSERT_EQ(suite.redis()->Start(), absl::OkStatus());
  ASSERT_TRUE(test::WaitFor(
      [&] {
        return test::PostJson(gw, "/mcp", test::ToolsCall("echo"),
                              StrCat("Authorization: DPoP ", bound, "\r\nDPoP: ", proof(), "\r\n"))
                   .status == 200;
      },
      absl::Seconds(30), absl::Milliseconds(100)));
  phase = kRecovered;
  ASSERT_TRUE(load.WaitForMore(100, absl::Seconds(60)));
  load.Stop();

  EXPECT_EQ(test::ScrapeMetric(tv_metrics, "mcpauth_redis_up"), 1.0);
  EXPECT_GE(test::ScrapeMetric(tv_metrics, "mcpauth_redis_reconnects_total").value_or(0), reconnects_before + 1);
  std::map<std::string, int64_t> counts = load.Counts();
  for (const auto& [label, n] : counts) std::cout << "  " << label << ": " << n << "\n";
  auto expect_only = [&](const std::string& prefix, std::vector<std::string> outcomes) {
    int64_t total = 0;
    for (const auto& [label, n] : counts) {
      if (!label.starts_with(prefix + "/")) continue;
      EXPECT_THAT(outcomes, ::testing::Contains(label.substr(prefix.size() + 1))) << label << " x" << n;
      total += n;
    }
    EXPECT_GT(total, 0) << prefix;
  };
  for (const char* p : {"before", "outage", "after"}) {
    expect_only(StrCat(p, "/bearer"), {"upstream-alice"});
    expect_only(StrCat(p, "/forged"), {"status-401"});
    expect_only(StrCat(p, "/no-token"), {"status-401"});
  }
  for (const char* p : {"before", "after"}) {
    expect_only(StrCat(p, "/dpop"), {"upstream-alice"});
    expect_only(StrCat(p, "/dpop-replayed"), {"status-401"});
  }
  expect_only("outage/dpop", {"status-503"});
  expect_only("outage/dpop-replayed", {"status-503"});
  for (const auto& [label, n] : counts) {
    EXPECT_EQ(label.find("replayed/upstream"), std::string::npos) << "a replayed proof was accepted: " << label;
    EXPECT_EQ(label.find("forged/upstream"), std::string::npos) << label;
    EXPECT_EQ(label.find("upstream-other"), std::string::npos) << label;
  }
  for (const char* name : test::SuiteProcesses::kServices) {
    EXPECT_TRUE(suite.Process(name)->Running()) << name;
    EXPECT_TRUE(suite.Ready(name)) << name;
  }
}

}  // namespace
}  // namespace mcpauth
