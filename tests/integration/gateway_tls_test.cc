// TLS on the gateway's two sides (issue 15), with real processes on loopback: the
// mcpauth-gateway binary terminating TLS for its clients (gateway.tls) and reaching
// https upstreams through Debian's nginx as the TLS front of a plain recording
// upstream. Certificates come from a CA the test makes. Checked: the upstream's
// certificate is verified (roots, name or address, validity) and a failed check is
// a 502 with a log line naming the route and the reason; SNI; the gateway's client
// certificate for an upstream that requires one; kept-alive TLS connections reused;
// the gateway's own certificate rotated on disk and served without a restart, a
// broken replacement refused while the old one stays; mutual TLS at the gateway;
// unusable files refused at start with the key's path (exit 2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <mutex>

#include "services/common/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/nginx_process.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ca.h"
#include "tests/support/tls_client.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPing[] = R"({"jsonrpc":"2.0","id":7,"method":"ping"})";

std::string McpPost(int gateway_port, std::string_view path) {
  return StrCat("POST ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", gateway_port,
                "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                "Connection: close\r\nContent-Length: ",
                std::string_view(kPing).size(), "\r\n\r\n", kPing);
}

std::string StatusLine(const std::string& response) { return response.substr(0, response.find("\r\n")); }

// Writes `from`'s content over `to` the way a Secret update lands: a new file
// renamed into place.
void ReplaceFile(const std::string& from, const std::string& to) {
  const std::string staged = StrCat(to, ".new");
  ASSERT_TRUE(test::WriteFile(staged, test::ReadFile(from)));
  ASSERT_EQ(std::rename(staged.c_str(), to.c_str()), 0);
}

class GatewayTlsTest : public ::testing::Test {
 protected:
  GatewayTlsTest() : ca_(dir_, "suite"), rogue_(dir_, "rogue") {
    upstream_cert_ = ca_.Issue("upstream", {.common_name = "mcp-upstream"});
    expired_cert_ = ca_.Issue("expired", {.common_name = "mcp-expired",
                                          .not_before = absl::Now() - absl::Hours(48),
                                          .not_after = absl::Now() - absl::Hours(1)});
    gateway_cert_ = ca_.Issue("gateway", {.common_name = "gateway-1"});
    gateway_client_cert_ = ca_.Issue("gateway-client", {.common_name = "gateway-as-client"});
    client_cert_ = ca_.Issue("client", {.common_name = "mcp-client"});
    rogue_client_ = rogue_.Issue("rogue-client", {.common_name = "mcp-client"});
  }

