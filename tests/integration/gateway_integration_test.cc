// The gateway with the whole suite, all real processes on loopback: redis-server,
// mcpauth-token-validation, mcpauth-scope-policy, mcpauth-metadata, mcpauth-gateway,
// and as upstream the npm @modelcontextprotocol/server-everything (streamableHttp),
// driven by the official TypeScript SDK client (tests/node/mcp_client.mjs) with
// tokens minted by `mcpauth token mint`. A second route goes to a recording
// upstream (in this process) that shows exactly what reaches an MCP server.
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/json.h"
#include "services/common/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kBin = StrCat(MCPAUTH_BINARY_DIR, "/bin/");
const std::string kNodeDir = StrCat(MCPAUTH_SOURCE_DIR, "/tests/node");
constexpr char kIssuer[] = "https://issuer.gateway.test";

// Runs a command to completion and returns its stdout.
std::string RunToCompletion(std::vector<std::string> argv, const test::TempDir& dir, const std::string& name,
                            absl::Duration timeout = absl::Seconds(60)) {
  auto p = test::ChildProcess::Start({.argv = std::move(argv), .env = {}, .log_path = dir.File(name + ".out"),
                                      .stderr_path = dir.File(name + ".err")});
  if (!p.ok()) return "";
  (*p)->WaitForExit(timeout);
  (*p)->Stop(absl::Seconds(1));
  std::string out = (*p)->LogText();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

boost::json::object ParseObject(const std::string& text) {
  boost::json::value v;
  if (ParseStrictJson(text, v) != JsonParseError::kNone || !v.is_object()) return {{"unparsable", text}};
  return v.get_object();
}

class GatewaySuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { suite_ = new Suite(); }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }

  struct Suite {
    test::TempDir dir{"mcpauth-gateway-it"};
    test::RedisServerProcess redis;
    test::LoopbackHttpServer recorder;
    std::vector<std::unique_ptr<test::ChildProcess>> processes;
    int gateway_port = test::PickFreePort();
    int gateway_metrics = test::PickFreePort();
    int everything_port = test::PickFreePort();
    std::string resource;
    std::string key;
    bool ok = false;

    Suite() {
      resource = StrCat("http://127.0.0.1:", gateway_port, "/mcp");
      key = dir.File("issuer-key.json");
      if (!redis.Start().ok() || !recorder.Start().ok()) return;
      recorder.SetHandler("/mcp", [](const test::HttpRequestInfo& r) {
        boost::json::object headers;
        for (const auto& [name, value] : r.headers) headers[AsciiLower(name)] = value;
        test::HttpReply reply;
        reply.body = ToJson(boost::json::object{
            {"jsonrpc", "2.0"}, {"id", 1}, {"result", boost::json::object{{"headers", headers}, {"body", r.body}}}});
        return reply;
      });
      RunToCompletion({kBin + "mcpauth", "keys", "generate", "--alg", "ES256", "--kid", "gw-1", "--out", key}, dir,
                      "keygen");
      test::WriteFile(dir.File("jwks.json"), RunToCompletion({kBin + "mcpauth", "keys", "jwks", key}, dir, "jwks"));
      const int tv = test::PickFreePort(), sp = test::PickFreePort(), md = test::PickFreePort();
      const std::string config = StrCat(R"(
resource: )", resource, R"(
authorization:
  enabled: true
  required_scopes: [mcp]
tools:
  get-sum: {required_scopes: [math]}
jwt_validators:
  - {issuer: ")", kIssuer, R"(", jwks_file: ")", dir.File("jwks.json"), R"("}
redis: {url: ")", redis.Url(), R"("}
token_validation: {listen: "127.0.0.1:)", tv, R"(", metrics_listen: ""}
scope_policy: {listen: "127.0.0.1:)", sp, R"(", metrics_listen: ""}
metadata: {listen: "127.0.0.1:)", md, R"(", metrics_listen: ""}
gateway:
  listen: "127.0.0.1:)", gateway_port, R"("
  metrics_listen: "127.0.0.1:)", gateway_metrics, R"("
  shutdown_grace: 1
  limits: {max_body_bytes: 65536, header_timeout: 0.5}
  routes:
    - {path: /mcp, resource: ")", resource, R"(", upstream: "http://127.0.0.1:)", everything_port, R"(/mcp"}
    - {path: /rec, resource: "http://127.0.0.1:)", gateway_port, R"(/rec", upstream: ")", recorder.Url("/mcp"), R"("}
)");
      test::WriteFile(dir.File("suite.yaml"), config);
      auto start = [&](std::vector<std::string> argv, std::map<std::string, std::string> env, const std::string& name) {
        auto p = test::ChildProcess::Start({.argv = std::move(argv), .env = std::move(env),
                                            .log_path = dir.File(name + ".log"), .stderr_path = ""});
        if (p.ok()) processes.push_back(std::move(*p));
        return p.ok();
      };
      const std::string cfg = dir.File("suite.yaml");
      ok = start({kBin + "mcpauth-token-validation", "--config", cfg}, {}, "token-validation") &&
           start({kBin + "mcpauth-scope-policy", "--config", cfg}, {}, "scope-policy") &&
           start({kBin + "mcpauth-metadata", "--config", cfg}, {}, "metadata") &&
           start({"node", kNodeDir + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
                  "streamableHttp"},
                 {{"PORT", std::to_string(everything_port)}}, "everything") &&
           start({kBin + "mcpauth-gateway", "--config", cfg}, {}, "gateway");
      // Ready when the gateway answers and the upstream is listening.
      ok = ok && test::WaitFor(
                     [&] {
                       return test::RawHttpExchange(gateway_port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
                                  .starts_with("HTTP/1.1 200") &&
                              test::RawHttpExchange(everything_port, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n") != "";
                     },
                     absl::Seconds(30), absl::Milliseconds(100));
    }
    ~Suite() {
      for (auto it = processes.rbegin(); it != processes.rend(); ++it) (*it)->Stop(absl::Seconds(5));
    }
  };

  void SetUp() override {
    ASSERT_NE(suite_, nullptr);
    ASSERT_TRUE(suite_->ok) << "the suite did not start; logs in " << suite_->dir.path();
  }

  std::string Token(const std::string& subject, const std::string& scope, const std::string& audience = "") {
    return RunToCompletion({kBin + "mcpauth", "token", "mint", "--key", suite_->key, "--iss", kIssuer, "--aud",
                            audience.empty() ? suite_->resource : audience, "--sub", subject, "--scope", scope},
                           suite_->dir, "mint");
  }
  // The SDK client (tests/node/mcp_client.mjs) against `path` with `token`.
  boost::json::object Client(const std::string& token, std::vector<std::string> scenario,
                             const std::string& path = "/mcp") {
    std::vector<std::string> argv = {"node", kNodeDir + "/mcp_client.mjs", "--url",
                                     StrCat("http://127.0.0.1:", suite_->gateway_port, path)};
    if (!token.empty()) {
      argv.push_back("--token");
      argv.push_back(token);
    }
    argv.insert(argv.end(), scenario.begin(), scenario.end());
    return ParseObject(RunToCompletion(std::move(argv), suite_->dir, "client"));
  }
  std::string Raw(const std::string& bytes, bool half_close = true) {
    return test::RawHttpExchange(suite_->gateway_port, bytes, half_close);
  }
  static std::string Post(std::string_view path, std::string_view body, std::string_view headers) {
    return StrCat("POST ", path, " HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n",
                  "Accept: application/json, text/event-stream\r\nConnection: close\r\n", headers,
                  "Content-Length: ", body.size(), "\r\n\r\n", body);
  }
  static std::string Initialize(std::string_view version = "2025-11-25") {
    return StrCat(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":")", version,
                  R"(","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}})");
  }

  static Suite* suite_;
};
GatewaySuite::Suite* GatewaySuite::suite_ = nullptr;

