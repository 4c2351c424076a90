// token-validation killed (SIGKILL) while the gateway is under load, then started
// again. The gateway keeps no validation answers here (validation_cache_ttl 0), so
// every request during the outage needs the dead service.
//
//   fail_open false: every request sent during the outage is a 503, none passes
//                    unauthenticated, an invalid token is never let through, and
//                    the gateway recovers by itself when the service returns.
//   fail_open true:  requests during the outage go on as anonymous (the upstream
//                    sees X-MCP-Auth-Anonymous, no subject), a tool that needs a scope
//                    is still denied, and authenticated service resumes afterwards.
//
// Each answer is judged by the phase in which its request was sent and answered;
// one in flight across a phase change counts as "transition", which is not judged.
// The kill and the restart each happen inside a transition, so "before" covers
// requests answered before the kill, "outage" those sent after the process was
// reaped and answered before its restart began, and "after" those sent once a
// request had gone through again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/strings.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/ports.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

enum Phase { kBefore, kOutage, kTransition, kRecovered };
const char* PhaseName(int p) {
  return p == kBefore ? "before" : p == kOutage ? "outage" : p == kTransition ? "transition" : "after";
}

// What reached the upstream, from the fault upstream's echo.
std::string Seen(const test::Exchange& e) {
  if (e.status != 200) return StrCat("status-", e.status);
  if (e.body.find("requires scopes") != std::string::npos) return "tool-denied";
  if (e.body.find(R"("anonymous":"true")") != std::string::npos &&
      e.body.find(R"("subject":"")") != std::string::npos) {
    return "upstream-anonymous";
  }
  if (e.body.find(R"("subject":"alice")") != std::string::npos &&
      e.body.find(R"("anonymous":"")") != std::string::npos) {
    return "upstream-alice";
  }
  return "unexpected:" + e.body.substr(0, 200);
}

class TokenValidationDownTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    const int upstream_port = test::PickFreePort();
    auto upstream = test::StartUpstream(upstream_port, dir_.File("upstream.log"));
    ASSERT_TRUE(upstream.ok()) << upstream.status();
    upstream_ = std::move(*upstream);
    suite_ = std::make_unique<test::SuiteProcesses>(
        test::SuiteOptions{.upstream = StrCat("http://127.0.0.1:", upstream_port, "/mcp"),
                           .fail_open = GetParam(),
                           .validation_cache_ttl = 0,
                           .extra_yaml = "tools:\n  admin_tool: {required_scopes: [admin]}\n"});
    ASSERT_EQ(suite_->Start(), absl::OkStatus());
  }

  test::TempDir dir_{"mcpauth-fault-tv"};
  std::unique_ptr<test::ChildProcess> upstream_;
  std::unique_ptr<test::SuiteProcesses> suite_;
};

// The request mix: a valid token calling an open tool, the same token calling a
// tool it lacks the scope for, and a token whose signature is wrong.
struct Mix {
  std::string alice, forged;
  std::atomic<int>* phase;
  static thread_local int sent_in;  // the phase when this thread last sent
  static thread_local int kind;

  std::pair<std::string, std::string> Next(int64_t n) {
    sent_in = phase->load();
    kind = static_cast<int>(n % 3);
    if (kind == 0) return {test::ToolsCall("echo", 1), StrCat("Authorization: Bearer ", alice, "\r\n")};
    if (kind == 1) return {test::ToolsCall("admin_tool", 2), StrCat("Authorization: Bearer ", alice, "\r\n")};
    return {test::ToolsCall("echo", 3), StrCat("Authorization: Bearer ", forged, "\r\n")};
  }
  // Judged in the phase it was sent in if it was also answered in it; otherwise
  // (in flight across a change) in "transition".
  std::string Label(const test::Exchange& e) const {
    static const char* kinds[] = {"valid", "valid-admin", "forged"};
    const int judged = phase->load() == sent_in ? sent_in : kTransition;
    return StrCat(PhaseName(judged), "/", kinds[kind], "/", Seen(e));
  }
};
thread_local int Mix::sent_in = 0;
thread_local int Mix::kind = 0;

