// The gateway's edge behaviour with authorization off: the real server in-process,
// a recording loopback upstream, and raw HTTP/1.1 from the test so malformed and
// slow requests can be sent.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "gateway/gateway.h"
#include "gateway/server.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/raw_http.h"

namespace mcpauth::gw {
namespace {

std::string RawExchange(unsigned short port, const std::string& bytes, bool half_close = true) {
  return test::RawHttpExchange(port, bytes, half_close);
}

std::string Post(std::string_view path, std::string_view body, std::string_view extra_headers = "") {
  return StrCat("POST ", path, " HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nConnection: close\r\n",
                extra_headers, "Content-Length: ", body.size(), "\r\n\r\n", body);
}

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(upstream_.Start().ok());
    upstream_.SetHandler("/mcp", [](const test::HttpRequestInfo& r) {
      boost::json::object headers;
      for (const auto& [name, value] : r.headers) headers[AsciiLower(name)] = value;
      test::HttpReply reply;
      reply.body = ToJson(boost::json::object{{"headers", headers}, {"body", r.body}, {"target", r.target}});
      reply.headers = {{"Mcp-Session-Id", "s-1"}};
      return reply;
    });
    GatewayOptions options;
    options.limits.max_body_bytes = 4096;
    options.limits.max_header_bytes = 2048;
    options.limits.header_timeout = absl::Milliseconds(300);
    options.allowed_origins = {"https://app.example.com"};
    options.routes = {GatewayRoute{"/mcp", "https://mcp.example.com/mcp", upstream_.Url("/mcp")},
                      GatewayRoute{"/down", "https://mcp.example.com/down", "http://127.0.0.1:1/mcp"}};
    auto gw = Gateway::Create(options, &metrics_, &pipeline_, [] { return true; });
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = std::move(*gw);
    server_ = std::make_unique<Server>(gateway_.get(), 2);
    ASSERT_TRUE(server_->Start("127.0.0.1:0").ok());
  }
  void TearDown() override {
    if (server_) server_->Drain(absl::Seconds(1));
  }

  // The upstream's record of what reached it.
  boost::json::object Upstreamed(const std::string& response) {
    const size_t body = response.find("\r\n\r\n");
    boost::json::value v;
    EXPECT_EQ(ParseStrictJson(response.substr(body + 4), v), JsonParseError::kNone) << response;
    return v.is_object() ? v.get_object() : boost::json::object{};
  }

  test::LoopbackHttpServer upstream_;
  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  PassThroughPipeline pipeline_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<Server> server_;
};