// 401 → protected resource metadata → retry with a token (MCP authorization flow).
TEST_F(GatewaySuite, NoTokenGetsAChallengePointingAtTheMetadata) {
  const std::string r = Raw(Post("/mcp", Initialize(), ""));
  ASSERT_THAT(r, StartsWith("HTTP/1.1 401"));
  const std::string challenge = test::RawHeader(r, "WWW-Authenticate");
  const std::string metadata_url =
      StrCat("http://127.0.0.1:", suite_->gateway_port, "/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(challenge, StrCat(R"(Bearer resource_metadata=")", metadata_url, R"(", scope="mcp")"));
  EXPECT_THAT(challenge, ::testing::Not(HasSubstr("error=")));  // RFC 6750 §3.1: no token, no error

  const std::string doc = Raw(StrCat("GET /.well-known/oauth-protected-resource/mcp HTTP/1.1\r\nHost: gw\r\n",
                                     "Connection: close\r\n\r\n"));
  ASSERT_THAT(doc, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(test::RawHeader(doc, "Cache-Control"), "public, max-age=300");
  boost::json::object prm = ParseObject(test::RawBody(doc));
  EXPECT_EQ(prm["resource"].as_string(), suite_->resource);
  EXPECT_EQ(prm["authorization_servers"].as_array().at(0).as_string(), kIssuer);
  EXPECT_EQ(prm["scopes_supported"].as_array().at(0).as_string(), "mcp");

  boost::json::object listed = Client(Token("alice", "mcp"), {"list-tools"});
  ASSERT_TRUE(listed.contains("tools")) << ToJson(listed);
  EXPECT_THAT(ToJson(listed["tools"]), HasSubstr("\"echo\""));
}

TEST_F(GatewaySuite, ToolScopesAreEnforcedWithTheSeedText) {
  boost::json::object denied = Client(Token("alice", "mcp"), {"call", "get-sum", R"({"a":1,"b":2})"});
  ASSERT_TRUE(denied.contains("result")) << ToJson(denied);
  EXPECT_EQ(ToJson(denied["result"]),
            R"({"content":[{"type":"text","text":"Tool \"get-sum\" requires scopes: ['math']. Missing: ['math']"}],)"
            R"("isError":true})");
  boost::json::object allowed = Client(Token("alice", "mcp math"), {"call", "get-sum", R"({"a":1,"b":2})"});
  EXPECT_THAT(ToJson(allowed), HasSubstr("The sum of 1 and 2 is 3."));
  const auto denials = test::ScrapeMetric(StrCat("http://127.0.0.1:", suite_->gateway_metrics, "/metrics"),
                                          R"(mcpauth_gateway_denials_total{reason="tool_denied"})");
  ASSERT_TRUE(denials.has_value());
  EXPECT_GE(*denials, 1);
}

