// Bounded load and soak (issue 8): wrk against the gateway with full authorization
// (token-validation, scope-policy, metadata) in front of the minimal fast upstream
// (mcpauth-bench-upstream), on loopback.
//
//   saturation lane  wrk -t1 -cC with a valid token calling an open tool
//                    (tools/benchmarks/tools_call.lua): every answer must be a 2xx, and
//                    no socket error
//   correctness lane wrk -t1 -c1 with tests/fault/load_mix.lua at the same time:
//                    allowed calls, tool denials, no token, forged token in turn,
//                    each answer checked against what its request deserved
//
// The run is cut into chunks; after a warm-up chunk the resident memory and open
// file descriptors of every suite process are the baseline, and after the last
// chunk (and once wrk's connections are closed) they must not have grown: fds not
// at all, RSS by less than 10%. No timing is asserted; throughput is printed.
//
//   MCPAUTH_LOAD_SECONDS      total measured duration (default 60)
//   MCPAUTH_LOAD_CHUNK        seconds per chunk (default 30; memory sampled after each)
//   MCPAUTH_LOAD_CONNECTIONS  saturation lane connections (default 16)
//   MCPAUTH_LOAD_REPORT       if set, a file the figures are appended to
//
// The 30-minute soak is this test with MCPAUTH_LOAD_SECONDS=1800 (tools/soak).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>

#include "services/common/strings.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/ports.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

struct WrkResult {
  int64_t requests = 0;
  double rps = 0;
  int64_t non_2xx = 0;
  int64_t socket_errors = 0;
  std::string p50, p99;
  std::string mix;  // the correctness lane's line
  int64_t mix_requests = 0, mix_unexpected = -1;
  std::string raw;
};

int64_t Capture(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(pattern))) return std::atoll(m[1].str().c_str());
  return 0;
}

WrkResult Parse(const std::string& out) {
  WrkResult r;
  r.raw = out;
  r.requests = Capture(out, R"((\d+) requests in)");
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([\d.]+))"))) r.rps = std::atof(m[1].str().c_str());
  r.non_2xx = Capture(out, R"(Non-2xx or 3xx responses: (\d+))");
  if (std::regex_search(out, m,
                        std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))"))) {
    for (int i = 1; i <= 4; ++i) r.socket_errors += std::atoll(m[i].str().c_str());
  }
  if (std::regex_search(out, m, std::regex(R"(\n\s+50%\s+(\S+))"))) r.p50 = m[1];
  if (std::regex_search(out, m, std::regex(R"(\n\s+99%\s+(\S+))"))) r.p99 = m[1];
  if (std::regex_search(out, m, std::regex(R"(mix: [^\n]*)"))) r.mix = m[0];
  if (!r.mix.empty()) {
    r.mix_requests = Capture(r.mix, R"(requests=(\d+))");
    r.mix_unexpected = Capture(r.mix, R"(unexpected=(\d+))");
  }
  return r;
}

struct Usage {
  std::map<std::string, int> fds;
  std::map<std::string, long> rss_kib;
};

