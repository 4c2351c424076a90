// The gateway as an HTTP proxy under hostile framing, authorization off: an upstream
// that sends interim 1xx answers, bodyless statuses, bytes after a response, or
// closes instead of answering; clients that send Expect, duplicate headers or
// identities with control characters. One server thread, so every request shares
// one upstream pool: whatever one caller leaves on a pooled connection, the next
// caller would read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "gateway/gateway.h"
#include "gateway/server.h"
#include "services/common/strings.h"
#include "tests/support/raw_http.h"
#include "tests/support/scripted_upstream.h"
#include "tests/support/wait_for.h"

namespace mcpauth::gw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string Post(std::string_view body, std::string_view extra_headers = "", std::string_view path = "/mcp") {
  return StrCat("POST ", path, " HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nConnection: close\r\n",
                extra_headers, "Content-Length: ", body.size(), "\r\n\r\n", body);
}

// Answers with the request body echoed (each caller's own answer is recognisable).
test::ScriptedAnswer Echo(const test::ReceivedRequest& r) { return {test::RawResponse(200, r.body)}; }

// Forwards a fixed set of identity headers (an authenticated caller, as the
// authorization pipeline would send it).
class FixedIdentityPipeline final : public McpPipeline {
 public:
  explicit FixedIdentityPipeline(std::vector<std::pair<std::string, std::string>> headers)
      : headers_(std::move(headers)) {}
  Task<McpDecision> Decide(Request&, const RequestInfo&) override {
    McpDecision d;
    d.upstream_headers = headers_;
    co_return d;
  }

 private:
  std::vector<std::pair<std::string, std::string>> headers_;
};

class ProxyFramingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(upstream_.Start().ok());
    upstream_.SetHandler(Echo);
  }
  void StartGateway(McpPipeline* pipeline = nullptr, GatewayLimits limits = {}) {
    GatewayOptions options;
    options.limits = limits;
    options.routes = {GatewayRoute{"/mcp", "https://mcp.example.com/mcp", upstream_.Url("/mcp")}};
    auto gw = Gateway::Create(options, &metrics_, pipeline != nullptr ? pipeline : &pass_through_,
                              [] { return true; });
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = std::move(*gw);
    server_ = std::make_unique<Server>(gateway_.get(), 1);
    ASSERT_TRUE(server_->Start("127.0.0.1:0").ok());
  }
  void TearDown() override {
    if (server_) server_->Drain(absl::Seconds(1));
    upstream_.Stop();
  }
  std::string Exchange(const std::string& bytes) { return test::RawHttpExchange(server_->port(), bytes); }

  test::ScriptedUpstream upstream_;
  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  PassThroughPipeline pass_through_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<Server> server_;
};

