// The gateway (authorization off, the real binary) and nginx (Debian's, as a reverse
// proxy) in front of the same recording upstream, sent the same raw requests:
// framing (Content-Length, chunked, pipelined, keep-alive), interim 1xx answers,
// bodyless answers, header oddities. What the upstream receives and what the client
// gets back must mean the same through both, or differ exactly as
// docs/reliability.md ("Differences from nginx as a reverse proxy") lists, which
// the cases below assert, so a change on either side shows up here.
//
// Compared in meaning: method, target, body (de-chunked) and end-to-end headers
// upstream; interim answers, final statuses, end-to-end headers and bodies for the
// client. Framing and per-hop headers (Host, Connection, Keep-Alive,
// Content-Length, Transfer-Encoding, TE, X-Forwarded-*, Server, Date) differ by
// design and are left out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <unistd.h>

#include <algorithm>
#include <map>

#include "services/common/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/nginx_process.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/scripted_upstream.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

using Headers = std::vector<std::pair<std::string, std::string>>;

// Headers that describe a hop or the framing, not the message.
bool PerHop(std::string_view name) {
  for (std::string_view h : {"host", "connection", "keep-alive", "content-length", "transfer-encoding", "te",
                             "x-forwarded-for", "x-forwarded-proto", "server", "date", "proxy-connection"}) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}