TEST_P(TokenValidationDownTest, KilledAndRestartedUnderLoad) {
  const bool fail_open = GetParam();
  std::atomic<int> phase{kBefore};
  Mix mix{suite_->Mint("alice", "mcp"), "", &phase};
  mix.forged = mix.alice.substr(0, mix.alice.rfind('.') + 1) + std::string(86, 'A');
  test::LoadDriver load(
      suite_->gateway_port(), 3, [&](int, int64_t n) { return mix.Next(n); },
      [&](const test::Exchange& e) { return mix.Label(e); });
  ASSERT_TRUE(load.WaitForMore(60, absl::Seconds(60)));

  phase = kTransition;  // requests in flight while it dies are judged by nobody
  suite_->KillService("token-validation");
  phase = kOutage;
  ASSERT_TRUE(load.WaitForMore(90, absl::Seconds(60)));
  phase = kTransition;
  ASSERT_EQ(suite_->StartService("token-validation"), absl::OkStatus());
  // Recovery is automatic: no gateway restart, the gRPC channel reconnects.
  ASSERT_TRUE(test::WaitFor(
      [&] {
        return test::PostJson(suite_->gateway_port(), "/mcp", test::ToolsCall("echo"),
                              StrCat("Authorization: Bearer ", mix.alice, "\r\n"))
                   .body.find(R"("subject":"alice")") != std::string::npos;
      },
      absl::Seconds(30), absl::Milliseconds(50)));
  phase = kRecovered;
  ASSERT_TRUE(load.WaitForMore(60, absl::Seconds(60)));
  load.Stop();

  std::map<std::string, int64_t> counts = load.Counts();
  std::string all;
  for (const auto& [label, n] : counts) StrAppend(all, "  ", label, ": ", n, "\n");
  std::cout << "fail_open=" << fail_open << "\n" << all;

  auto expect_only = [&](const std::string& prefix, std::vector<std::string> outcomes) {
    int64_t total = 0;
    for (const auto& [label, n] : counts) {
      if (!label.starts_with(prefix + "/")) continue;
      const std::string outcome = label.substr(prefix.size() + 1);
      EXPECT_THAT(outcomes, ::testing::Contains(outcome)) << prefix << " answered " << outcome << " " << n << " times";
      total += n;
    }
    EXPECT_GT(total, 0) << "no request of " << prefix;
  };
  // Before and after the outage: the full pipeline.
  for (const char* p : {"before", "after"}) {
    expect_only(StrCat(p, "/valid"), {"upstream-alice"});
    expect_only(StrCat(p, "/valid-admin"), {"tool-denied"});
    expect_only(StrCat(p, "/forged"), {"status-401"});
  }
  if (!fail_open) {
    expect_only("outage/valid", {"status-503"});
    expect_only("outage/valid-admin", {"status-503"});
    expect_only("outage/forged", {"status-503"});
  } else {
    expect_only("outage/valid", {"upstream-anonymous"});
    expect_only("outage/valid-admin", {"tool-denied"});
    expect_only("outage/forged", {"upstream-anonymous"});
  }
  // Whatever the phase, nobody ever reached the upstream as alice with a forged
  // token, and nothing unexpected came back.
  for (const auto& [label, n] : counts) {
    EXPECT_FALSE(label.find("/forged/upstream-alice") != std::string::npos) << label;
    EXPECT_FALSE(label.find("unexpected") != std::string::npos) << label;
    if (!fail_open) {
      EXPECT_FALSE(label.find("upstream-anonymous") != std::string::npos) << label;
    }
  }
  EXPECT_TRUE(suite_->Process("gateway")->Running());
}

INSTANTIATE_TEST_SUITE_P(FailOpen, TokenValidationDownTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "FailOpen" : "FailClosed"; });

}  // namespace
}  // namespace mcpauth