  void SetUp() override {
    upstream_.SetHandler("/mcp", [this](const test::HttpRequestInfo& r) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(r);
      }
      return test::HttpReply{.body = R"({"jsonrpc":"2.0","id":7,"result":{}})"};
    });
    ASSERT_TRUE(upstream_.Start().ok());
    StartNginx();
  }

  // nginx fronts the recording upstream three ways: a valid certificate, an expired
  // one, and one port that requires a client certificate from the suite's CA.
  void StartNginx() {
    good_port_ = test::PickFreePort();
    expired_port_ = test::PickFreePort();
    mutual_port_ = test::PickFreePort();
    auto server = [&](int port, const test::IssuedCertificate& cert, std::string_view extra) {
      return StrCat("  server {\n    listen 127.0.0.1:", port, " ssl;\n    ssl_certificate ", cert.cert_file,
                    ";\n    ssl_certificate_key ", cert.key_file, ";\n", extra,
                    "    access_log ", dir_.File("access.log"), " tls;\n    location / {\n      proxy_pass http://127.0.0.1:",
                    upstream_.port(),
                    ";\n      proxy_set_header X-Client-Verify $ssl_client_verify;\n"
                    "      proxy_set_header X-Client-Subject $ssl_client_s_dn;\n"
                    "      proxy_set_header X-Server-Name $ssl_server_name;\n    }\n  }\n");
    };
    auto nginx = test::NginxProcess::Start(
        dir_,
        StrCat("  log_format tls '$server_port $connection $connection_requests $status';\n",
               server(good_port_, upstream_cert_, ""), server(expired_port_, expired_cert_, ""),
               server(mutual_port_, upstream_cert_,
                      StrCat("    ssl_verify_client on;\n    ssl_client_certificate ", ca_.cert_file(), ";\n"))),
        mutual_port_);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = std::move(*nginx);
  }

  // One route per case: name, upstream URL, upstream_tls lines (YAML flow map body).
  struct Route {
    std::string path, upstream, tls;
  };

  std::string GatewayConfig(const std::vector<Route>& routes, std::string_view tls_lines) {
    std::string yaml = StrCat("logging: {level: info}\ngateway:\n  listen: 127.0.0.1:", gateway_port_,
                              "\n  metrics_listen: 127.0.0.1:", metrics_port_, "\n  threads: 1\n", tls_lines,
                              "  routes:\n");
    for (const Route& r : routes) {
      yaml += StrCat("    - {path: ", r.path, ", resource: \"https://127.0.0.1:", gateway_port_, r.path,
                     "\", upstream: \"", r.upstream, "\"", r.tls.empty() ? "" : StrCat(", upstream_tls: {", r.tls, "}"),
                     "}\n");
    }
    return yaml;
  }

  std::string GatewayTlsLines(bool mutual) {
    std::string lines = StrCat("  tls:\n    cert_file: ", gateway_cert_.cert_file, "\n    key_file: ",
                               gateway_cert_.key_file, "\n    reload_interval: 1\n");
    if (mutual) lines += StrCat("    client_ca_file: ", ca_.cert_file(), "\n");
    return lines;
  }

  std::unique_ptr<test::ChildProcess> RunGateway(const std::string& yaml) {
    test::WriteFile(dir_.File("gateway.yaml"), yaml);
    auto p = test::ChildProcess::Start({.argv = {test::Binary("mcpauth-gateway"), "--config", dir_.File("gateway.yaml")},
                                        .log_path = dir_.File("gateway.log")});
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? std::move(*p) : nullptr;
  }

  void StartGateway(const std::vector<Route>& routes, bool mutual = false) {
    gateway_port_ = test::PickFreePort();
    metrics_port_ = test::PickFreePort();
    gateway_ = RunGateway(GatewayConfig(routes, GatewayTlsLines(mutual)));
    ASSERT_NE(gateway_, nullptr);
    ASSERT_TRUE(test::WaitFor(
        [&] {
          return Https("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", ClientOptions(mutual))
                     .response.starts_with("HTTP/1.1 200") ||
                 !gateway_->Running();
        },
        absl::Seconds(20)) &&
                gateway_->Running())
        << test::LogTail(gateway_->LogText());
  }

  test::TlsClientOptions ClientOptions(bool with_certificate = false) const {
    test::TlsClientOptions o{.ca_file = ca_.cert_file(), .server_name = "localhost"};
    if (with_certificate) {
      o.cert_file = client_cert_.cert_file;
      o.key_file = client_cert_.key_file;
    }
    return o;
  }
  test::TlsExchangeResult Https(const std::string& bytes, const test::TlsClientOptions& options) const {
    return test::HttpsExchange(gateway_port_, bytes, options);
  }
  std::string Post(std::string_view path) { return Https(McpPost(gateway_port_, path), ClientOptions()).response; }
  std::optional<double> Metric(const std::string& sample) const {
    return test::ScrapeMetric(StrCat("http://127.0.0.1:", metrics_port_, "/metrics"), sample);
  }
  size_t Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.size();
  }
  test::HttpRequestInfo LastSeen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.back();
  }
  std::string UpstreamTls(bool ca, bool client_cert = false, std::string_view server_name = "") const {
    std::string tls;
    auto add = [&](std::string_view item) { tls += StrCat(tls.empty() ? "" : ", ", item); };
    if (ca) add(StrCat("ca_file: ", ca_.cert_file()));
    if (client_cert) {
      add(StrCat("cert_file: ", gateway_client_cert_.cert_file));
      add(StrCat("key_file: ", gateway_client_cert_.key_file));
    }
    if (!server_name.empty()) add(StrCat("server_name: ", server_name));
    return tls;
  }

  test::TempDir dir_;
  test::TestCa ca_, rogue_;
  test::IssuedCertificate upstream_cert_, expired_cert_, gateway_cert_, gateway_client_cert_, client_cert_,
      rogue_client_;
  test::LoopbackHttpServer upstream_;
  std::unique_ptr<test::NginxProcess> nginx_;
  std::unique_ptr<test::ChildProcess> gateway_;
  int good_port_ = 0, expired_port_ = 0, mutual_port_ = 0, gateway_port_ = 0, metrics_port_ = 0;
  std::mutex mu_;
  std::vector<test::HttpRequestInfo> seen_;
};

