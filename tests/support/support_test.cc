// The test-support helpers, checked against independent clients and servers:
// libcurl talks to LoopbackHttpServer, hiredis to the Redis process, a real
// in-process gRPC server answers the health check.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include "services/common/http_fetcher.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/ports.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth::test {
namespace {

// True when something accepts TCP connections on 127.0.0.1:port.
bool Connectable(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

absl::StatusOr<HttpResponse> Get(const std::string& url) {
  CurlFetcher fetcher(
      CurlFetcherOptions{.connect_timeout = absl::Seconds(1), .total_timeout = absl::Seconds(5)});
  return fetcher.Get(url);
}

TEST(PickFreePortTest, ReturnsABindablePort) {
  const int port = PickFreePort();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
  EXPECT_FALSE(Connectable(port));
}

TEST(WaitForTest, ReturnsTrueOnceTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(WaitFor([&] { return ++calls == 3; }, absl::Seconds(10), absl::Milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(WaitForTest, GivesUpAtTheDeadline) {
  int calls = 0;
  EXPECT_FALSE(WaitFor(
      [&] {
        ++calls;
        return false;
      },
      absl::Milliseconds(30), absl::Milliseconds(5)));
  EXPECT_GE(calls, 2);
}

TEST(TempDirTest, HoldsFilesAndIsRemovedWithThem) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(path));
    ASSERT_TRUE(WriteFile(dir.File("a.txt"), "hello\n"));
    EXPECT_EQ(ReadFile(dir.File("a.txt")), "hello\n");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ChildProcessTest, ReportsExitCodeAndOutput) {
  TempDir dir;
  auto child = ChildProcess::Start({.argv = {"sh", "-c", "echo out; echo err >&2; echo $GREETING; exit 3"},
                                    .env = {{"GREETING", "hi from env"}},
                                    .log_path = dir.File("log")});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->WaitForExit(absl::Seconds(10)), 3);
  EXPECT_FALSE((*child)->Running());
  EXPECT_FALSE((*child)->Signal(SIGTERM));  // reaped: never signalled again
  EXPECT_EQ((*child)->LogText(), "out\nerr\nhi from env\n");
  EXPECT_EQ((*child)->Stop(), 3);
}

TEST(ChildProcessTest, SeparatesStderrWhenAsked) {
  TempDir dir;
  auto child = ChildProcess::Start({.argv = {"sh", "-c", "echo out; echo err >&2"},
                                    .log_path = dir.File("log"),
                                    .stderr_path = dir.File("stderr")});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->WaitForExit(absl::Seconds(10)), 0);
  EXPECT_EQ((*child)->LogText(), "out\n");
  EXPECT_EQ((*child)->StderrText(), "err\n");
}

TEST(ChildProcessTest, StopSendsSigterm) {
  TempDir dir;
  auto child = ChildProcess::Start({.argv = {"sleep", "60"}, .log_path = dir.File("log")});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_TRUE((*child)->Running());
  EXPECT_GT((*child)->Pid(), 0);
  EXPECT_EQ((*child)->Stop(), 128 + SIGTERM);
  EXPECT_FALSE((*child)->Running());
}

TEST(ChildProcessTest, StopKillsAProcessThatIgnoresSigterm) {
  TempDir dir;
  // exec keeps the ignored disposition, so the process that ignores TERM is the
  // one that gets killed (no orphaned grandchild).
  auto child = ChildProcess::Start(
      {.argv = {"sh", "-c", "trap '' TERM; echo ready; exec sleep 60"}, .log_path = dir.File("log")});
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(WaitFor([&] { return (*child)->LogText() == "ready\n"; }, absl::Seconds(10)));
  EXPECT_EQ((*child)->Stop(absl::Milliseconds(200)), 128 + SIGKILL);
}

TEST(ChildProcessTest, MissingProgramFails) {
  TempDir dir;
  auto child = ChildProcess::Start({.argv = {"/nonexistent/program"}, .log_path = dir.File("log")});
  EXPECT_FALSE(child.ok());
}

TEST(LoopbackHttpServerTest, ServesFixedResponsesAndCountsRequests) {
  LoopbackHttpServer server;
  server.SetResponse("/jwks.json",
                     HttpReply{.body = R"({"keys":[]})", .headers = {{"Cache-Control", "max-age=60"}}});
  ASSERT_TRUE(server.Start().ok());
  ASSERT_GT(server.port(), 0);

  auto response = Get(server.Url("/jwks.json?x=1"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"keys":[]})");
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(response->cache_control, "max-age=60");

  response = Get(server.Url("/other"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 404);

  EXPECT_EQ(server.RequestCount("/jwks.json"), 1);
  EXPECT_EQ(server.RequestCount("/other"), 1);
  EXPECT_EQ(server.RequestCount("/never"), 0);
  EXPECT_EQ(server.TotalRequests(), 2);
}

TEST(LoopbackHttpServerTest, HandlersAndResponsesChangeWhileRunning) {
  LoopbackHttpServer server;
  ASSERT_TRUE(server.Start().ok());
  std::atomic<int> calls = 0;
  server.SetHandler("/echo", [&](const HttpRequestInfo& request) {
    ++calls;
    return HttpReply{.status = 201,
                     .body = request.method + " " + request.target + " " + request.Header("accept"),
                     .content_type = "text/plain"};
  });
  auto response = Get(server.Url("/echo?q=2"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "GET /echo?q=2 application/json");
  EXPECT_EQ(calls, 1);

  server.SetResponse("/echo", HttpReply{.status = 503, .body = "down"});
  response = Get(server.Url("/echo"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(server.RequestCount("/echo"), 2);
}

TEST(LoopbackHttpServerTest, StopRefusesConnectionsAndStartReusesThePort) {
  LoopbackHttpServer server;
  server.SetResponse("/a", HttpReply{.body = "a"});
  ASSERT_TRUE(server.Start().ok());
  const int port = server.port();
  // A child process started while the server listens must not keep its socket open.
  TempDir dir;
  auto child = ChildProcess::Start({.argv = {"sleep", "60"}, .log_path = dir.File("log")});
  ASSERT_TRUE(child.ok()) << child.status();

  server.Stop();
  EXPECT_FALSE(server.running());
  EXPECT_FALSE(Connectable(port));
  EXPECT_FALSE(Get(server.Url("/a")).ok());

  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(server.port(), port);
  auto response = Get(server.Url("/a"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "a");
  EXPECT_EQ(server.RequestCount("/a"), 1);
  (*child)->Stop();
}

TEST(MetricsTest, FindsSamplesByExactNameAndLabels) {
  const std::string text =
      "# HELP mcpauth_redis_up 1 while up\n"
      "# TYPE mcpauth_redis_up gauge\n"
      "mcpauth_redis_up 0\n"
      "mcpauth_redis_up_extra 7\n"
      "mcpauth_jwks_unknown_kid_total{outcome=\"debounced\"} 2\n"
      "mcpauth_jwks_unknown_kid_total{outcome=\"refetched\"} 5 1700000000000\n";
  EXPECT_EQ(FindMetric(text, "mcpauth_redis_up"), 0.0);
  EXPECT_EQ(FindMetric(text, "mcpauth_redis_up_extra"), 7.0);
  EXPECT_EQ(FindMetric(text, "mcpauth_jwks_unknown_kid_total{outcome=\"refetched\"}"), 5.0);
  EXPECT_EQ(FindMetric(text, "mcpauth_jwks_unknown_kid_total"), std::nullopt);
  EXPECT_EQ(FindMetric(text, "mcpauth_missing"), std::nullopt);
}

TEST(MetricsTest, ScrapesAnEndpoint) {
  LoopbackHttpServer server;
  server.SetResponse("/metrics", HttpReply{.body = "a_total{x=\"y\"} 3\n", .content_type = "text/plain"});
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(ScrapeMetric(server.Url("/metrics"), "a_total{x=\"y\"}"), 3.0);
  server.Stop();
  EXPECT_EQ(ScrapeMetric(server.Url("/metrics"), "a_total{x=\"y\"}"), std::nullopt);
}

TEST(GrpcHealthTest, ReadsTheStandardHealthService) {
  // As the services set it up (services/common/grpc_server.cc); reflection also
  // gives the server a synchronous service, which the default health service needs.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();

  EXPECT_TRUE(GrpcHealthServing(address));
  health->SetServingStatus("mcpauth.v1.Example", true);
  EXPECT_TRUE(GrpcHealthServing(address, "mcpauth.v1.Example"));
  EXPECT_FALSE(GrpcHealthServing(address, "mcpauth.v1.Unknown"));
  health->SetServingStatus(false);
  EXPECT_FALSE(GrpcHealthServing(address));
  server->Shutdown();
  EXPECT_FALSE(GrpcHealthServing(address, "", absl::Milliseconds(300)));
}

TEST(LogTailTest, KeepsTheEndOfALongLog) {
  EXPECT_EQ(LogTail("short", 5), "short");
  EXPECT_EQ(LogTail("0123456789", 4), "...6789");
  EXPECT_EQ(LogTail(std::string(6000, 'x')), std::string(6000, 'x'));
  EXPECT_EQ(LogTail(std::string(6001, 'x')), "..." + std::string(6000, 'x'));
}

// A stand-in binary that exits at once: the config written, the failure reported
// with the exit status and the log.
TEST(ServiceProcessTest, WritesTheConfigAndReportsAProcessThatExitsBeforeServing) {
  TempDir dir;
  const std::string script = dir.File("fake-service");
  ASSERT_TRUE(WriteFile(script, "#!/bin/sh\necho started with \"$@\"\nexit 3\n"));
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const char* previous = std::getenv("MCPAUTH_TEST_BIN_DIR");
  const std::string saved = previous != nullptr ? previous : "";
  ASSERT_EQ(::setenv("MCPAUTH_TEST_BIN_DIR", dir.path().c_str(), 1), 0);
  EXPECT_EQ(Binary("fake-service"), script);

  ServiceProcess service(dir, "svc", "fake-service", "resource: https://mcp.example.test/mcp\n", "metadata",
                         "  resource_name: Test\n");
  if (previous != nullptr) {
    ::setenv("MCPAUTH_TEST_BIN_DIR", saved.c_str(), 1);
  } else {
    ::unsetenv("MCPAUTH_TEST_BIN_DIR");
  }
  EXPECT_EQ(service.Stop(), -1);
  EXPECT_EQ(service.process(), nullptr);
  EXPECT_EQ(service.LogText(), "");
  EXPECT_EQ(service.config_path(), dir.File("svc.yaml"));
  // http://127.0.0.1:PORT/metrics
  const std::string metrics_url = service.metrics_url();
  ASSERT_TRUE(metrics_url.starts_with("http://127.0.0.1:") && metrics_url.ends_with("/metrics")) << metrics_url;
  const std::string metrics_address = metrics_url.substr(7, metrics_url.size() - 7 - 8);
  EXPECT_NE(metrics_address, service.address());
  EXPECT_EQ(ReadFile(service.config_path()), "resource: https://mcp.example.test/mcp\n"
                                             "metadata:\n"
                                             "  listen: " + service.address() + "\n"
                                             "  metrics_listen: " + metrics_address + "\n"
                                             "  shutdown_grace: 1\n"
                                             "  resource_name: Test\n");

  const absl::Status started = service.Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(started.message(),
            "svc did not become SERVING (exit status 3); log:\nstarted with --config " + dir.File("svc.yaml") + "\n");
  EXPECT_EQ(service.channel(), nullptr);
  EXPECT_EQ(service.Stop(), 3);
}

TEST(RedisServerProcessTest, StartsStopsAndRestartsOnTheSamePort) {
  RedisServerProcess redis;
  ASSERT_TRUE(redis.Start().ok());
  EXPECT_EQ(redis.Url(), "redis://127.0.0.1:" + std::to_string(redis.port()));
  EXPECT_TRUE(redis.Ping());
  ASSERT_TRUE(redis.Command({"SET", "k", "v"}).ok());
  EXPECT_EQ(*redis.Command({"GET", "k"}), "v");
  EXPECT_FALSE(redis.Command({"NOSUCHCOMMAND"}).ok());

  EXPECT_EQ(redis.Stop(), 0);
  EXPECT_FALSE(redis.Running());
  EXPECT_FALSE(redis.Ping());
  EXPECT_FALSE(redis.Command({"PING"}).ok());

  const int port = redis.port();
  ASSERT_TRUE(redis.Start().ok());
  EXPECT_EQ(redis.port(), port);
  EXPECT_TRUE(redis.Ping());
  EXPECT_EQ(*redis.Command({"GET", "k"}), "");  // nothing persisted
}

}  // namespace
}  // namespace mcpauth::test
