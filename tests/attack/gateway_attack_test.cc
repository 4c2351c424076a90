// Attacks on the gateway's HTTP edge with authorization on (issue 8): the real
// mcpauth-gateway, token-validation, scope-policy and metadata processes, and a
// recording upstream in this process that shows exactly what got through.
//
// Already covered elsewhere and not repeated here (docs/reliability.md lists them):
// spoofed identity headers in their exact spelling, CL+TE and duplicate
// Content-Length smuggling, a foreign Origin (tests/gateway/proxy_test.cc); a second
// Authorization header, ?access_token=, and session hijack with another principal's
// token on POST (tests/integration/gateway_integration_test.cc). This file adds the
// variants an attacker tries next.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <mutex>

#include "services/common/json.h"
#include "services/common/strings.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/raw_http.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class GatewayAttackTest : public ::testing::Test {
 protected:
  struct World {
    test::LoopbackHttpServer upstream;
    std::mutex mu;
    std::vector<test::HttpRequestInfo> seen;  // every request the upstream received
    std::unique_ptr<test::SuiteProcesses> suite;
    absl::Status status;

    World() {
      upstream.SetHandler("/mcp", [this](const test::HttpRequestInfo& r) {
        {
          std::lock_guard<std::mutex> lock(mu);
          seen.push_back(r);
        }
        boost::json::object headers;
        for (const auto& [name, value] : r.headers) headers[AsciiLower(name)] = value;
        test::HttpReply reply;
        reply.body =
            ToJson(boost::json::object{{"jsonrpc", "2.0"},
                                       {"id", 1},
                                       {"result", boost::json::object{{"headers", headers}, {"target", r.target}}}});
        if (r.body.find("\"initialize\"") != std::string::npos) reply.headers = {{"Mcp-Session-Id", "sess-alice-1"}};
        return reply;
      });
      status = upstream.Start();
      if (!status.ok()) return;
      suite = std::make_unique<test::SuiteProcesses>(test::SuiteOptions{
          .upstream = upstream.Url("/mcp"), .extra_yaml = "tools:\n  admin_tool: {required_scopes: [admin]}\n"});
      status = suite->Start();
    }
  };

  static void SetUpTestSuite() { world_ = new World(); }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(world_->status.ok()) << world_->status; }

  static int Seen() {
    std::lock_guard<std::mutex> lock(world_->mu);
    return static_cast<int>(world_->seen.size());
  }
  static test::HttpRequestInfo LastSeen() {
    std::lock_guard<std::mutex> lock(world_->mu);
    return world_->seen.back();
  }
  static std::string Raw(const std::string& bytes) {
    return test::RawHttpExchange(world_->suite->gateway_port(), bytes);
  }
  static std::string Post(std::string_view target, std::string_view body, std::string_view headers,
                          std::string_view content_type = "application/json") {
    return StrCat("POST ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ", content_type,
                  "\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\n", headers,
                  "Content-Length: ", body.size(), "\r\n\r\n", body);
  }
  static std::string Bearer(const std::string& token) { return StrCat("Authorization: Bearer ", token, "\r\n"); }
  static std::string Alice() { return world_->suite->Mint("alice", "mcp"); }

  static constexpr char kPing[] = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  static World* world_;
};
GatewayAttackTest::World* GatewayAttackTest::world_ = nullptr;