TEST_F(GatewayTlsTest, HttpsUpstreamsAreCheckedAndFailedChecksAreA502NamingTheRoute) {
  const std::string good = StrCat("https://127.0.0.1:", good_port_, "/mcp");
  const std::string by_name = StrCat("https://localhost:", good_port_, "/mcp");
  StartGateway({
      {"/good", good, UpstreamTls(true)},
      {"/byname", by_name, UpstreamTls(true)},
      {"/wrongname", by_name, UpstreamTls(true, false, "other.example")},
      {"/untrusted", good, ""},  // the system's roots: the test CA is not among them
      {"/expired", StrCat("https://127.0.0.1:", expired_port_, "/mcp"), UpstreamTls(true)},
      {"/mutual", StrCat("https://127.0.0.1:", mutual_port_, "/mcp"), UpstreamTls(true, true)},
      {"/mutual-nocert", StrCat("https://127.0.0.1:", mutual_port_, "/mcp"), UpstreamTls(true)},
  });

  // A certificate for the URL's address, chaining to the route's ca_file.
  EXPECT_THAT(StatusLine(Post("/good")), HasSubstr("200"));
  ASSERT_EQ(Seen(), 1u);
  EXPECT_EQ(LastSeen().body, kPing);
  // By DNS name: SNI carries it.
  EXPECT_THAT(StatusLine(Post("/byname")), HasSubstr("200"));
  ASSERT_EQ(Seen(), 2u);
  EXPECT_EQ(LastSeen().Header("X-Server-Name"), "localhost");

  struct Refused {
    std::string path, reason;
  };
  for (const Refused& r : {Refused{"/wrongname", "hostname mismatch"},
                           Refused{"/untrusted", "unable to get local issuer certificate"},
                           Refused{"/expired", "certificate has expired"}}) {
    SCOPED_TRACE(r.path);
    const std::string answer = Post(r.path);
    EXPECT_THAT(StatusLine(answer), HasSubstr("502"));
    EXPECT_THAT(test::RawBody(answer), HasSubstr("Upstream MCP server unavailable"));
    // The reason stays in the log; the client learns nothing about the upstream.
    EXPECT_THAT(test::RawBody(answer), Not(HasSubstr(r.reason)));
    EXPECT_TRUE(test::WaitFor(
        [&] {
          const std::string log = gateway_->LogText();
          for (std::string_view line : SplitSkipEmpty(log, '\n')) {
            if (line.find("upstream failed") != std::string_view::npos &&
                line.find(StrCat("\"route\":\"", r.path, "\"")) != std::string_view::npos &&
                line.find("\"kind\":\"tls\"") != std::string_view::npos &&
                line.find(r.reason) != std::string_view::npos) {
              return true;
            }
          }
          return false;
        },
        absl::Seconds(5)))
        << test::LogTail(gateway_->LogText());
    EXPECT_EQ(Metric(StrCat("mcpauth_gateway_upstream_errors_total{kind=\"tls\",route=\"", r.path, "\"}")), 1.0);
  }
  EXPECT_EQ(Seen(), 2u);  // none of the refused reached the upstream

  // An upstream that requires a client certificate: the route's is shown and
  // accepted; without one, nginx answers 400 itself and nothing reaches the upstream.
  EXPECT_THAT(StatusLine(Post("/mutual")), HasSubstr("200"));
  ASSERT_EQ(Seen(), 3u);
  EXPECT_EQ(LastSeen().Header("X-Client-Verify"), "SUCCESS");
  EXPECT_THAT(LastSeen().Header("X-Client-Subject"), HasSubstr("CN=gateway-as-client"));
  EXPECT_THAT(StatusLine(Post("/mutual-nocert")), HasSubstr("400"));
  EXPECT_EQ(Seen(), 3u);
}