TEST_F(GatewaySuite, InvalidTokensAndMissingServerScopes) {
  boost::json::object bad = Client("not-a-jwt", {"list-tools"});
  EXPECT_EQ(bad["code"].as_int64(), 401) << ToJson(bad);
  const std::string r = Raw(Post("/mcp", Initialize(), "Authorization: Bearer not-a-jwt\r\n"));
  ASSERT_THAT(r, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(test::RawHeader(r, "WWW-Authenticate"), HasSubstr(R"(error="invalid_token")"));
  // Valid, but without the server-level scope: a 403 step-up challenge naming it.
  const std::string scope = Raw(Post("/mcp", Initialize(), StrCat("Authorization: Bearer ", Token("bob", "other"), "\r\n")));
  ASSERT_THAT(scope, StartsWith("HTTP/1.1 403"));
  EXPECT_THAT(test::RawHeader(scope, "WWW-Authenticate"), HasSubstr(R"(scope="mcp", error="insufficient_scope")"));
  // For a client older than 2025-11-25 the answer it understands: 401 invalid_token.
  const std::string old = Raw(Post("/mcp", Initialize("2025-06-18"), StrCat("Authorization: Bearer ", Token("bob", "other"), "\r\n")));
  ASSERT_THAT(old, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(test::RawHeader(old, "WWW-Authenticate"), HasSubstr(R"(error="invalid_token")"));
  // Malformed credentials are a 400.
  const std::string two = Raw(Post("/mcp", Initialize(), "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n"));
  EXPECT_THAT(two, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Raw(Post("/mcp?access_token=abc", Initialize(), "")), StartsWith("HTTP/1.1 400"));
}

// What reaches an upstream: never the client's token, only identity headers the
// gateway wrote itself.
TEST_F(GatewaySuite, UpstreamSeesIdentityNotTokens) {
  const std::string rec = StrCat("http://127.0.0.1:", suite_->gateway_port, "/rec");
  // Each route is its own resource: a token for /mcp is not accepted at /rec.
  EXPECT_THAT(Raw(Post("/rec", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                       StrCat("Authorization: Bearer ", Token("alice", "mcp"), "\r\n"))),
              StartsWith("HTTP/1.1 401"));
  const std::string token = Token("alice", "mcp read", rec);
  const std::string r = Raw(Post("/rec", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                                 StrCat("Authorization: Bearer ", token,
                                        "\r\nX-MCP-Auth-Subject: admin\r\nX-MCP-Auth-Scopes: everything\r\n"
                                        "X-MCP-Auth-Anonymous: true\r\nDPoP: x\r\n")));
  ASSERT_THAT(r, StartsWith("HTTP/1.1 200"));
  boost::json::object headers = ParseObject(test::RawBody(r))["result"].as_object()["headers"].as_object();
  EXPECT_FALSE(headers.contains("authorization"));
  EXPECT_FALSE(headers.contains("dpop"));
  EXPECT_FALSE(headers.contains("x-mcp-auth-anonymous"));
  EXPECT_EQ(headers["x-mcp-auth-subject"].as_string(), "alice");
  EXPECT_EQ(headers["x-mcp-auth-scopes"].as_string(), "mcp read");
  EXPECT_FALSE(headers["x-mcp-auth-claims"].as_string().empty());
  for (const auto& h : headers) EXPECT_THAT(std::string(h.value().as_string()), ::testing::Not(HasSubstr(token)));
}

TEST_F(GatewaySuite, ProgressArrivesBeforeTheResult) {
  boost::json::object r = Client(Token("alice", "mcp"), {"progress"});
  ASSERT_TRUE(r.contains("progress")) << ToJson(r);
  EXPECT_EQ(ToJson(r["progress"]), "[1,2,3]");
  EXPECT_TRUE(r["progress_before_result"].as_bool());
}

TEST_F(GatewaySuite, ServerToClientRequestsWorkThroughTheGateway) {
  EXPECT_THAT(ToJson(Client(Token("alice", "mcp"), {"sampling"})), HasSubstr("sampled-by-test-client"));
  EXPECT_THAT(ToJson(Client(Token("alice", "mcp"), {"elicitation"})), HasSubstr("gateway-test"));
}

TEST_F(GatewaySuite, ASessionBelongsToWhoeverOpenedIt) {
  const std::string opened = Raw(Post("/mcp", Initialize(), StrCat("Authorization: Bearer ", Token("alice", "mcp"), "\r\n")));
  ASSERT_THAT(opened, StartsWith("HTTP/1.1 200"));
  const std::string session = test::RawHeader(opened, "Mcp-Session-Id");
  ASSERT_FALSE(session.empty());
  const std::string ping = R"({"jsonrpc":"2.0","id":2,"method":"ping"})";
  const std::string hijack = Raw(Post("/mcp", ping,
                                      StrCat("Authorization: Bearer ", Token("mallory", "mcp"),
                                             "\r\nMcp-Session-Id: ", session, "\r\nMCP-Protocol-Version: 2025-11-25\r\n")));
  EXPECT_THAT(hijack, StartsWith("HTTP/1.1 403"));
  EXPECT_THAT(test::RawBody(hijack), HasSubstr("another principal"));
  const std::string owner = Raw(Post("/mcp", ping,
                                     StrCat("Authorization: Bearer ", Token("alice", "mcp"), "\r\nMcp-Session-Id: ",
                                            session, "\r\nMCP-Protocol-Version: 2025-11-25\r\n")));
  EXPECT_THAT(owner, StartsWith("HTTP/1.1 200"));
}

TEST_F(GatewaySuite, BadRequestsAreRefusedAtTheEdge) {
  const std::string auth = StrCat("Authorization: Bearer ", Token("alice", "mcp"), "\r\n");
  const std::string big = Raw(Post("/mcp", std::string(70000, ' '), auth));
  EXPECT_THAT(big, StartsWith("HTTP/1.1 413"));
  const std::string malformed = Raw(Post("/mcp", "{not json", auth));
  EXPECT_THAT(malformed, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(test::RawBody(malformed), HasSubstr(R"("code":-32700)"));
  // A client that sends its headers too slowly is dropped without an answer.
  EXPECT_EQ(Raw("POST /mcp HTTP/1.1\r\nHost: gw\r\nAuthorization: Bear", /*half_close=*/false), "");
}

}  // namespace
}  // namespace mcpauth