// Identity headers in any spelling a server framework might read as ours: another
// case, underscores for dashes (CGI/WSGI map both to HTTP_X_MCP_AUTH_SUBJECT), or
// named in Connection so a hop-by-hop strip would remove the gateway's own copy.
TEST_F(GatewayAttackTest, SpoofedIdentityHeadersInEverySpellingNeverReachTheUpstream) {
  const int before = Seen();
  const std::string r = Raw(Post("/mcp", kPing,
                                 StrCat(Bearer(Alice()),
                                        "x-mcp-auth-subject: admin\r\n"
                                        "X_MCP_Auth_Subject: admin\r\n"
                                        "X-MCP-Auth_Scopes: admin\r\n"
                                        "X_MCP_AUTH_ANONYMOUS: false\r\n"
                                        "X-Mcp-Auth-Claims: eyJzdWIiOiJhZG1pbiJ9\r\n"
                                        "Authorization_: Bearer stolen\r\n"
                                        "DPoP_: proof\r\n"
                                        "X_Forwarded_For: 10.0.0.1\r\n"
                                        "Connection: X-MCP-Auth-Subject, X-MCP-Auth-Scopes\r\n")));
  ASSERT_THAT(r, StartsWith("HTTP/1.1 200"));
  ASSERT_EQ(Seen(), before + 1);
  const test::HttpRequestInfo seen = LastSeen();
  std::map<std::string, std::vector<std::string>> by_name;  // lowercased, '_' read as '-'
  for (const auto& [name, value] : seen.headers) {
    std::string n = AsciiLower(name);
    std::replace(n.begin(), n.end(), '_', '-');
    by_name[n].push_back(value);
  }
  EXPECT_EQ(by_name["x-mcp-auth-subject"], std::vector<std::string>{"alice"});
  EXPECT_EQ(by_name["x-mcp-auth-scopes"], std::vector<std::string>{"mcp"});
  EXPECT_EQ(by_name.count("x-mcp-auth-anonymous"), 0u);
  ASSERT_EQ(by_name["x-mcp-auth-claims"].size(), 1u);
  EXPECT_NE(by_name["x-mcp-auth-claims"][0], "eyJzdWIiOiJhZG1pbiJ9");
  EXPECT_EQ(by_name.count("authorization-"), 0u);
  EXPECT_EQ(by_name.count("authorization"), 0u);
  EXPECT_EQ(by_name.count("dpop-"), 0u);
  EXPECT_EQ(by_name["x-forwarded-for"], std::vector<std::string>{"127.0.0.1"});
}

TEST_F(GatewayAttackTest, SpoofedIdentityWithoutATokenIsA401) {
  const int before = Seen();
  const std::string r = Raw(Post("/mcp", kPing, "X-MCP-Auth-Subject: alice\r\nX-MCP-Auth-Scopes: mcp admin\r\n"));
  EXPECT_THAT(r, StartsWith("HTTP/1.1 401"));
  EXPECT_EQ(Seen(), before);
}