TEST_F(GatewayTlsTest, KeptAliveTlsConnectionsToTheUpstreamAreReused) {
  StartGateway({{"/good", StrCat("https://127.0.0.1:", good_port_, "/mcp"), UpstreamTls(true)}});
  constexpr int kRequests = 5;
  for (int i = 0; i < kRequests; ++i) ASSERT_THAT(StatusLine(Post("/good")), HasSubstr("200"));
  // nginx logs each request's connection and its number on that connection: all
  // five came on one TLS connection.
  std::string log;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        log = nginx_->File("access.log");
        return std::count(log.begin(), log.end(), '\n') >= kRequests;
      },
      absl::Seconds(5)))
      << log;
  EXPECT_THAT(log, HasSubstr(StrCat(good_port_, " ")));
  std::set<std::string> connections;
  int last_number = 0;
  for (std::string_view line : SplitSkipEmpty(log, '\n')) {
    const std::vector<std::string_view> fields = SplitSkipEmpty(line, ' ');
    ASSERT_EQ(fields.size(), 4u) << line;
    connections.insert(std::string(fields[1]));
    last_number = std::stoi(std::string(fields[2]));
  }
  EXPECT_EQ(connections.size(), 1u) << log;
  EXPECT_EQ(last_number, kRequests) << log;
}

TEST_F(GatewayTlsTest, TheGatewaysCertificateIsRotatedWithoutARestart) {
  StartGateway({{"/good", StrCat("https://127.0.0.1:", good_port_, "/mcp"), UpstreamTls(true)}});
  const std::string first = test::CertificateFingerprint(gateway_cert_.cert_file);
  test::TlsExchangeResult r = Https(McpPost(gateway_port_, "/good"), ClientOptions());
  ASSERT_TRUE(r.handshake_ok) << r.error;
  EXPECT_EQ(r.peer_fingerprint, first);
  EXPECT_THAT(StatusLine(r.response), HasSubstr("200"));
  EXPECT_EQ(Metric(R"(mcpauth_gateway_tls_loads_total{result="loaded",setting="gateway.tls"})"), 1.0);
  EXPECT_NEAR(Metric(R"(mcpauth_gateway_tls_certificate_expiry_timestamp_seconds{setting="gateway.tls"})").value_or(0),
              static_cast<double>(absl::ToUnixSeconds(absl::Now() + absl::Hours(24))), 120)
      << "the CA issued it for 24 hours";

  // Plain HTTP on the TLS port: no answer, counted.
  EXPECT_EQ(test::RawHttpExchange(gateway_port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), "");
  EXPECT_TRUE(test::WaitFor(
      [&] { return Metric(R"(mcpauth_gateway_dropped_connections_total{why="tls_handshake"})") == 1.0; },
      absl::Seconds(5)));

  // cert-manager renews: a new certificate and key replace the files.
  const test::IssuedCertificate renewed = ca_.Issue("gateway-renewed", {.common_name = "gateway-2"});
  ReplaceFile(renewed.key_file, gateway_cert_.key_file);
  ReplaceFile(renewed.cert_file, gateway_cert_.cert_file);
  const std::string second = test::CertificateFingerprint(renewed.cert_file);
  ASSERT_NE(first, second);
  EXPECT_TRUE(test::WaitFor([&] { return Https(McpPost(gateway_port_, "/good"), ClientOptions()).peer_fingerprint == second; },
                            absl::Seconds(10)))
      << test::LogTail(gateway_->LogText());
  EXPECT_EQ(Metric(R"(mcpauth_gateway_tls_loads_total{result="loaded",setting="gateway.tls"})"), 2.0);

  // A replacement that is not usable (a certificate from another key): refused,
  // the renewed certificate stays in use.
  const test::IssuedCertificate other = ca_.Issue("gateway-other", {.common_name = "gateway-3"});
  ReplaceFile(other.cert_file, gateway_cert_.cert_file);
  EXPECT_TRUE(test::WaitFor(
      [&] { return Metric(R"(mcpauth_gateway_tls_loads_total{result="refused",setting="gateway.tls"})") >= 1.0; },
      absl::Seconds(10)));
  EXPECT_THAT(gateway_->LogText(), HasSubstr("is not the private key of the certificate"));
  r = Https(McpPost(gateway_port_, "/good"), ClientOptions());
  EXPECT_EQ(r.peer_fingerprint, second);
  EXPECT_THAT(StatusLine(r.response), HasSubstr("200"));
  EXPECT_TRUE(gateway_->Running());
}