Headers EndToEnd(const Headers& headers) {
  Headers out;
  for (const auto& [name, value] : headers) {
    if (!PerHop(name)) out.emplace_back(AsciiLower(name), value);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::string Describe(const Headers& headers) {
  std::string out;
  for (const auto& [name, value] : headers) StrAppend(out, name, ": ", value, "; ");
  return out;
}

struct ClientAnswer {
  std::vector<int> interim;  // 1xx statuses, in order
  int status = 0;
  Headers headers;
  std::string body;
};

// Every response in `raw`, in order; a 1xx goes to the next final answer's interim list.
std::vector<ClientAnswer> ParseAnswers(const std::string& raw, bool head_request = false) {
  std::vector<ClientAnswer> answers;
  ClientAnswer current;
  size_t at = 0;
  while (at < raw.size()) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.skip(head_request);
    beast::error_code ec;
    const size_t used = parser.put(boost::asio::buffer(raw.data() + at, raw.size() - at), ec);
    if (ec == http::error::need_more) {
      parser.put_eof(ec);  // a close-delimited body ends with the connection
    }
    if ((ec && ec != http::error::need_more) || !parser.is_done()) {
      current.status = -1;  // unparseable or cut short
      current.body = raw.substr(at);
      answers.push_back(current);
      return answers;
    }
    at += used;
    const auto& m = parser.get();
    if (m.result_int() / 100 == 1) {
      current.interim.push_back(m.result_int());
      continue;
    }
    current.status = m.result_int();
    for (const auto& f : m) current.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    current.headers = EndToEnd(current.headers);
    current.body = m.body();
    answers.push_back(std::move(current));
    current = ClientAnswer{};
  }
  return answers;
}

struct Seen {
  std::string method, target, body;
  Headers headers;
};

// How a case's outcome through nginx relates to the gateway's (docs/reliability.md).
enum class Nginx {
  kSame,           // the same meaning upstream and back
  kNotRun,         // nginx mishandles it in a way that takes a timeout to show (below)
  kDiffers,        // a listed difference, asserted case by case
};

struct Case {
  std::string name;
  // The client's bytes, with CASE standing for the case's name (in the target).
  std::string request;
  // The upstream's answer to each request of the case, in order (the last repeats).
  std::vector<std::string> answers = {test::RawResponse(200, R"({"ok":true})", "Content-Type: application/json\r\n")};
  bool head_request = false;
  Nginx nginx = Nginx::kSame;
};

std::string Substitute(std::string text, const std::string& name) {
  for (size_t at = text.find("CASE"); at != std::string::npos; at = text.find("CASE", at + name.size())) {
    text.replace(at, 4, name);
  }
  return text;
}

constexpr char kBody[] = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";

std::string Post(std::string_view extra_headers = "", std::string_view body = kBody) {
  return StrCat("POST /mcp?case=CASE HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n", extra_headers,
                "Content-Length: ", body.size(), "\r\n\r\n", body);
}

std::vector<Case> Cases() {
  const std::string close = "Connection: close\r\n";
  return {
      {.name = "content-length", .request = Post(close)},
      {.name = "chunked-request",
       .request = StrCat("POST /mcp?case=CASE HTTP/1.1\r\nHost: proxy\r\nTransfer-Encoding: chunked\r\n", close,
                         "\r\n5\r\n{\"a\":\r\n3\r\n12}\r\n0\r\n\r\n")},
      {.name = "expect-continue", .request = Post(StrCat(close, "Expect: 100-continue\r\n"))},
      // nginx 1.22 takes an upstream's interim answer for the final one and relays
      // the real answer's bytes after it as that answer's body, holding the
      // connection until proxy_read_timeout (60 s).
      {.name = "upstream-100-continue",
       .request = Post(close),
       .answers = {StrCat("HTTP/1.1 100 Continue\r\n\r\n", test::RawResponse(200, "final"))},
       .nginx = Nginx::kNotRun},
      {.name = "upstream-103-early-hints",
       .request = Post(close),
       .answers = {StrCat("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
                          test::RawResponse(200, "final"))},
       .nginx = Nginx::kNotRun},
      {.name = "upstream-204", .request = Post(close), .answers = {"HTTP/1.1 204 No Content\r\nX-Kind: empty\r\n\r\n"}},
      {.name = "upstream-304",
       .request = Post(close),
       .answers = {"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n"}},
      {.name = "upstream-chunked",
       .request = Post(close),
       .answers = {"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "d\r\ndata: {\"a\":1}\r\n2\r\n\n\n\r\n0\r\n\r\n"}},
      {.name = "upstream-close-delimited",
       .request = Post(close),
       .answers = {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"until\":\"close\"}"}},
      {.name = "upstream-connection-named-header",
       .request = Post(close),
       .answers = {test::RawResponse(200, "x", "Connection: X-Internal\r\nX-Internal: secret\r\nX-Public: yes\r\n")},
       .nginx = Nginx::kDiffers},
      {.name = "pipelined",
       .request = StrCat(Post(), Post(close, R"({"second":true})")),
       .answers = {test::RawResponse(200, "one"), test::RawResponse(200, "two")}},
      {.name = "keep-alive-204-then-200",
       .request = StrCat(Post(), Post(close)),
       .answers = {"HTTP/1.1 204 No Content\r\n\r\n", test::RawResponse(200, "after")}},
      {.name = "header-oddities",
       .request = Post(StrCat(close, "X-Dup: a\r\nX-Dup: b\r\nX-Spaces:   padded   \r\nX-Empty:\r\n",
                              "Connection: X-Hop\r\nX-Hop: gone\r\nTE: trailers\r\nX_Under: dropped\r\n")),
       .nginx = Nginx::kDiffers},
      {.name = "conflicting-framing",
       .request = "POST /mcp?case=CASE HTTP/1.1\r\nHost: proxy\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n"
                  "Connection: close\r\n\r\n0\r\n\r\n",
       .nginx = Nginx::kDiffers},
      {.name = "bytes-after-response",
       .request = StrCat(Post(), Post(close, R"({"second":true})")),
       .answers = {StrCat(test::RawResponse(200, "one"), test::RawResponse(200, "SMUGGLED")),
                   test::RawResponse(200, "two")}},
      {.name = "head", .request = "HEAD /mcp?case=CASE HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n",
       .answers = {test::RawResponse(200, "")},
       .head_request = true,
       .nginx = Nginx::kDiffers},
  };
}

class DifferentialProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(upstream_.Start().ok());
    upstream_.SetHandler([this](const test::ReceivedRequest& r) {
      const size_t at = r.target.find("case=");
      const std::string name = at == std::string::npos ? "" : r.target.substr(at + 5);
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<std::string>& answers = answers_[name];
      const int n = served_[name]++;
      test::ScriptedAnswer answer;
      answer.bytes = answers.empty() ? test::RawResponse(404, "no case") : answers[std::min<size_t>(n, answers.size() - 1)];
      answer.close = answer.bytes.find("Connection: close") != std::string::npos;
      return answer;
    });
    StartGateway();
    StartNginx();
  }
  void TearDown() override {
    if (nginx_) nginx_->Stop();
    if (gateway_) gateway_->Stop();
    upstream_.Stop();
  }

  void StartGateway() {
    gateway_port_ = test::PickFreePort();
    test::WriteFile(dir_.File("gateway.yaml"),
                    StrCat("resource: \"http://127.0.0.1:", gateway_port_, "/mcp\"\nlogging: {level: warn}\n",
                           "gateway:\n  listen: \"127.0.0.1:", gateway_port_, "\"\n  metrics_listen: \"\"\n",
                           "  threads: 1\n  routes: [{path: /mcp, upstream: \"", upstream_.Url("/mcp"), "\"}]\n"));
    auto p = test::ChildProcess::Start({.argv = {StrCat(MCPAUTH_BINARY_DIR, "/bin/mcpauth-gateway"), "--config",
                                                 dir_.File("gateway.yaml")},
                                        .log_path = dir_.File("gateway.log")});
    ASSERT_TRUE(p.ok()) << p.status();
    gateway_ = std::move(*p);
    ASSERT_TRUE(test::WaitFor(
        [&] { return test::RawHttpExchange(gateway_port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 200"); },
        absl::Seconds(20)))
        << gateway_->LogText();
  }

  void StartNginx() {
    nginx_port_ = test::PickFreePort();
    // As a reverse proxy for an MCP server would be set up: HTTP/1.1 and keep-alive
    // upstream, responses streamed (SSE), the upstream's Host as the gateway sends it.
    auto p = test::NginxProcess::Start(dir_, StrCat(R"(
  upstream mcp { server 127.0.0.1:)", upstream_.port(), R"(; keepalive 8; }
  server {
    listen 127.0.0.1:)", nginx_port_, R"(;
    location /mcp {
      proxy_pass http://mcp/mcp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1:)", upstream_.port(), R"(;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
    }
  }
)"), nginx_port_);
    ASSERT_TRUE(p.ok()) << p.status();
    nginx_ = std::move(*p);
  }

  // Sends the case through the proxy at `port` under the case name `name`; what the
  // upstream saw and what the client got back.
  std::pair<std::vector<Seen>, std::vector<ClientAnswer>> Run(const Case& c, int port, const std::string& name) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      answers_[name] = c.answers;
      served_[name] = 0;
    }
    const size_t before = upstream_.Requests().size();
    // No half-close: nginx takes the end of input as the client giving up. Every case
    // ends with a request that asks to close, so the proxy closes when it is done.
    const std::string raw = test::RawHttpExchange(port, Substitute(c.request, name), false, absl::Seconds(5));
    std::vector<Seen> seen;
    const std::vector<test::ReceivedRequest> all = upstream_.Requests();
    for (size_t i = before; i < all.size(); ++i) {
      if (all[i].target.find(StrCat("case=", name)) == std::string::npos) continue;
      seen.push_back({all[i].method, all[i].target, all[i].body, EndToEnd(all[i].headers)});
    }
    return {seen, ParseAnswers(raw, c.head_request)};
  }

  test::TempDir dir_{"mcpauth-differential"};
  test::ScriptedUpstream upstream_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> answers_;
  std::map<std::string, int> served_;
  std::unique_ptr<test::ChildProcess> gateway_;
  std::unique_ptr<test::NginxProcess> nginx_;
  int gateway_port_ = 0, nginx_port_ = 0;
};

// The listed differences, each asserted as it is.
void ExpectListedDifference(const Case& c, const std::vector<Seen>& gw_seen, const std::vector<ClientAnswer>& gw_got,
                            const std::vector<Seen>& ng_seen, const std::vector<ClientAnswer>& ng_got) {
  if (c.name == "conflicting-framing") {
    // Both refuse it before the upstream sees anything; nginx answers 400, the
    // gateway 400 too, but nginx's comes as HTML and the gateway's as JSON.
    EXPECT_TRUE(gw_seen.empty() && ng_seen.empty());
    ASSERT_EQ(gw_got.size(), 1u);
    ASSERT_EQ(ng_got.size(), 1u);
    EXPECT_EQ(gw_got[0].status, 400);
    EXPECT_EQ(ng_got[0].status, 400);
  } else if (c.name == "head") {
    // MCP's endpoint has no HEAD: the gateway answers 405 (a header, no body); nginx
    // passes it on.
    EXPECT_TRUE(gw_seen.empty());
    ASSERT_EQ(gw_got.size(), 1u);
    EXPECT_EQ(gw_got[0].status, 405);
    EXPECT_EQ(gw_got[0].body, "");
    ASSERT_EQ(ng_seen.size(), 1u);
    EXPECT_EQ(ng_seen[0].method, "HEAD");
  } else if (c.name == "upstream-connection-named-header") {
    // RFC 9110 §7.6.1: a header the Connection header names is hop-by-hop. The
    // gateway drops it; nginx relays it.
    ASSERT_EQ(gw_got.size(), 1u);
    ASSERT_EQ(ng_got.size(), 1u);
    EXPECT_EQ(Describe(gw_got[0].headers), "x-public: yes; ");
    EXPECT_EQ(Describe(ng_got[0].headers), "x-internal: secret; x-public: yes; ");
  } else if (c.name == "header-oddities") {
    // The same for a client's Connection header: the gateway drops X-Hop, nginx
    // forwards it. Both drop the underscore name, keep repeated and empty headers
    // and trim values.
    ASSERT_EQ(gw_seen.size(), 1u);
    ASSERT_EQ(ng_seen.size(), 1u);
    EXPECT_EQ(Describe(gw_seen[0].headers),
              "content-type: application/json; x-dup: a; x-dup: b; x-empty: ; x-spaces: padded; ");
    EXPECT_EQ(Describe(ng_seen[0].headers),
              "content-type: application/json; x-dup: a; x-dup: b; x-empty: ; x-hop: gone; x-spaces: padded; ");
  } else {
    ADD_FAILURE() << "no listed difference for " << c.name;
  }
}

TEST_F(DifferentialProxyTest, SameMeaningThroughTheGatewayAndNginx) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    auto [gw_seen, gw_got] = Run(c, gateway_port_, c.name + "-gw");
    for (const ClientAnswer& a : gw_got) EXPECT_THAT(a.body, ::testing::Not(::testing::HasSubstr("SMUGGLED")));
    if (c.nginx == Nginx::kNotRun) {
      // The gateway passes over interim answers (RFC 9110 §15.2) and relays the final one.
      ASSERT_EQ(gw_got.size(), 1u);
      EXPECT_TRUE(gw_got[0].interim.empty());
      EXPECT_EQ(gw_got[0].status, 200);
      EXPECT_EQ(gw_got[0].body, "final");
      continue;
    }
    auto [ng_seen, ng_got] = Run(c, nginx_port_, c.name + "-ng");
    if (c.nginx == Nginx::kDiffers) {
      ExpectListedDifference(c, gw_seen, gw_got, ng_seen, ng_got);
      continue;
    }
    // What the upstream received.
    ASSERT_EQ(gw_seen.size(), ng_seen.size())
        << (ng_got.empty() ? "nginx answered nothing" : StrCat("nginx: ", ng_got[0].status, " ", ng_got[0].body));
    for (size_t i = 0; i < gw_seen.size(); ++i) {
      EXPECT_EQ(gw_seen[i].method, ng_seen[i].method);
      EXPECT_EQ(gw_seen[i].body, ng_seen[i].body);
      EXPECT_EQ(gw_seen[i].target.substr(0, gw_seen[i].target.size() - 3),
                ng_seen[i].target.substr(0, ng_seen[i].target.size() - 3));  // without -gw / -ng
      EXPECT_EQ(Describe(gw_seen[i].headers), Describe(ng_seen[i].headers));
    }
    // What the client got back.
    ASSERT_EQ(gw_got.size(), ng_got.size()) << (gw_got.empty() ? "" : gw_got.back().body);
    for (size_t i = 0; i < gw_got.size(); ++i) {
      EXPECT_EQ(gw_got[i].interim, ng_got[i].interim);
      EXPECT_EQ(gw_got[i].status, ng_got[i].status);
      EXPECT_EQ(gw_got[i].body, ng_got[i].body);
      EXPECT_EQ(Describe(gw_got[i].headers), Describe(ng_got[i].headers));
    }
  }
}

}  // namespace
}  // namespace mcpauth