TEST(LoadTest, SaturationWithFullAuthorizationHoldsWithoutErrorsOrGrowth) {
  const int seconds = EnvInt("MCPAUTH_LOAD_SECONDS", 60);
  const int chunk = std::max(5, std::min(EnvInt("MCPAUTH_LOAD_CHUNK", 30), seconds));
  const int connections = EnvInt("MCPAUTH_LOAD_CONNECTIONS", 16);
  test::TempDir dir("mcpauth-load");
  const int upstream_port = test::PickFreePort();
  auto upstream = test::StartUpstream(upstream_port, dir.File("upstream.log"), "mcpauth-bench-upstream", {"1"});
  ASSERT_TRUE(upstream.ok()) << upstream.status();
  test::SuiteProcesses suite(test::SuiteOptions{.upstream = StrCat("http://127.0.0.1:", upstream_port, "/mcp"),
                                                .extra_yaml = "tools:\n  admin_tool: {required_scopes: [admin]}\n"});
  ASSERT_EQ(suite.Start(), absl::OkStatus());
  const std::string url = StrCat("http://127.0.0.1:", suite.gateway_port(), "/mcp");
  const std::string token = suite.Mint("loader", "mcp", seconds + 3600);

  int run = 0;
  auto wrk = [&](int duration) {
    ++run;
    auto start = [&](std::vector<std::string> argv, const std::string& name) {
      return test::ChildProcess::Start({.argv = std::move(argv),
                                        .env = {{"MCPAUTH_TOKEN", token}},
                                        .log_path = dir.File(StrCat(name, "-", run, ".log")),
                                        .stderr_path = ""});
    };
    auto main_lane = start({"wrk", "-t1", StrCat("-c", connections), StrCat("-d", duration, "s"), "--latency", "-s",
                            StrCat(MCPAUTH_SOURCE_DIR, "/tools/benchmarks/tools_call.lua"), url},
                           "wrk-main");
    auto mix_lane = start({"wrk", "-t1", "-c1", StrCat("-d", duration, "s"), "-s",
                           StrCat(MCPAUTH_SOURCE_DIR, "/tests/fault/load_mix.lua"), url},
                          "wrk-mix");
    std::pair<WrkResult, WrkResult> out;
    if (!main_lane.ok() || !mix_lane.ok()) return out;
    (*main_lane)->WaitForExit(absl::Seconds(duration + 60));
    (*mix_lane)->WaitForExit(absl::Seconds(duration + 60));
    out.first = Parse((*main_lane)->LogText());
    out.second = Parse((*mix_lane)->LogText());
    return out;
  };
  auto usage = [&] {
    Usage u;
    for (const char* name : test::SuiteProcesses::kServices) {
      const int pid = suite.Process(name)->Pid();
      u.fds[name] = test::OpenFdCount(pid);
      u.rss_kib[name] = test::ResidentKiB(pid);
    }
    return u;
  };
  // Settled: wrk's connections closed, the suite idle again.
  auto settled_fds = [&](const Usage& base) {
    test::WaitFor(
        [&] {
          for (const char* name : test::SuiteProcesses::kServices) {
            if (test::OpenFdCount(suite.Process(name)->Pid()) > base.fds.at(name)) return false;
          }
          return true;
        },
        absl::Seconds(15), absl::Milliseconds(200));
    return usage();
  };

  // Warm-up: caches, pools, allocator arenas.
  auto warm = wrk(std::min(chunk, 10));
  ASSERT_GT(warm.first.requests, 0) << warm.first.raw;
  const Usage base = settled_fds(usage());

  int64_t requests = 0, mix_requests = 0, denials_checked = 0;
  double rps_sum = 0;
  int chunks = 0;
  std::string figures;
  for (int done = 0; done < seconds; done += chunk) {
    auto [main_lane, mix_lane] = wrk(std::min(chunk, seconds - done));
    ++chunks;
    EXPECT_GT(main_lane.requests, 0) << main_lane.raw;
    EXPECT_EQ(main_lane.non_2xx, 0) << main_lane.raw;
    EXPECT_EQ(main_lane.socket_errors, 0) << main_lane.raw;
    EXPECT_EQ(mix_lane.mix_unexpected, 0) << mix_lane.raw;
    EXPECT_GT(mix_lane.mix_requests, 0) << mix_lane.raw;
    requests += main_lane.requests;
    mix_requests += mix_lane.mix_requests;
    denials_checked += Capture(mix_lane.mix, R"(tool_denied=(\d+))") + Capture(mix_lane.mix, R"(unauthorized=(\d+))");
    rps_sum += main_lane.rps;
    const Usage now = usage();
    StrAppend(figures, "  chunk ", chunks, ": ", main_lane.rps, " req/s, p50 ", main_lane.p50, ", p99 ", main_lane.p99,
              ", gateway rss ", now.rss_kib.at("gateway"), " KiB; ", mix_lane.mix, "\n");
    if (::testing::Test::HasFailure()) break;
  }
  const Usage end = settled_fds(base);
  std::string growth;
  for (const char* name : test::SuiteProcesses::kServices) {
    EXPECT_LE(end.fds.at(name), base.fds.at(name)) << name << " file descriptors grew";
    EXPECT_LT(end.rss_kib.at(name), base.rss_kib.at(name) * 1.10) << name << " resident memory grew 10% or more";
    StrAppend(growth, "  ", name, ": fds ", base.fds.at(name), " -> ", end.fds.at(name), ", rss ",
              base.rss_kib.at(name), " -> ", end.rss_kib.at(name), " KiB (",
              std::round(1000.0 * (end.rss_kib.at(name) - base.rss_kib.at(name)) / base.rss_kib.at(name)) / 10, "%)\n");
  }
  const std::string summary = StrCat("load: ", seconds, " s at ", connections, " connections + 1 mixed lane, ",
                                     requests, " authorized requests (", std::round(rps_sum / std::max(chunks, 1)),
                                     " req/s mean), ", mix_requests, " mixed requests of which ", denials_checked,
                                     " intended denials, all answered as expected\n", figures, growth);
  std::cout << summary;
  if (const char* report = std::getenv("MCPAUTH_LOAD_REPORT"); report != nullptr && *report != '\0') {
    std::ofstream(report, std::ios::app) << summary;
  }
}

}  // namespace
}  // namespace mcpauth