TEST_F(GatewayTlsTest, MutualTlsAtTheGatewayRefusesClientsWithoutATrustedCertificate) {
  StartGateway({{"/good", StrCat("https://127.0.0.1:", good_port_, "/mcp"), UpstreamTls(true)}}, /*mutual=*/true);
  test::TlsExchangeResult with = Https(McpPost(gateway_port_, "/good"), ClientOptions(/*with_certificate=*/true));
  EXPECT_THAT(StatusLine(with.response), HasSubstr("200")) << with.error;

  // No certificate, or one from another CA: the handshake ends in an alert (with
  // TLS 1.3 the client sees it on its first read), no answer, nothing upstream.
  const size_t seen = Seen();
  test::TlsClientOptions rogue = ClientOptions();
  rogue.cert_file = rogue_client_.cert_file;
  rogue.key_file = rogue_client_.key_file;
  for (const test::TlsClientOptions& options : {ClientOptions(), rogue}) {
    test::TlsExchangeResult r = Https(McpPost(gateway_port_, "/good"), options);
    EXPECT_EQ(r.response, "");
    EXPECT_FALSE(r.error.empty());
  }
  EXPECT_EQ(Seen(), seen);
}

TEST_F(GatewayTlsTest, UnusableFilesAreConfigErrorsNamingTheKey) {
  gateway_port_ = test::PickFreePort();
  metrics_port_ = test::PickFreePort();
  const std::string upstream = StrCat("https://127.0.0.1:", good_port_, "/mcp");
  struct Case {
    std::string yaml, message;
  };
  const Case cases[] = {
      {GatewayConfig({{"/good", upstream, "ca_file: /nonexistent/ca.pem"}}, ""),
       "gateway.routes[0].upstream_tls.ca_file: cannot read \"/nonexistent/ca.pem\""},
      {GatewayConfig({{"/good", upstream, StrCat("ca_file: ", upstream_cert_.key_file)}}, ""),
       "gateway.routes[0].upstream_tls.ca_file"},
      {GatewayConfig({{"/good", upstream, StrCat("cert_file: ", gateway_client_cert_.cert_file)}}, ""),
       "gateway.routes[0].upstream_tls.key_file: cert_file and key_file come together"},
      {GatewayConfig({{"/good", upstream, UpstreamTls(true)}},
                     StrCat("  tls:\n    cert_file: ", gateway_cert_.cert_file, "\n    key_file: ",
                            client_cert_.key_file, "\n")),
       "gateway.tls.key_file"},
      {GatewayConfig({{"/good", upstream, UpstreamTls(true)}},
                     StrCat("  tls:\n    cert_file: ", gateway_cert_.cert_file, "\n")),
       "gateway.tls.key_file: cert_file and key_file come together"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    std::unique_ptr<test::ChildProcess> p = RunGateway(c.yaml);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->WaitForExit(absl::Seconds(20)), 2);
    EXPECT_THAT(p->LogText(), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace mcpauth