// RFC 6750 §2.2/§2.3 forms and other places a token could ride: refused or ignored,
// never read and never passed upstream.
TEST_F(GatewayAttackTest, TokensOutsideTheAuthorizationHeaderAreRefusedOrIgnored) {
  const int before = Seen();
  const std::string token = Alice();
  // Form body (RFC 6750 §2.2), with and without a charset, in any letter case.
  EXPECT_THAT(Raw(Post("/mcp", StrCat("access_token=", token), "", "application/x-www-form-urlencoded")),
              StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(
      Raw(Post("/mcp", StrCat("a=1&access_token=", token), "", "Application/X-WWW-Form-Urlencoded; charset=UTF-8")),
      StartsWith("HTTP/1.1 400"));
  // Query (RFC 6750 §2.3), also next to a valid header, and percent-encoded.
  EXPECT_THAT(Raw(Post(StrCat("/mcp?access_token=", token), kPing, "")), StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Raw(Post(StrCat("/mcp?x=1&access_token=", token), kPing, Bearer(token))), StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Raw(Post(StrCat("/mcp?access%5Ftoken=", token), kPing, Bearer(token))), StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Raw(Post(StrCat("/mcp?%61ccess_token=", token), kPing, "")), StartsWith("HTTP/1.1 400"));
  // In the JSON-RPC body, a cookie, or another header: not credentials at all.
  const std::string in_body =
      StrCat(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"access_token":")", token, R"("}})");
  EXPECT_THAT(Raw(Post("/mcp", in_body, "")), StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(Raw(Post("/mcp", kPing, StrCat("Cookie: access_token=", token, "\r\n"))), StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(Raw(Post("/mcp", kPing, StrCat("X-Access-Token: ", token, "\r\n"))), StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(Raw(Post("/mcp", kPing, StrCat("Proxy-Authorization: Bearer ", token, "\r\n"))),
              StartsWith("HTTP/1.1 401"));
  EXPECT_EQ(Seen(), before);
}

TEST_F(GatewayAttackTest, AmbiguousAuthorizationHeadersAreA400) {
  const int before = Seen();
  const std::string token = Alice();
  for (const std::string& headers : {
           StrCat("Authorization: Bearer ", token, "\r\nauthorization: Bearer ", token, "\r\n"),
           StrCat("Authorization: Bearer ", token, "\r\nAuthorization: \r\n"),
           StrCat("Authorization: Bearer ", token, ", Bearer ", token, "\r\n"),
           StrCat("Authorization: Bearer ", token, " ", token, "\r\n"),
           StrCat("Authorization: Bearer ", token, "\r\nAUTHORIZATION: DPoP ", token, "\r\n"),
           std::string("Authorization: Bearer\r\n"),
       }) {
    EXPECT_THAT(Raw(Post("/mcp", kPing, headers)), StartsWith("HTTP/1.1 400")) << headers.substr(0, 60);
  }
  EXPECT_EQ(Seen(), before);
}

// Framing an HTTP/1.1 parser must refuse, with authorization on: none reaches the
// upstream, and the bytes after a refused message are never read as a request.
TEST_F(GatewayAttackTest, RequestSmugglingVariantsAreRefused) {
  const int before = Seen();
  // (With its media type, so what refuses each message is its framing.)
  const std::string auth = StrCat(Bearer(Alice()), "Content-Type: application/json\r\n");
  const std::string smuggled =
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: ", std::strlen(kPing), "\r\n\r\n", kPing);
  const std::vector<std::string> attempts = {
      // TE.CL and CL.TE with obfuscated Transfer-Encoding values.
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth,
             "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", smuggled),
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth,
             "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n", smuggled),
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth, "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", smuggled),
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth, "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", smuggled),
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth, "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
             smuggled),
      // Content-Length that is not one plain number.
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth, "Content-Length: +41\r\n\r\n", kPing),
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth, "Content-Length: -1\r\n\r\n", kPing),
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth, "Content-Length: 41, 0\r\n\r\n", kPing),
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth, "Content-Length: 0x29\r\n\r\n", kPing),
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth, "Content-Length: 99999999999999999999999\r\n\r\n", kPing),
      // Bare LF / obs-fold header tricks.
      StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\n", auth,
             "X-A: 1\r\n Transfer-Encoding: chunked\r\nContent-Length: 41\r\n\r\n", kPing),
  };
  for (const std::string& bytes : attempts) {
    const std::string r = Raw(bytes);
    EXPECT_THAT(r, StartsWith("HTTP/1.1 400")) << bytes.substr(0, 120) << "\n=> " << r.substr(0, 300);
    EXPECT_THAT(r, ::testing::Not(HasSubstr("HTTP/1.1 200"))) << bytes.substr(0, 120);
  }
  EXPECT_EQ(Seen(), before);
}

// A pipelined second request on an authorized connection is judged on its own: it
// does not inherit the first one's credentials.
TEST_F(GatewayAttackTest, PipelinedRequestsDoNotShareCredentials) {
  const int before = Seen();
  const std::string first = StrCat("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
                                   Bearer(Alice()), "Content-Length: ", std::strlen(kPing), "\r\n\r\n", kPing);
  const std::string second = Post("/mcp", kPing, "");
  const std::string r = Raw(first + second);
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(r, HasSubstr("HTTP/1.1 401"));
  EXPECT_EQ(Seen(), before + 1);
}

// A session belongs to the principal that opened it, whatever the method, and a
// session id is never a credential.
TEST_F(GatewayAttackTest, SessionHijackOnEveryMethod) {
  const std::string init =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"a","version":"1"}}})";
  const std::string opened = Raw(Post("/mcp", init, Bearer(Alice())));
  ASSERT_THAT(opened, StartsWith("HTTP/1.1 200"));
  const std::string session = test::RawHeader(opened, "Mcp-Session-Id");
  ASSERT_EQ(session, "sess-alice-1");
  const int before = Seen();
  const std::string mallory = Bearer(world_->suite->Mint("mallory", "mcp admin"));
  const std::string sid = StrCat("Mcp-Session-Id: ", session, "\r\nMCP-Protocol-Version: 2025-11-25\r\n");
  EXPECT_THAT(Raw(Post("/mcp", kPing, mallory + sid)), StartsWith("HTTP/1.1 403"));
  EXPECT_THAT(Raw(StrCat("GET /mcp HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nConnection: close\r\n", mallory,
                         sid, "\r\n")),
              StartsWith("HTTP/1.1 403"));
  EXPECT_THAT(Raw(StrCat("DELETE /mcp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", mallory, sid, "\r\n")),
              StartsWith("HTTP/1.1 403"));
  // No token at all: the session id alone is nothing.
  EXPECT_THAT(Raw(Post("/mcp", kPing, sid)), StartsWith("HTTP/1.1 401"));
  EXPECT_EQ(Seen(), before);
  // The owner still can.
  EXPECT_THAT(Raw(Post("/mcp", kPing, Bearer(Alice()) + sid)), StartsWith("HTTP/1.1 200"));
}

