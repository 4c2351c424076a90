// An upstream MCP server killed (SIGKILL) while the gateway relays SSE streams from
// it: each client's stream ends with an error (the chunked body stops without its
// last chunk and the connection closes), the gateway keeps serving the other
// route's upstream, no file descriptor is left behind, and the route works again
// once its upstream is back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "services/common/strings.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(UpstreamKilledTest, StreamsEndWithAnErrorAndNothingLeaks) {
  test::TempDir dir("mcpauth-fault-upstream");
  const int port_a = test::PickFreePort(), port_b = test::PickFreePort();
  auto upstream_a = test::StartUpstream(port_a, dir.File("upstream-a.log"));
  auto upstream_b = test::StartUpstream(port_b, dir.File("upstream-b.log"));
  ASSERT_TRUE(upstream_a.ok() && upstream_b.ok());
  test::SuiteProcesses suite(test::SuiteOptions{
      .upstream = StrCat("http://127.0.0.1:", port_a, "/mcp"),
      .gateway_threads = 2,
      .extra_routes = {StrCat(
          "{path: /other, resource: \"RESOURCE_ORIGIN/other\", upstream: \"http://127.0.0.1:", port_b, "/mcp\"}")}});
  ASSERT_EQ(suite.Start(), absl::OkStatus());
  const int gw = suite.gateway_port();
  const pid_t gw_pid = suite.Process("gateway")->Pid();
  const std::string auth_a = StrCat("Authorization: Bearer ", suite.Mint("alice", "mcp"), "\r\n");
  const std::string auth_b = StrCat(
      "Authorization: Bearer ", suite.Mint("alice", "mcp", 3600, StrCat("http://127.0.0.1:", gw, "/other")), "\r\n");
  auto call = [&](const std::string& path, const std::string& auth) {
    return test::PostJson(gw, path, test::ToolsCall("echo"), auth);
  };
  // Warm up both routes (upstream connection pools, gRPC channels), then count fds.
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(call("/mcp", auth_a).status, 200);
    ASSERT_EQ(call("/other", auth_b).status, 200);
  }
  const int fds_before = test::OpenFdCount(gw_pid);
  ASSERT_GT(fds_before, 0);

  // Three SSE streams through the gateway from upstream A.
  const std::string stream_request =
      StrCat("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n",
             "Accept: application/json, text/event-stream\r\n", auth_a,
             "Content-Length: ", test::ToolsCall("stream").size(), "\r\n\r\n", test::ToolsCall("stream"));
  std::vector<std::string> received(3);
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(
        [&, i] { received[i] = test::RawHttpExchange(gw, stream_request, /*half_close=*/false, absl::Seconds(60)); });
  }
  const std::string metrics = suite.metrics_url("gateway");
  ASSERT_TRUE(test::WaitFor([&] { return test::ScrapeMetric(metrics, "mcpauth_gateway_open_streams") == 3; },
                            absl::Seconds(30), absl::Milliseconds(50)));
  // Let a few events through, then the crash.
  ASSERT_TRUE(test::WaitFor([&] { return call("/other", auth_b).status == 200; }, absl::Seconds(5)));
  (*upstream_a)->Signal(SIGKILL);
  (*upstream_a)->WaitForExit(absl::Seconds(10));
  for (auto& c : clients) c.join();

  for (const std::string& r : received) {
    EXPECT_THAT(r, StartsWith("HTTP/1.1 200"));
    EXPECT_THAT(r, HasSubstr("notifications/progress"));  // the stream was flowing
    // Ended with an error: no terminating zero-length chunk.
    EXPECT_FALSE(r.ends_with("0\r\n\r\n")) << r.substr(r.size() > 200 ? r.size() - 200 : 0);
  }
  EXPECT_TRUE(test::WaitFor([&] { return test::ScrapeMetric(metrics, "mcpauth_gateway_open_streams") == 0; },
                            absl::Seconds(10)));

  // The gateway keeps serving the other upstream, and answers for the dead one.
  for (int i = 0; i < 20; ++i) {
    test::Exchange e = call("/other", auth_b);
    ASSERT_EQ(e.status, 200) << e.body;
    EXPECT_THAT(e.body, HasSubstr(R"("subject":"alice")"));
  }
  test::Exchange down = call("/mcp", auth_a);
  EXPECT_EQ(down.status, 502) << down.body;
  EXPECT_THAT(down.body, HasSubstr("-32603"));

  // No descriptor left behind by the three dead streams and their upstream sockets.
  EXPECT_TRUE(test::WaitFor([&] { return test::OpenFdCount(gw_pid) <= fds_before; }, absl::Seconds(10)))
      << "gateway fds: before " << fds_before << ", now " << test::OpenFdCount(gw_pid);

  // The upstream comes back on its port: the route works again without a restart.
  upstream_a = test::StartUpstream(port_a, dir.File("upstream-a-2.log"));
  ASSERT_TRUE(upstream_a.ok());
  EXPECT_TRUE(test::WaitFor([&] { return call("/mcp", auth_a).status == 200; }, absl::Seconds(10)));
  EXPECT_TRUE(suite.Process("gateway")->Running());
  std::cout << "gateway fds before " << fds_before << ", after " << test::OpenFdCount(gw_pid) << "\n";
}

}  // namespace
}  // namespace mcpauth
