// SIGTERM to the gateway under load: requests already in flight finish (slow ones
// included), new connections are refused cleanly (connection refused, never a
// half-written answer), a stream that would outlive the grace period is cut at it,
// and the process exits with status 0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "services/common/strings.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;

int CountLines(const std::string& text, const std::string& line) {
  int n = 0;
  for (size_t at = text.find(line); at != std::string::npos; at = text.find(line, at + 1)) ++n;
  return n;
}

TEST(SigtermTest, InFlightFinishNewAreRefusedExitWithinGrace) {
  test::TempDir dir("mcpauth-fault-sigterm");
  const int upstream_port = test::PickFreePort();
  auto upstream = test::StartUpstream(upstream_port, dir.File("upstream.log"));
  ASSERT_TRUE(upstream.ok());
  constexpr double kGrace = 4;
  test::SuiteProcesses suite(test::SuiteOptions{
      .upstream = StrCat("http://127.0.0.1:", upstream_port, "/mcp"), .shutdown_grace = kGrace, .gateway_threads = 2});
  ASSERT_EQ(suite.Start(), absl::OkStatus());
  const int gw = suite.gateway_port();
  const std::string auth = StrCat("Authorization: Bearer ", suite.Mint("alice", "mcp"), "\r\n");

  // Background load: quick calls, each on a fresh connection.
  test::LoadDriver load(
      gw, 2, [&](int, int64_t n) { return std::make_pair(test::ToolsCall("echo", static_cast<int>(n)), auth); },
      [](const test::Exchange& e) {
        if (e.status == 0) return std::string("refused");
        return StrCat("status-", e.status, e.body.find(R"("subject":"alice")") != std::string::npos ? "-alice" : "");
      });
  ASSERT_TRUE(load.WaitForMore(50, absl::Seconds(60)));

  // Four slow calls (1.5 s upstream) and one endless stream in flight.
  std::vector<test::Exchange> slow(4);
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] { slow[i] = test::PostJson(gw, "/mcp", test::ToolsCall("slow", 100 + i), auth); });
  }
  std::string stream;
  clients.emplace_back([&] {
    stream = test::RawHttpExchange(
        gw,
        StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n", auth,
               "Content-Length: ", test::ToolsCall("stream").size(), "\r\n\r\n", test::ToolsCall("stream")),
        false, absl::Seconds(60));
  });
  ASSERT_TRUE(test::WaitFor(
      [&] {
        const std::string log = (*upstream)->LogText();
        return CountLines(log, "slow request started") == 4 && CountLines(log, "stream started") == 1;
      },
      absl::Seconds(20)));

  test::ChildProcess* gateway = suite.Process("gateway");
  ASSERT_TRUE(gateway->Signal(SIGTERM));
  const std::optional<int> status = gateway->WaitForExit(absl::Seconds(kGrace + 10));
  for (auto& c : clients) c.join();
  load.Stop();

  ASSERT_TRUE(status.has_value()) << "the gateway did not exit";
  EXPECT_EQ(*status, 0);
  for (const test::Exchange& e : slow) {
    EXPECT_EQ(e.status, 200) << "an in-flight request was not finished: " << e.body;
    EXPECT_THAT(e.body, HasSubstr(R"("subject":"alice")"));
  }
  // The endless stream was flowing and was cut when the grace period ran out.
  EXPECT_THAT(stream, HasSubstr("notifications/progress"));
  EXPECT_FALSE(stream.ends_with("0\r\n\r\n"));
  // Every request of the load got a whole answer from the full pipeline, or was
  // refused at connect once the listener had closed; nothing else.
  std::map<std::string, int64_t> counts = load.Counts();
  for (const auto& [label, n] : counts) {
    std::cout << "  " << label << ": " << n << "\n";
    EXPECT_THAT(label, ::testing::AnyOf("status-200-alice", "refused", "status-503")) << n;
  }
  EXPECT_GT(counts["status-200-alice"], 0);
  // After exit, the port is closed.
  EXPECT_EQ(test::PostJson(gw, "/mcp", test::ToolsCall("echo"), auth).status, 0);
}

}  // namespace
}  // namespace mcpauth