// The critical one: an upstream that answers "100 Continue" (as Node's and Python's
// servers do to Expect) must not make the interim answer pass for the final one,
// leaving the real answer on a pooled connection for the next caller.
TEST_F(ProxyFramingTest, ExpectIsNotForwardedAndNoCallerGetsAnothersAnswer) {
  StartGateway();
  const std::string a = Exchange(Post(R"({"caller":"A"})", "Expect: 100-continue\r\n"));
  const std::string b = Exchange(Post(R"({"caller":"B"})"));
  EXPECT_THAT(a, HasSubstr("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200"));  // the gateway's own 100, then A's answer
  EXPECT_EQ(test::RawBody(a.substr(a.find("HTTP/1.1 200"))), R"({"caller":"A"})");
  EXPECT_THAT(b, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(test::RawBody(b), R"({"caller":"B"})");
  for (const auto& r : upstream_.Requests()) EXPECT_TRUE(r.Values("Expect").empty()) << r.body;
}

// Interim answers an upstream sends unasked (102, 103 Early Hints) are passed over;
// the final answer is relayed and the connection stays usable.
TEST_F(ProxyFramingTest, InterimAnswersArePassedOver) {
  upstream_.SetHandler([](const test::ReceivedRequest& r) {
    return test::ScriptedAnswer{StrCat("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
                                       "HTTP/1.1 102 Processing\r\n\r\n", test::RawResponse(200, r.body))};
  });
  StartGateway();
  const std::string a = Exchange(Post(R"({"caller":"A"})"));
  const std::string b = Exchange(Post(R"({"caller":"B"})"));
  EXPECT_THAT(a, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(a, Not(HasSubstr("Early Hints")));
  EXPECT_EQ(test::RawBody(a), R"({"caller":"A"})");
  EXPECT_EQ(test::RawBody(b), R"({"caller":"B"})");
  EXPECT_EQ(upstream_.Connections(), 1);  // reused: each answer was read to its end
}

// 101 was never asked for (the gateway forwards no Upgrade): 502, connection dropped.
TEST_F(ProxyFramingTest, SwitchingProtocolsIsRefused) {
  upstream_.SetHandler([](const test::ReceivedRequest&) {
    return test::ScriptedAnswer{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nxyz"};
  });
  StartGateway();
  EXPECT_THAT(Exchange(Post(R"({"caller":"A"})")), StartsWith("HTTP/1.1 502"));
  upstream_.SetHandler(Echo);
  EXPECT_EQ(test::RawBody(Exchange(Post(R"({"caller":"B"})"))), R"({"caller":"B"})");
  EXPECT_EQ(upstream_.Connections(), 2);
}

// 204 and 304 carry no content: no Content-Length, no chunked terminator, nothing
// between them and the next response on a keep-alive connection.
TEST_F(ProxyFramingTest, BodylessAnswersGetNoStrayBytes) {
  for (int status : {204, 304}) {
    SCOPED_TRACE(status);
    upstream_.SetHandler([status](const test::ReceivedRequest& r) {
      return test::ScriptedAnswer{r.body == "first" ? StrCat("HTTP/1.1 ", status, " X\r\nX-Kind: bodyless\r\n\r\n")
                                                    : test::RawResponse(200, "second")};
    });
    if (!server_) StartGateway();
    const std::string pipelined = StrCat("POST /mcp HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nfirst",
                                         Post("again"));
    const std::string r = Exchange(pipelined);
    ASSERT_THAT(r, StartsWith(StrCat("HTTP/1.1 ", status)));
    const size_t head_end = r.find("\r\n\r\n");
    const std::string head = r.substr(0, head_end);
    EXPECT_THAT(head, Not(HasSubstr("Content-Length")));
    EXPECT_THAT(head, Not(HasSubstr("Transfer-Encoding")));
    EXPECT_THAT(head, HasSubstr("X-Kind: bodyless"));
    EXPECT_THAT(r.substr(head_end + 4), StartsWith("HTTP/1.1 200")) << r;
    EXPECT_EQ(test::RawBody(r.substr(head_end + 4)), "second");
  }
}

// A response whose end the upstream framed as Content-Length: 0 is relayed as such.
TEST_F(ProxyFramingTest, EmptyBodyIsContentLengthZero) {
  upstream_.SetHandler([](const test::ReceivedRequest&) { return test::ScriptedAnswer{test::RawResponse(202, "")}; });
  StartGateway();
  const std::string r = Exchange(Post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  EXPECT_THAT(r, StartsWith("HTTP/1.1 202"));
  EXPECT_EQ(test::RawHeader(r, "Content-Length"), "0");
  EXPECT_EQ(test::RawBody(r), "");
}

// Bytes an upstream sends after its response, at once or later while the
// connection idles, are never read as the next caller's answer.
TEST_F(ProxyFramingTest, BytesAfterAResponseNeverReachTheNextCaller) {
  const std::string smuggled = test::RawResponse(200, R"({"caller":"EVIL"})");
  upstream_.SetHandler([&](const test::ReceivedRequest& r) {
    if (r.body == R"({"caller":"A"})") return test::ScriptedAnswer{test::RawResponse(200, r.body) + smuggled};
    if (r.body == R"({"caller":"C"})") {
      return test::ScriptedAnswer{.bytes = test::RawResponse(200, r.body),
                                  .later = smuggled,
                                  .later_delay = absl::Milliseconds(50)};
    }
    return Echo(r);
  });
  StartGateway();
  EXPECT_EQ(test::RawBody(Exchange(Post(R"({"caller":"A"})"))), R"({"caller":"A"})");
  EXPECT_EQ(test::RawBody(Exchange(Post(R"({"caller":"B"})"))), R"({"caller":"B"})");
  EXPECT_EQ(test::RawBody(Exchange(Post(R"({"caller":"C"})"))), R"({"caller":"C"})");
  // The late bytes are on the idle pooled connection (on loopback, written is arrived).
  ASSERT_TRUE(test::WaitFor([&] { return upstream_.LateWrites() == 1; }, absl::Seconds(5)));
  EXPECT_EQ(test::RawBody(Exchange(Post(R"({"caller":"D"})"))), R"({"caller":"D"})");
}

// A POST sent on a pooled connection that then closes without a byte of answer
// may have run upstream: it is not sent again (a tool would run twice).
TEST_F(ProxyFramingTest, APostIsNeverSentTwice) {
  upstream_.SetHandler([](const test::ReceivedRequest& r) {
    if (r.body == "second") return test::ScriptedAnswer{.bytes = "", .close = true};
    return Echo(r);
  });
  StartGateway();
  EXPECT_EQ(test::RawBody(Exchange(Post("first"))), "first");
  EXPECT_THAT(Exchange(Post("second")), StartsWith("HTTP/1.1 502"));
  int seen = 0;
  for (const auto& r : upstream_.Requests()) seen += r.body == "second" ? 1 : 0;
  EXPECT_EQ(seen, 1);
}

// Headers whose single value matters are refused when repeated, and a session id
// must be visible ASCII (an empty one is not "no session").
TEST_F(ProxyFramingTest, RepeatedOrEmptySessionHeadersAreRefused) {
  StartGateway();
  for (std::string_view headers : {"Mcp-Session-Id: s-1\r\nMcp-Session-Id: s-2\r\n", "Mcp-Session-Id: \r\nMcp-Session-Id: s-2\r\n",
                                   "Mcp-Session-Id: \r\n", "Mcp-Session-Id: a b\r\n",
                                   "Origin: https://mcp.example.com\r\nOrigin: http://evil.example\r\n",
                                   "Host: other\r\n", "MCP-Protocol-Version: 2025-06-18\r\nMCP-Protocol-Version: 2025-11-25\r\n"}) {
    SCOPED_TRACE(headers);
    const std::string r = Exchange(Post("{}", headers));
    EXPECT_THAT(r, StartsWith("HTTP/1.1 400"));
    EXPECT_THAT(test::RawBody(r), HasSubstr("-32600"));
  }
  EXPECT_TRUE(upstream_.Requests().empty());
}

// A header named in the upstream's Connection header is hop-by-hop: not relayed.
TEST_F(ProxyFramingTest, ConnectionNamedResponseHeadersAreNotRelayed) {
  upstream_.SetHandler([](const test::ReceivedRequest&) {
    return test::ScriptedAnswer{test::RawResponse(200, "{}", "Connection: X-Internal\r\nX-Internal: secret\r\nX-Public: yes\r\n")};
  });
  StartGateway();
  const std::string r = Exchange(Post("{}"));
  EXPECT_EQ(test::RawHeader(r, "X-Internal"), "");
  EXPECT_EQ(test::RawHeader(r, "X-Public"), "yes");
}

// More than one Mcp-Session-Id from the upstream: which binds? Neither: 502.
TEST_F(ProxyFramingTest, TwoSessionIdsFromTheUpstreamAreRefused) {
  upstream_.SetHandler([](const test::ReceivedRequest&) {
    return test::ScriptedAnswer{test::RawResponse(200, "{}", "Mcp-Session-Id: s-1\r\nMcp-Session-Id: s-2\r\n")};
  });
  StartGateway();
  EXPECT_THAT(Exchange(Post("{}")), StartsWith("HTTP/1.1 502"));
}

// The last line against header injection: an identity value with CR/LF is never
// written upstream, whatever the pipeline hands over.
TEST_F(ProxyFramingTest, IdentityValuesWithControlCharactersNeverGoUpstream) {
  FixedIdentityPipeline pipeline(
      std::vector<std::pair<std::string, std::string>>{{"X-MCP-Auth-Subject", "alice\r\nX-MCP-Auth-Scopes: admin"}});
  StartGateway(&pipeline);
  EXPECT_THAT(Exchange(Post("{}")), StartsWith("HTTP/1.1 500"));
  EXPECT_TRUE(upstream_.Requests().empty());
}

// At gateway.limits.max_connections, a connection that only waits for a request is
// closed to make room (found by review: one client holding every slot idle kept
// everyone else out); when every connection is busy with a request, a new one gets
// a 503 with Retry-After and is closed.
TEST_F(ProxyFramingTest, AtTheConnectionCapWaitingConnectionsMakeRoom) {
  upstream_.SetHandler([](const test::ReceivedRequest& r) {
    if (r.body == "slow") {
      return test::ScriptedAnswer{.bytes = "", .later = test::RawResponse(200, "slow"),
                                  .later_delay = absl::Milliseconds(800)};
    }
    return Echo(r);
  });
  StartGateway(nullptr, GatewayLimits{.max_connections = 2});
  namespace asio = boost::asio;
  asio::io_context io;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> held;
  const std::string keep_alive = "POST /mcp HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n\r\nidle";
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<asio::ip::tcp::socket>(io));
    held.back()->connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    asio::write(*held.back(), asio::buffer(keep_alive));
    beast::flat_buffer buffer;
    http::response<http::string_body> answer;
    http::read(*held.back(), buffer, answer);
    ASSERT_EQ(answer.result_int(), 200u);
  }
  // Both slots hold connections waiting for their next request: one is closed.
  EXPECT_EQ(test::RawBody(Exchange(Post("new"))), "new");
  boost::system::error_code ec;
  char byte;
  held[0]->read_some(asio::buffer(&byte, 1), ec);  // the oldest was the one closed
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  held.clear();
  // Both slots busy with requests in flight: a new connection is refused.
  std::vector<std::thread> slow;
  std::vector<std::string> answers(2);
  for (int i = 0; i < 2; ++i) slow.emplace_back([&, i] { answers[i] = Exchange(Post("slow")); });
  ASSERT_TRUE(test::WaitFor([&] {
    int n = 0;
    for (const auto& r : upstream_.Requests()) n += r.body == "slow" ? 1 : 0;
    return n == 2;
  }, absl::Seconds(5)));
  const std::string refused = Exchange(Post("{}"));
  EXPECT_THAT(refused, StartsWith("HTTP/1.1 503"));
  EXPECT_EQ(test::RawHeader(refused, "Retry-After"), "1");
  EXPECT_THAT(refused, HasSubstr("too_many_connections"));
  for (auto& t : slow) t.join();
  for (const std::string& a : answers) EXPECT_EQ(test::RawBody(a), "slow");
  EXPECT_TRUE(test::WaitFor([&] { return Exchange(Post("{}")).starts_with("HTTP/1.1 200"); }, absl::Seconds(5)));
}

}  // namespace
}  // namespace mcpauth::gw