TEST_F(ProxyTest, ForwardsWithoutCredentialsOrSpoofedIdentity) {
  const std::string r = RawExchange(
      server_->port(),
      Post("/mcp?x=1", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
           "Authorization: Bearer secret-token\r\nDPoP: proof\r\nX-MCP-Auth-Subject: admin\r\n"
           "x-mcp-auth-scopes: everything\r\nX-Forwarded-For: 6.6.6.6\r\nMcp-Session-Id: s-1\r\n"
           "MCP-Protocol-Version: 2025-06-18\r\nConnection: close, X-Remove-Me\r\nX-Remove-Me: y\r\n"));
  ASSERT_TRUE(r.starts_with("HTTP/1.1 200")) << r;
  EXPECT_NE(r.find("Mcp-Session-Id: s-1"), std::string::npos);
  boost::json::object up = Upstreamed(r);
  const boost::json::object& h = up["headers"].as_object();
  EXPECT_FALSE(h.contains("authorization"));
  EXPECT_FALSE(h.contains("dpop"));
  EXPECT_FALSE(h.contains("x-mcp-auth-subject"));
  EXPECT_FALSE(h.contains("x-mcp-auth-scopes"));
  EXPECT_FALSE(h.contains("x-remove-me"));
  EXPECT_EQ(h.at("x-forwarded-for").as_string(), "127.0.0.1");  // the untrusted peer's own claim is dropped
  EXPECT_EQ(h.at("x-forwarded-proto").as_string(), "https");
  EXPECT_EQ(h.at("mcp-session-id").as_string(), "s-1");
  EXPECT_EQ(h.at("mcp-protocol-version").as_string(), "2025-06-18");
  EXPECT_EQ(h.at("host").as_string(), StrCat("127.0.0.1:", upstream_.port()));
  EXPECT_EQ(up["body"].as_string(), R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  EXPECT_EQ(up["target"].as_string(), "/mcp?x=1");
}

TEST_F(ProxyTest, OriginsAndCors) {
  const std::string bad = RawExchange(server_->port(), Post("/mcp", "{}", "Origin: http://evil.example\r\n"));
  EXPECT_TRUE(bad.starts_with("HTTP/1.1 403")) << bad;
  // The refusal answers the request's id when the body is one request, else null.
  const std::string one = RawExchange(
      server_->port(), Post("/mcp", R"({"jsonrpc":"2.0","id":7,"method":"ping"})", "Origin: http://evil.example\r\n"));
  EXPECT_NE(one.find(R"("id":7)"), std::string::npos) << one;
  const std::string batch = RawExchange(
      server_->port(), Post("/mcp", R"([{"jsonrpc":"2.0","id":7,"method":"ping"}])", "Origin: http://evil.example\r\n"));
  EXPECT_NE(batch.find(R"("id":null)"), std::string::npos) << batch;
  EXPECT_EQ(upstream_.RequestCount("/mcp"), 0);
  const std::string good = RawExchange(server_->port(), Post("/mcp", "{}", "Origin: https://app.example.com\r\n"));
  EXPECT_TRUE(good.starts_with("HTTP/1.1 200")) << good;
  EXPECT_NE(good.find("Access-Control-Allow-Origin: https://app.example.com"), std::string::npos);
  EXPECT_NE(good.find("WWW-Authenticate, Mcp-Session-Id, DPoP-Nonce"), std::string::npos);
  const std::string preflight = RawExchange(
      server_->port(), "OPTIONS /mcp HTTP/1.1\r\nHost: gw\r\nOrigin: https://mcp.example.com\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(preflight.starts_with("HTTP/1.1 204")) << preflight;
  EXPECT_EQ(preflight.find("Content-Length"), std::string::npos) << preflight;  // never on a 204 (RFC 9110 §8.6)
  EXPECT_NE(preflight.find("Access-Control-Allow-Headers: Authorization, DPoP"), std::string::npos);
}

TEST_F(ProxyTest, Limits) {
  const std::string big = RawExchange(server_->port(), Post("/mcp", std::string(5000, 'x')));
  EXPECT_TRUE(big.starts_with("HTTP/1.1 413")) << big;
  const std::string headers = RawExchange(
      server_->port(), StrCat("GET /mcp HTTP/1.1\r\nHost: gw\r\nX-Big: ", std::string(3000, 'a'), "\r\n\r\n"));
  EXPECT_TRUE(headers.starts_with("HTTP/1.1 431")) << headers;
  // Chunked body over the limit: refused while reading.
  const std::string chunked = RawExchange(
      server_->port(), StrCat("POST /mcp HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n1400\r\n",
                              std::string(5120, 'x'), "\r\n0\r\n\r\n"));
  EXPECT_TRUE(chunked.starts_with("HTTP/1.1 413")) << chunked;
  EXPECT_EQ(upstream_.RequestCount("/mcp"), 0);
}

// Slowloris: headers that never finish are dropped at header_timeout.
TEST_F(ProxyTest, SlowHeadersAreDropped) {
  const auto start = std::chrono::steady_clock::now();
  const std::string r = RawExchange(server_->port(), "GET /mcp HTTP/1.1\r\nHost: gw\r\nX-Slow: ", false);
  EXPECT_EQ(r, "");  // closed without an answer
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST_F(ProxyTest, SmugglingAttemptsAreRefused) {
  const std::string both = RawExchange(
      server_->port(),
      "POST /mcp HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(both.starts_with("HTTP/1.1 400")) << both;
  const std::string two_lengths = RawExchange(
      server_->port(), "POST /mcp HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}");
  EXPECT_TRUE(two_lengths.starts_with("HTTP/1.1 400")) << two_lengths;
  EXPECT_EQ(upstream_.RequestCount("/mcp"), 0);
}

TEST_F(ProxyTest, UpstreamDownIsA502WithAJsonRpcError) {
  const std::string r = RawExchange(server_->port(), Post("/down", R"({"jsonrpc":"2.0","id":42,"method":"ping"})"));
  EXPECT_TRUE(r.starts_with("HTTP/1.1 502")) << r;
  EXPECT_NE(r.find(R"("id":42)"), std::string::npos);
  EXPECT_NE(r.find(R"("code":-32603)"), std::string::npos);
}

TEST_F(ProxyTest, RoutingHealthAndMethods) {
  EXPECT_TRUE(RawExchange(server_->port(), "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n").starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(RawExchange(server_->port(), "GET /readyz HTTP/1.1\r\nHost: gw\r\n\r\n").starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(RawExchange(server_->port(), "GET /other HTTP/1.1\r\nHost: gw\r\n\r\n").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(RawExchange(server_->port(), "PUT /mcp HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n")
                  .starts_with("HTTP/1.1 405"));
}

TEST_F(ProxyTest, ARouteCannotTakeAProbePath) {
  for (const char* probe : {"/healthz", "/readyz"}) {
    GatewayOptions options;
    options.routes = {GatewayRoute{probe, "https://mcp.example.com/mcp", upstream_.Url("/mcp")}};
    auto gw = Gateway::Create(options, &metrics_, &pipeline_, [] { return true; });
    ASSERT_FALSE(gw.ok()) << probe;
    EXPECT_EQ(gw.status().message(), StrCat("gateway.routes[0].path: ", probe, " is the gateway's own probe"));
  }
}

TEST_F(ProxyTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  const std::string one = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  std::string two_requests = StrCat("POST /mcp HTTP/1.1\r\nHost: gw\r\nContent-Length: ", one.size(), "\r\n\r\n", one,
                                    Post("/mcp", one));
  const std::string r = RawExchange(server_->port(), two_requests);
  size_t count = 0;
  for (size_t pos = r.find("HTTP/1.1 200"); pos != std::string::npos; pos = r.find("HTTP/1.1 200", pos + 1)) ++count;
  EXPECT_EQ(count, 2u) << r;
}

}  // namespace
}  // namespace mcpauth::gw
