// Authorizer mode behind a real nginx (issue 16): Debian's nginx with auth_request in
// front of the npm @modelcontextprotocol/server-everything, asking mcpauth-gateway's
// forward-auth endpoint about every request; the gateway's route has no upstream (it
// is not in the request path). The official TypeScript SDK client talks to nginx.
// The nginx configuration is the README's recipe (Front doors → nginx).
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/json.h"
#include "services/common/strings.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/child_process.h"
#include "tests/support/nginx_process.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kNodeDir = StrCat(MCPAUTH_SOURCE_DIR, "/tests/node");

boost::json::object ParseObject(const std::string& text) {
  boost::json::value v;
  if (ParseStrictJson(text, v) != JsonParseError::kNone || !v.is_object()) return {{"unparsable", text}};
  return v.get_object();
}

// The README's nginx recipe, with this test's ports.
std::string NginxConfig(int nginx_port, int gateway_port, int everything_port) {
  return StrCat(R"(
  # Only a 403's challenge needs copying: auth_request passes a 401's on by itself.
  # (This test's own addition: what identity nginx handed the upstream, per request.)
  log_format mcp_identity '$status $request_method $mcp_subject|$mcp_scopes';
  map $status $mcp_forbidden_challenge {
    403     $mcp_challenge;
    default "";
  }
  server {
    listen 127.0.0.1:)", nginx_port, R"(;

    location = /mcp {
      access_log identity.log mcp_identity;
      auth_request /_mcpauth;
      auth_request_set $mcp_subject $upstream_http_x_mcp_auth_subject;
      auth_request_set $mcp_scopes $upstream_http_x_mcp_auth_scopes;
      auth_request_set $mcp_claims $upstream_http_x_mcp_auth_claims;
      auth_request_set $mcp_challenge $upstream_http_www_authenticate;
      auth_request_set $mcp_dpop_nonce $upstream_http_dpop_nonce;
      add_header WWW-Authenticate $mcp_forbidden_challenge always;
      add_header DPoP-Nonce $mcp_dpop_nonce always;

      # The upstream gets the identity, never the credentials or the client's copies.
      proxy_set_header X-MCP-Auth-Subject $mcp_subject;
      proxy_set_header X-MCP-Auth-Scopes $mcp_scopes;
      proxy_set_header X-MCP-Auth-Claims $mcp_claims;
      proxy_set_header X-MCP-Auth-Anonymous "";
      proxy_set_header Authorization "";
      proxy_set_header DPoP "";
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_pass http://127.0.0.1:)", everything_port, R"(/mcp;
    }

    location = /_mcpauth {
      internal;
      proxy_pass http://127.0.0.1:)", gateway_port, R"(/_mcpauth/check;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Forwarded-For $remote_addr;
    }

    # RFC 9728: the document is public, served by the gateway.
    location /.well-known/oauth-protected-resource {
      proxy_pass http://127.0.0.1:)", gateway_port, R"(;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
)");
}

class NginxFrontDoorTest : public ::testing::Test {
 protected:
  struct World {
    test::TempDir dir{"mcpauth-nginx-front-door"};
    int nginx_port = test::PickFreePort();
    int everything_port = test::PickFreePort();
    std::unique_ptr<test::ChildProcess> everything;
    std::unique_ptr<test::SuiteProcesses> suite;
    std::unique_ptr<test::NginxProcess> nginx;
    absl::Status status;

    World() {
      suite = std::make_unique<test::SuiteProcesses>(test::SuiteOptions{
          .upstream = "",
          .resource = StrCat("http://127.0.0.1:", nginx_port, "/mcp"),
          .gateway_yaml = "  forward_auth: {path: /_mcpauth/check}\n  trusted_proxies: [127.0.0.1/32]\n"});
      status = suite->Start();
      if (!status.ok()) return;
      auto node = test::ChildProcess::Start(
          {.argv = {"node", kNodeDir + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
                    "streamableHttp"},
           .env = {{"PORT", std::to_string(everything_port)}},
           .log_path = dir.File("everything.log")});
      if (!node.ok()) {
        status = node.status();
        return;
      }
      everything = std::move(*node);
      if (!test::WaitFor([&] { return !test::RawHttpExchange(everything_port, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n").empty(); },
                         absl::Seconds(30), absl::Milliseconds(100))) {
        status = absl::UnavailableError("server-everything did not start: " + everything->LogText());
        return;
      }
      auto started = test::NginxProcess::Start(dir, NginxConfig(nginx_port, suite->gateway_port(), everything_port),
                                               nginx_port);
      if (!started.ok()) {
        status = started.status();
        return;
      }
      nginx = std::move(*started);
    }
    ~World() {
      nginx.reset();
      if (everything) everything->Stop(absl::Seconds(5));
      suite.reset();
    }
  };

  static void SetUpTestSuite() { world_ = new World(); }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(world_->status.ok()) << world_->status; }

  static std::string Url() { return StrCat("http://127.0.0.1:", world_->nginx_port, "/mcp"); }
  // The SDK client (tests/node/mcp_client.mjs) against nginx.
  static boost::json::object Client(const std::string& token, std::vector<std::string> scenario) {
    std::vector<std::string> argv = {"node", kNodeDir + "/mcp_client.mjs", "--url", Url()};
    if (!token.empty()) argv.insert(argv.end(), {"--token", token});
    argv.insert(argv.end(), scenario.begin(), scenario.end());
    auto p = test::ChildProcess::Start({.argv = std::move(argv), .log_path = world_->dir.File("client.out"),
                                        .stderr_path = world_->dir.File("client.err")});
    if (!p.ok()) return {{"unparsable", std::string(p.status().message())}};
    (*p)->WaitForExit(absl::Seconds(60));
    (*p)->Stop(absl::Seconds(1));
    std::string out = (*p)->LogText();
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return ParseObject(out);
  }
  // Without a half-close: nginx takes one for a client that gave up (499).
  static std::string Raw(const std::string& bytes) {
    return test::RawHttpExchange(world_->nginx_port, bytes, /*half_close=*/false);
  }
  static std::string Post(std::string_view body, std::string_view headers) {
    return StrCat("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:", world_->nginx_port,
                  "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                  "MCP-Protocol-Version: 2025-11-25\r\nConnection: close\r\n",
                  headers, "Content-Length: ", body.size(), "\r\n\r\n", body);
  }
  static constexpr char kInitialize[] =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}})";

  static World* world_;
};
NginxFrontDoorTest::World* NginxFrontDoorTest::world_ = nullptr;