// DNS rebinding: a page on evil.test whose name now resolves to the gateway sends
// Host and Origin that agree with each other but not with the resource.
TEST_F(GatewayAttackTest, OriginRebindingIsA403) {
  const int before = Seen();
  const int port = world_->suite->gateway_port();
  const std::string token = Bearer(Alice());
  for (const std::string& origin :
       {StrCat("http://evil.test:", port), std::string("null"), StrCat("http://127.0.0.1:", port, ".evil.test"),
        StrCat("http://127.0.0.1:", port, "@evil.test"), StrCat("https://127.0.0.1:", port),
        StrCat("http://127.0.0.1:", port + 1), std::string("http://localhost")}) {
    const std::string r = Raw(StrCat("POST /mcp HTTP/1.1\r\nHost: evil.test:", port, "\r\nOrigin: ", origin,
                                     "\r\nContent-Type: application/json\r\nConnection: close\r\n", token,
                                     "Content-Length: ", std::strlen(kPing), "\r\n\r\n", kPing));
    EXPECT_THAT(r, StartsWith("HTTP/1.1 403")) << origin;
  }
  EXPECT_EQ(Seen(), before);
  // The resource's own origin is allowed (the control).
  EXPECT_THAT(Raw(Post("/mcp", kPing, StrCat(token, "Origin: http://127.0.0.1:", port, "\r\n"))),
              StartsWith("HTTP/1.1 200"));
}

// Forwarded headers from a peer that is not a trusted proxy cannot move the
// challenge's resource_metadata URL to an attacker's host.
TEST_F(GatewayAttackTest, UntrustedForwardedHeadersDoNotMoveTheChallenge) {
  const std::string r = Raw(Post("/mcp", kPing,
                                 "X-Forwarded-Host: evil.test\r\nX-Forwarded-Proto: https\r\n"
                                 "Forwarded: host=evil.test;proto=https\r\n"));
  ASSERT_THAT(r, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(test::RawHeader(r, "WWW-Authenticate"),
              HasSubstr(StrCat("resource_metadata=\"http://127.0.0.1:", world_->suite->gateway_port(),
                               "/.well-known/oauth-protected-resource/mcp\"")));
  EXPECT_THAT(test::RawHeader(r, "WWW-Authenticate"), ::testing::Not(HasSubstr("evil")));
}

// Per-tool scopes cannot be dodged by how the tool is named or batched.
TEST_F(GatewayAttackTest, ToolScopeEvasionIsDenied) {
  const int before = Seen();
  const std::string token = Bearer(Alice());  // scope "mcp" only; admin_tool needs "admin"
  const std::string denied = R"(Tool \"admin_tool\" requires scopes: ['admin'])";
  // A batch hiding the call after an allowed one, a duplicate "name", an escaped name.
  const std::string batch =
      StrCat("[", kPing, R"(,{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_tool"}}])");
  std::string r = Raw(Post("/mcp", batch, token));
  EXPECT_THAT(r, HasSubstr(denied));
  r = Raw(Post("/mcp", R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","name":"admin_tool"}})",
               token));
  EXPECT_THAT(r, StartsWith("HTTP/1.1 400"));
  r = Raw(Post("/mcp", R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"admin\u005ftool"}})", token));
  EXPECT_THAT(r, HasSubstr(denied));
  r = Raw(Post("/mcp",
               R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"admin_tool"},"method":"ping"})",
               token));
  EXPECT_THAT(r, StartsWith("HTTP/1.1 400"));
  // Only the batch's ping went upstream (the denied member was answered by the gateway).
  EXPECT_LE(Seen(), before + 1);
  std::lock_guard<std::mutex> lock(world_->mu);
  for (size_t i = static_cast<size_t>(before); i < world_->seen.size(); ++i) {
    EXPECT_THAT(world_->seen[i].body, ::testing::Not(HasSubstr("admin_tool")));
  }
}

}  // namespace
}  // namespace mcpauth