TEST_F(NginxFrontDoorTest, NoTokenIsA401WithTheChallengeAndTheMetadataIsReachable) {
  const std::string r = Raw(Post(kInitialize, ""));
  ASSERT_THAT(r, StartsWith("HTTP/1.1 401")) << r;
  const std::string metadata_url =
      StrCat("http://127.0.0.1:", world_->nginx_port, "/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(test::RawHeader(r, "WWW-Authenticate"), StrCat(R"(Bearer resource_metadata=")", metadata_url, R"(", scope="mcp")"));

  // The challenge's URL answers, through nginx, with the document for this resource.
  const std::string doc = Raw(StrCat("GET /.well-known/oauth-protected-resource/mcp HTTP/1.1\r\nHost: 127.0.0.1:",
                                     world_->nginx_port, "\r\nConnection: close\r\n\r\n"));
  ASSERT_THAT(doc, StartsWith("HTTP/1.1 200")) << doc;
  boost::json::object prm = ParseObject(test::RawBody(doc));
  EXPECT_EQ(ToJson(prm["resource"]), ToJson(boost::json::value(Url())));
  EXPECT_THAT(ToJson(prm["authorization_servers"]), HasSubstr(test::SuiteProcesses::kIssuer));

  // The SDK client without a token is refused too.
  boost::json::object refused = Client("", {"list-tools"});
  EXPECT_TRUE(refused.contains("error")) << ToJson(refused);
  EXPECT_THAT(ToJson(refused), ::testing::Not(HasSubstr("\"tools\"")));
}

TEST_F(NginxFrontDoorTest, TheSdkClientsCallsAreAllowedAndTheUpstreamGetsTheIdentity) {
  const std::string token = world_->suite->Mint("alice", "mcp");
  boost::json::object listed = Client(token, {"list-tools"});
  ASSERT_TRUE(listed.contains("tools")) << ToJson(listed);
  EXPECT_THAT(ToJson(listed["tools"]), HasSubstr("\"echo\""));

  boost::json::object echoed = Client(token, {"call", "echo", R"({"message":"through nginx"})"});
  ASSERT_TRUE(echoed.contains("result")) << ToJson(echoed);
  EXPECT_THAT(ToJson(echoed["result"]), HasSubstr("through nginx"));

  // Streaming (progress notifications over SSE) passes nginx too.
  boost::json::object progress = Client(token, {"progress"});
  EXPECT_EQ(ToJson(progress["progress_before_result"]), "true") << ToJson(progress);

  // Every request nginx passed on carried the identity the gateway named.
  const std::string passed = world_->nginx->File("identity.log");
  EXPECT_THAT(passed, HasSubstr("200 POST alice|mcp"));
  for (const std::string_view line : SplitSkipEmpty(passed, '\n')) {
    if (line.starts_with("2")) {
      EXPECT_THAT(std::string(line), ::testing::EndsWith(" alice|mcp"));
    }
  }
}

TEST_F(NginxFrontDoorTest, ATokenWithoutTheServerScopeIsA403WithItsChallenge) {
  const std::string r = Raw(Post(kInitialize, StrCat("Authorization: Bearer ", world_->suite->Mint("alice", "other"),
                                                     "\r\n")));
  ASSERT_THAT(r, StartsWith("HTTP/1.1 403")) << r;
  EXPECT_THAT(test::RawHeader(r, "WWW-Authenticate"), HasSubstr(R"(error="insufficient_scope")"));
  EXPECT_THAT(test::RawHeader(r, "WWW-Authenticate"), HasSubstr(R"(scope="mcp")"));

  // The SDK client is refused too. (Its initialize carries the protocol version only
  // in the body, which nginx does not send: mcpauth then answers as to a client older
  // than 2025-11-25, 401 invalid_token, as the gateway does for such clients.)
  boost::json::object refused = Client(world_->suite->Mint("alice", "other"), {"list-tools"});
  EXPECT_TRUE(refused.contains("error")) << ToJson(refused);
  EXPECT_THAT(ToJson(refused), ::testing::Not(HasSubstr("\"tools\"")));

  // A forged token is a 401 with the invalid_token challenge.
  const std::string alice = world_->suite->Mint("alice", "mcp");
  const std::string forged = alice.substr(0, alice.rfind('.') + 1) + std::string(86, 'A');
  const std::string f = Raw(Post(kInitialize, StrCat("Authorization: Bearer ", forged, "\r\n")));
  ASSERT_THAT(f, StartsWith("HTTP/1.1 401")) << f;
  EXPECT_THAT(test::RawHeader(f, "WWW-Authenticate"), HasSubstr(R"(error="invalid_token")"));
}

}  // namespace
}  // namespace mcpauth
