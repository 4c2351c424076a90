// The front doors (issue 16) decide exactly as the gateway does: one table of attack
// and DPoP cases sent three ways to the same running suite —
//   gateway       the request itself, to mcpauth-gateway in front of a recording upstream
//   forward_auth  as nginx auth_request / Traefik ForwardAuth ask (X-Original-URI and
//                 X-Original-Method, the client's headers, the body as Traefik's
//                 forwardBody sends it), to gateway.forward_auth.path
//   ext_authz     as Envoy's ext_authz filter asks (with_request_body, pack_as_bytes,
//                 encode_raw_headers): CheckRequests sent by @grpc/grpc-js with Envoy's
//                 official protos (tests/node/ext_authz_check.mjs), not by our stack
// and each answer is read back into one shape: forwarded (with the identity the
// upstream gets) or answered (status, challenge, body). Every door must give every
// case's expected outcome. Then what only the front doors do: the body they did not
// see, a batch answered whole, sessions bound on first use, malformed questions.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <atomic>
#include <mutex>
#include <thread>
#include <set>

#include "absl/time/clock.h"
#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/dpop_sign.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/grpc_health.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kNodeDir = StrCat(MCPAUTH_SOURCE_DIR, "/tests/node");
constexpr char kForwardAuthPath[] = "/_mcpauth/check";
constexpr char kPing[] = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
constexpr char kDeniedText[] = R"(Tool \"admin_tool\" requires scopes: ['admin'])";

std::string Call(std::string_view tool, int id = 2) {
  return StrCat(R"({"jsonrpc":"2.0","id":)", id, R"(,"method":"tools/call","params":{"name":")", tool,
                R"(","arguments":{}}})");
}

// One request, as a client sent it.
struct Sent {
  std::string method = "POST";
  std::string target = "/mcp";
  Headers headers;
  std::string body;
};

// What a door made of it, in one shape.
struct Outcome {
  bool forwarded = false;
  std::string subject;             // forwarded: the identity the upstream gets
  int status = 0;                  // answered: the client's status
  std::string www_authenticate;    // answered: the challenge, if any
  std::string body;                // answered: the body
  std::vector<std::string> leaked; // forwarded: credential or spoofed headers the upstream would get
  std::string raw;                 // for failure messages
};

// One row of the table. `sent` is called once per door (a DPoP proof is single-use).
struct Case {
  std::string name;
  std::function<Sent()> sent;
  bool forwarded = false;
  std::string subject;    // forwarded: expected identity ("" for none)
  int status = 0;         // answered: expected status
  std::string challenge;  // answered: substring of WWW-Authenticate ("" : none at all)
  std::string in_body;    // answered: substring of the body
};

bool IsCredentialOrIdentity(std::string name) {
  name = AsciiLower(name);
  std::replace(name.begin(), name.end(), '_', '-');
  return name == "authorization" || name == "dpop" || name.starts_with("x-mcp-auth-");
}

class FrontDoorTest : public ::testing::Test {
 protected:
  struct World {
    test::LoopbackHttpServer upstream;
    // The issuer's RFC 7662 introspection endpoint, for the opaque rows of the table.
    test::LoopbackHttpServer authorization_server;
    std::mutex mu;
    std::vector<test::HttpRequestInfo> seen;
    std::unique_ptr<test::SuiteProcesses> suite;
    int ext_authz_port = test::PickFreePort();
    tv::testing::TestKey dpop_key = tv::testing::MakeKey("ES256", "");
    absl::Status status;

    World() {
      upstream.SetHandler("/mcp", [this](const test::HttpRequestInfo& r) {
        std::lock_guard<std::mutex> lock(mu);
        seen.push_back(r);
        test::HttpReply reply;
        reply.body = R"({"jsonrpc":"2.0","id":1,"result":{}})";
        return reply;
      });
      authorization_server.SetHandler("/introspect", [this](const test::HttpRequestInfo& r) { return Introspect(r); });
      status = upstream.Start();
      if (status.ok()) status = authorization_server.Start();
      if (!status.ok()) return;
      suite = std::make_unique<test::SuiteProcesses>(test::SuiteOptions{
          .upstream = upstream.Url("/mcp"),
          .extra_yaml = "tools:\n  admin_tool: {required_scopes: [admin]}\n",
          .gateway_yaml = StrCat("  ext_authz: {listen: \"127.0.0.1:", ext_authz_port, "\"}\n  forward_auth: {path: ",
                                 kForwardAuthPath, "}\n  trusted_proxies: [127.0.0.1/32]\n"),
          .introspection_endpoint = authorization_server.Url("/introspect")});
      status = suite->Start();
      if (status.ok() && !test::WaitFor([&] { return test::GrpcHealthServing(ExtAuthzAddress()); }, absl::Seconds(20),
                                        absl::Milliseconds(100))) {
        status = absl::UnavailableError("the ext_authz port never answered");
      }
    }
    std::string ExtAuthzAddress() const { return StrCat("127.0.0.1:", ext_authz_port); }

    // What the authorization server knows about each opaque token of the table; only
    // mcpauth's client credentials may ask.
    test::HttpReply Introspect(const test::HttpRequestInfo& r) {
      test::HttpReply reply;
      if (r.Header("Authorization") !=
          StrCat("Basic ", Base64(StrCat(test::SuiteProcesses::kIntrospectionClient, ":",
                                         test::SuiteProcesses::kIntrospectionSecret)))) {
        reply.status = 401;
        reply.body = R"({"error":"invalid_client"})";
        return reply;
      }
      const std::string token = r.body.substr(0, r.body.find('&')).substr(std::string_view("token=").size());
      boost::json::object active = {{"active", true}, {"iss", test::SuiteProcesses::kIssuer}, {"sub", "alice"},
                                    {"aud", suite->resource()}, {"scope", "mcp"}, {"token_type", "Bearer"},
                                    {"exp", absl::ToUnixSeconds(absl::Now()) + 600}};
      if (token == "opaque-alice") {
      } else if (token == "opaque-refresh") {
        active["token_type"] = "refresh_token";
      } else if (token == "opaque-elsewhere") {
        active["aud"] = "https://other.example/mcp";
      } else if (token == "opaque-crlf") {
        active["sub"] = "alice\r\nX-MCP-Auth-Scopes: admin";
      } else if (token == "opaque-bound") {
        active["token_type"] = "DPoP";
        active["cnf"] = {{"jkt", dpop_key.private_key->Thumbprint()}};
      } else {
        active = {{"active", false}};  // revoked, expired or never issued
      }
      reply.body = boost::json::serialize(active);
      return reply;
    }
  };

  static void SetUpTestSuite() { world_ = new World(); }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(world_->status.ok()) << world_->status; }

  static test::SuiteProcesses& Suite() { return *world_->suite; }
  static std::string Resource() { return Suite().resource(); }
  static std::string Token(const std::string& subject = "alice", const std::string& scope = "mcp") {
    return Suite().Mint(subject, scope);
  }
  static std::string BoundToken() {
    return Suite().MintBound("alice", "mcp", world_->dpop_key.private_key->Thumbprint());
  }
  static std::string Proof(const std::string& htm, const std::string& htu, const std::string& token) {
    return *tv::MakeDpopProof(*world_->dpop_key.private_key,
                              {.htm = htm, .htu = htu, .iat = absl::ToUnixSeconds(absl::Now()), .access_token = token});
  }
  static Sent Post(std::string body, Headers headers, std::string target = "/mcp") {
    headers.insert(headers.begin(), {{"Content-Type", "application/json"},
                                     {"Accept", "application/json, text/event-stream"},
                                     {"MCP-Protocol-Version", "2025-11-25"}});
    return Sent{.method = "POST", .target = std::move(target), .headers = std::move(headers), .body = std::move(body)};
  }
  static Headers Bearer(const std::string& token) { return {{"Authorization", StrCat("Bearer ", token)}}; }

  // ---- the three doors ----

  static std::string HeaderLines(const Headers& headers) {
    std::string out;
    for (const auto& [name, value] : headers) StrAppend(out, name, ": ", value, "\r\n");
    return out;
  }
  static Outcome ThroughGateway(const Sent& s) {
    size_t before;
    {
      std::lock_guard<std::mutex> lock(world_->mu);
      before = world_->seen.size();
    }
    const std::string raw = test::RawHttpExchange(
        Suite().gateway_port(),
        StrCat(s.method, " ", s.target, " HTTP/1.1\r\nHost: 127.0.0.1:", Suite().gateway_port(),
               "\r\nConnection: close\r\n", HeaderLines(s.headers), "Content-Length: ", s.body.size(), "\r\n\r\n",
               s.body));
    Outcome o;
    o.raw = raw.substr(0, 600);
    std::lock_guard<std::mutex> lock(world_->mu);
    if (world_->seen.size() > before) {
      o.forwarded = true;
      const test::HttpRequestInfo& r = world_->seen.back();
      o.subject = r.Header("X-MCP-Auth-Subject");
      // Only the gateway's own identity headers, once each, in its spelling.
      std::map<std::string, int> count;
      for (const auto& [name, value] : r.headers) {
        if (!IsCredentialOrIdentity(name)) continue;
        const bool own = name == "X-MCP-Auth-Subject" || name == "X-MCP-Auth-Scopes" || name == "X-MCP-Auth-Claims";
        if (!own || ++count[name] > 1) o.leaked.push_back(StrCat(name, ": ", value));
      }
      return o;
    }
    o.status = test::RawStatus(raw);
    o.www_authenticate = test::RawHeader(raw, "WWW-Authenticate");
    o.body = test::RawBody(raw);
    return o;
  }

  // nginx and Traefik keep the client's headers on the question and name the original
  // request in their own; the body travels as Traefik's forwardBody sends it.
  static std::string ForwardAuthRaw(const Sent& s, const std::string& extra = "", bool with_body = true) {
    const std::string body = with_body ? s.body : "";
    return test::RawHttpExchange(
        Suite().gateway_port(),
        StrCat("GET ", kForwardAuthPath, " HTTP/1.1\r\nHost: 127.0.0.1:", Suite().gateway_port(),
               "\r\nConnection: close\r\nX-Original-URI: ", s.target, "\r\nX-Original-Method: ", s.method, "\r\n", extra,
               HeaderLines(s.headers), "Content-Length: ", body.size(), "\r\n\r\n", body));
  }
  static Outcome ThroughForwardAuth(const Sent& s) {
    const std::string raw = ForwardAuthRaw(s);
    Outcome o;
    o.raw = raw.substr(0, 600);
    const int status = test::RawStatus(raw);
    if (status / 100 == 2) {
      o.forwarded = true;
      o.subject = test::RawHeader(raw, "X-MCP-Auth-Subject");
      return o;
    }
    o.status = status;
    o.www_authenticate = test::RawHeader(raw, "WWW-Authenticate");
    o.body = test::RawBody(raw);
    return o;
  }

  static std::string Base64(std::string_view bytes) {
    std::string s = Base64UrlEncode(bytes);
    std::replace(s.begin(), s.end(), '-', '+');
    std::replace(s.begin(), s.end(), '_', '/');
    while (s.size() % 4 != 0) s.push_back('=');
    return s;
  }
  static std::string FromBase64(std::string s) {
    std::replace(s.begin(), s.end(), '+', '-');
    std::replace(s.begin(), s.end(), '/', '_');
    while (!s.empty() && s.back() == '=') s.pop_back();
    return Base64UrlDecode(s).value_or("");
  }
  // The CheckRequest Envoy's filter sends for `s` (envoy.service.auth.v3, proto JSON).
  static boost::json::object CheckRequestFor(const Sent& s, bool partial_body = false) {
    boost::json::array headers;
    auto add = [&](std::string_view name, std::string_view value) {
      headers.push_back(boost::json::object{{"key", AsciiLower(name)}, {"raw_value", Base64(value)}});
    };
    const std::string host = StrCat("127.0.0.1:", Suite().gateway_port());
    add(":authority", host);
    add(":path", s.target);
    add(":method", s.method);
    add(":scheme", "http");
    for (const auto& [name, value] : s.headers) add(name, value);
    add("content-length", std::to_string(s.body.size()));
    if (partial_body) add("x-envoy-auth-partial-body", "true");
    return boost::json::object{
        {"attributes",
         boost::json::object{
             {"source", boost::json::object{{"address", boost::json::object{{"socket_address",
                                                                             boost::json::object{
                                                                                 {"address", "127.0.0.1"},
                                                                                 {"port_value", 40000}}}}}}},
             {"destination", boost::json::object{{"address", boost::json::object{{"socket_address",
                                                                                  boost::json::object{
                                                                                      {"address", "127.0.0.1"},
                                                                                      {"port_value", 10000}}}}}}},
             {"request",
              boost::json::object{
                  {"http", boost::json::object{{"id", "4711"},
                                               {"method", s.method},
                                               {"path", s.target},
                                               {"host", host},
                                               {"scheme", "http"},
                                               {"protocol", "HTTP/1.1"},
                                               {"size", std::to_string(s.body.size())},
                                               {"header_map", boost::json::object{{"headers", headers}}},
                                               {"raw_body", Base64(s.body)}}}}}}}};
  }
  // Sends the CheckRequests with the node client; its answers, in order.
  static boost::json::array Check(const boost::json::array& requests, const std::string& address = "") {
    const test::TempDir& dir = Suite().dir();
    const std::string in = dir.File("check-in.json"), out = dir.File("check-out.json");
    test::WriteFile(in, ToJson(requests));
    test::WriteFile(out, "");
    auto node = test::ChildProcess::Start({.argv = {"node", kNodeDir + "/ext_authz_check.mjs", "--address",
                                                    address.empty() ? world_->ExtAuthzAddress() : address, "--in",
                                                    in, "--out", out},
                                           .log_path = dir.File("ext-authz-client.log")});
    if (!node.ok()) {
      ADD_FAILURE() << node.status();
      return {};
    }
    const std::optional<int> exit = (*node)->WaitForExit(absl::Seconds(60));
    EXPECT_EQ(exit, std::optional<int>(0)) << (*node)->LogText();
    boost::json::value answers;
    if (ParseStrictJson(test::ReadFile(out), answers) != JsonParseError::kNone || !answers.is_array()) {
      ADD_FAILURE() << "the ext_authz client wrote no answers: " << (*node)->LogText();
      return {};
    }
    return answers.as_array();
  }

  // envoy.type.v3.StatusCode names (what the official proto calls our numbers).
  static int HttpStatusNamed(std::string_view name) {
    static const std::map<std::string, int, std::less<>> kCodes = {
        {"OK", 200},           {"BadRequest", 400},        {"Unauthorized", 401},
        {"Forbidden", 403},    {"NotFound", 404},          {"MethodNotAllowed", 405},
        {"NotAcceptable", 406}, {"PayloadTooLarge", 413},  {"UnsupportedMediaType", 415},
        {"TooManyRequests", 429}, {"RequestHeaderFieldsTooLarge", 431}, {"ServiceUnavailable", 503}};
    auto it = kCodes.find(name);
    return it == kCodes.end() ? -1 : it->second;
  }
  static std::string Str(const boost::json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

  // Reads one answer of the node client into an Outcome, checking every field of it.
  static Outcome FromCheckResponse(const boost::json::value& answer, const Sent& s) {
    Outcome o;
    o.raw = ToJson(answer).substr(0, 1500);
    const boost::json::object* a = answer.if_object();
    if (a == nullptr || !a->contains("response")) {
      ADD_FAILURE() << "the Check call failed: " << o.raw;
      return o;
    }
    const boost::json::object& r = a->at("response").as_object();
    const int code = static_cast<int>(r.at("status").at("code").to_number<int64_t>());
    const std::string which = Str(r.at("http_response"));  // the oneof's name
    if (code == 0) {
      EXPECT_EQ(which, "ok_response") << o.raw;
      EXPECT_EQ(Str(r.at("status").at("message")), "") << o.raw;
      o.forwarded = true;
      const boost::json::object& ok = r.at("ok_response").as_object();
      std::set<std::string> set_names;
      for (const boost::json::value& h : ok.at("headers").as_array()) {
        const std::string key = Str(h.at("header").at("key"));
        const std::string value = Str(h.at("header").at("value"));
        EXPECT_EQ(Str(h.at("append_action")), "OVERWRITE_IF_EXISTS_OR_ADD") << o.raw;
        EXPECT_TRUE(key.starts_with("X-MCP-Auth-")) << "an OK answer sets only identity headers: " << key;
        if (key == "X-MCP-Auth-Subject") o.subject = value;
        set_names.insert(AsciiLower(key));
      }
      std::set<std::string> removed;
      for (const boost::json::value& name : ok.at("headers_to_remove").as_array()) removed.insert(Str(name));
      // What the upstream would get: the client's headers, minus the removed ones,
      // minus those overwritten.
      for (const auto& [name, value] : s.headers) {
        if (IsCredentialOrIdentity(name) && !removed.contains(AsciiLower(name)) && !set_names.contains(AsciiLower(name))) {
          o.leaked.push_back(StrCat(name, ": ", value));
        }
      }
      for (const boost::json::value& h : ok.at("response_headers_to_add").as_array()) {
        const std::string key = AsciiLower(Str(h.at("header").at("key")));
        EXPECT_TRUE(key == "dpop-nonce" || key.starts_with("access-control-")) << o.raw;
      }
      EXPECT_EQ(ok.at("query_parameters_to_set").as_array().size(), 0u);
      EXPECT_EQ(ok.at("query_parameters_to_remove").as_array().size(), 0u);
      return o;
    }
    EXPECT_EQ(which, "denied_response") << o.raw;
    const boost::json::object& denied = r.at("denied_response").as_object();
    o.status = HttpStatusNamed(Str(denied.at("status").at("code")));
    EXPECT_EQ(code, o.status == 401 ? 16 : 7) << "UNAUTHENTICATED for a 401, PERMISSION_DENIED otherwise: " << o.raw;
    EXPECT_NE(Str(r.at("status").at("message")), "") << "the reason: " << o.raw;
    for (const boost::json::value& h : denied.at("headers").as_array()) {
      const std::string key = Str(h.at("header").at("key"));
      EXPECT_EQ(Str(h.at("append_action")), "APPEND_IF_EXISTS_OR_ADD") << o.raw;
      EXPECT_FALSE(EqualsIgnoreCase(key, "content-length")) << "Envoy frames the body itself";
      if (EqualsIgnoreCase(key, "www-authenticate")) o.www_authenticate = Str(h.at("header").at("value"));
    }
    o.body = Str(denied.at("body"));
    return o;
  }

  // ---- the table ----

  static std::vector<Case> Cases() {
    const std::string metadata_url =
        StrCat("http://127.0.0.1:", Suite().gateway_port(), "/.well-known/oauth-protected-resource/mcp");
    const std::string alice = Token();
    const std::string forged = alice.substr(0, alice.rfind('.') + 1) + std::string(86, 'A');
    const std::string bound = BoundToken();
    return {
        {.name = "no_token",
         .sent = [] { return Post(kPing, {}); },
         .status = 401,
         .challenge = StrCat("Bearer resource_metadata=\"", metadata_url, "\", scope=\"mcp\"")},
        {.name = "forged_signature",
         .sent = [=] { return Post(kPing, Bearer(forged)); },
         .status = 401,
         .challenge = "error=\"invalid_token\""},
        {.name = "expired",
         .sent = [] { return Post(kPing, Bearer(Suite().Mint("alice", "mcp", -3600))); },
         .status = 401,
         .challenge = "error=\"invalid_token\""},
        {.name = "another_audience",
         .sent = [] { return Post(kPing, Bearer(Suite().Mint("alice", "mcp", 3600, "https://other.example/mcp"))); },
         .status = 401,
         .challenge = "error=\"invalid_token\""},
        {.name = "valid_bearer", .sent = [=] { return Post(kPing, Bearer(alice)); }, .forwarded = true, .subject = "alice"},
        {.name = "lacks_the_server_scope",
         .sent = [] { return Post(kPing, Bearer(Token("alice", "other"))); },
         .status = 403,
         .challenge = "error=\"insufficient_scope\""},
        {.name = "tool_allowed", .sent = [=] { return Post(Call("echo"), Bearer(alice)); }, .forwarded = true,
         .subject = "alice"},
        {.name = "tool_denied", .sent = [=] { return Post(Call("admin_tool"), Bearer(alice)); }, .status = 200,
         .in_body = kDeniedText},
        {.name = "tool_denied_escaped_name",
         .sent = [=] {
           return Post(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"admin\u005ftool"}})",
                       Bearer(alice));
         },
         .status = 200,
         .in_body = kDeniedText},
        {.name = "tool_allowed_with_the_scope",
         .sent = [] { return Post(Call("admin_tool"), Bearer(Token("root", "mcp admin"))); },
         .forwarded = true,
         .subject = "root"},
        {.name = "duplicate_name_member",
         .sent = [=] {
           return Post(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","name":"admin_tool"}})",
                       Bearer(alice));
         },
         .status = 400},
        {.name = "two_authorization_headers",
         .sent = [=] { return Post(kPing, {{"Authorization", StrCat("Bearer ", alice)}, {"authorization", "Bearer x"}}); },
         .status = 400,
         .challenge = "error=\"invalid_request\""},
        {.name = "two_tokens_in_one_header",
         .sent = [=] { return Post(kPing, {{"Authorization", StrCat("Bearer ", alice, ", Bearer ", alice)}}); },
         .status = 400,
         .challenge = "error=\"invalid_request\""},
        {.name = "token_in_the_query",
         .sent = [=] { return Post(kPing, {}, StrCat("/mcp?access_token=", alice)); },
         .status = 400,
         .challenge = "error=\"invalid_request\""},
        {.name = "token_in_a_form_body",
         .sent = [=] {
           Sent s = Post(StrCat("access_token=", alice), {});
           s.headers[0].second = "application/x-www-form-urlencoded";
           return s;
         },
         .status = 400,
         .challenge = "error=\"invalid_request\""},
        {.name = "spoofed_identity_with_a_token",
         .sent = [=] {
           Headers h = Bearer(alice);
           h.insert(h.end(), {{"X-MCP-Auth-Subject", "admin"},
                              {"x-mcp-auth-scopes", "admin"},
                              {"X-Mcp-Auth-Claims", "eyJzdWIiOiJhZG1pbiJ9"},
                              {"X-MCP-Auth-Anonymous", "false"}});
           return Post(kPing, h);
         },
         .forwarded = true,
         .subject = "alice"},
        // The egress's headers (credential isolation): a grant and a handle list the
        // gateway did not make never reach the upstream, whatever the spelling.
        {.name = "spoofed_grant_and_handles",
         .sent = [=] {
           Headers h = Bearer(alice);
           h.insert(h.end(), {{"X-MCP-Auth-Grant", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.AAAA"},
                              {"x-mcp-auth-credentials", "github=h_someone-elses-handle"},
                              {"X-Mcp-Auth-Credentials", "api=h_another"}});
           return Post(kPing, h);
         },
         .forwarded = true,
         .subject = "alice"},
        {.name = "spoofed_identity_without_a_token",
         .sent = [] { return Post(kPing, {{"X-MCP-Auth-Subject", "alice"}, {"X-MCP-Auth-Scopes", "mcp admin"}}); },
         .status = 401},
        {.name = "origin_rebinding",
         .sent = [=] {
           Headers h = Bearer(alice);
           h.emplace_back("Origin", "http://evil.test");
           return Post(kPing, h);
         },
         .status = 403},
        {.name = "dpop_fresh",
         .sent = [=] { return Post(kPing, {{"Authorization", StrCat("DPoP ", bound)}, {"DPoP", Proof("POST", Resource(), bound)}}); },
         .forwarded = true,
         .subject = "alice"},
        {.name = "dpop_tool_denied",
         .sent = [=] {
           return Post(Call("admin_tool"), {{"Authorization", StrCat("DPoP ", bound)}, {"DPoP", Proof("POST", Resource(), bound)}});
         },
         .status = 200,
         .in_body = kDeniedText},
        {.name = "dpop_replayed",
         .sent = [=] {
           static const std::string used = [&] {
             const std::string proof = Proof("POST", Resource(), bound);
             ThroughGateway(Post(kPing, {{"Authorization", StrCat("DPoP ", bound)}, {"DPoP", proof}}));
             return proof;
           }();
           return Post(kPing, {{"Authorization", StrCat("DPoP ", bound)}, {"DPoP", used}});
         },
         .status = 401,
         .challenge = "DPoP"},
        {.name = "dpop_wrong_method",
         .sent = [=] { return Post(kPing, {{"Authorization", StrCat("DPoP ", bound)}, {"DPoP", Proof("GET", Resource(), bound)}}); },
         .status = 401,
         .challenge = "DPoP"},
        {.name = "dpop_another_uri",
         .sent = [=] {
           return Post(kPing, {{"Authorization", StrCat("DPoP ", bound)},
                               {"DPoP", Proof("POST", "http://evil.test/mcp", bound)}});
         },
         .status = 401,
         .challenge = "DPoP"},
        {.name = "dpop_without_a_proof",
         .sent = [=] { return Post(kPing, {{"Authorization", StrCat("DPoP ", bound)}}); },
         .status = 401,
         .challenge = "DPoP"},
        {.name = "dpop_bound_token_as_bearer",
         .sent = [=] { return Post(kPing, Bearer(bound)); },
         .status = 401,
         .challenge = "invalid_token"},
        {.name = "dpop_proof_for_another_token",
         .sent = [=] {
           return Post(kPing, {{"Authorization", StrCat("DPoP ", bound)}, {"DPoP", Proof("POST", Resource(), alice)}});
         },
         .status = 401,
         .challenge = "DPoP"},
        // Opaque tokens, judged by the issuer's introspection endpoint (RFC 7662).
        {.name = "opaque_active", .sent = [] { return Post(kPing, Bearer("opaque-alice")); }, .forwarded = true,
         .subject = "alice"},
        {.name = "opaque_tool_denied",
         .sent = [] { return Post(Call("admin_tool"), Bearer("opaque-alice")); },
         .status = 200,
         .in_body = kDeniedText},
        {.name = "opaque_revoked",
         .sent = [] { return Post(kPing, Bearer("opaque-revoked")); },
         .status = 401,
         .challenge = "error=\"invalid_token\""},
        {.name = "opaque_refresh_token",
         .sent = [] { return Post(kPing, Bearer("opaque-refresh")); },
         .status = 401,
         .challenge = "error=\"invalid_token\""},
        {.name = "opaque_another_audience",
         .sent = [] { return Post(kPing, Bearer("opaque-elsewhere")); },
         .status = 401,
         .challenge = "error=\"invalid_token\""},
        {.name = "opaque_crlf_in_subject",
         .sent = [] { return Post(kPing, Bearer("opaque-crlf")); },
         .status = 401,
         .challenge = "error=\"invalid_token\""},
        {.name = "opaque_bound_as_bearer",
         .sent = [] { return Post(kPing, Bearer("opaque-bound")); },
         .status = 401,
         .challenge = "invalid_token"},
        {.name = "opaque_bound_with_its_proof",
         .sent = [] {
           return Post(kPing, {{"Authorization", "DPoP opaque-bound"}, {"DPoP", Proof("POST", Resource(), "opaque-bound")}});
         },
         .forwarded = true,
         .subject = "alice"},
    };
  }

  static void ExpectOutcome(const Case& c, const std::string& door, const Outcome& o) {
    SCOPED_TRACE(StrCat(door, " / ", c.name, ": ", o.raw));
    ASSERT_EQ(o.forwarded, c.forwarded);
    if (c.forwarded) {
      EXPECT_EQ(o.subject, c.subject);
      EXPECT_THAT(o.leaked, ::testing::IsEmpty());
      return;
    }
    // Forward-auth cannot answer a success in the upstream's place: the same body as a 403.
    EXPECT_EQ(o.status, door == "forward_auth" && c.status == 200 ? 403 : c.status);
    if (!c.challenge.empty()) {
      EXPECT_THAT(o.www_authenticate, HasSubstr(c.challenge));
    }
    if (c.status == 401) {
      EXPECT_THAT(o.www_authenticate, HasSubstr("resource_metadata="));
    }
    if (!c.in_body.empty()) {
      EXPECT_THAT(o.body, HasSubstr(c.in_body));
    }
  }

  static World* world_;
};
FrontDoorTest::World* FrontDoorTest::world_ = nullptr;

TEST_F(FrontDoorTest, EveryCaseGetsTheSameDecisionThroughEveryDoor) {
  const std::vector<Case> cases = Cases();
  // The gateway first: what it does is what the doors must do.
  std::map<std::string, Outcome> by_gateway;
  for (const Case& c : cases) {
    const Outcome o = ThroughGateway(c.sent());
    ExpectOutcome(c, "gateway", o);
    by_gateway[c.name] = o;
  }
  for (const Case& c : cases) ExpectOutcome(c, "forward_auth", ThroughForwardAuth(c.sent()));

  std::vector<Sent> sent;
  boost::json::array requests;
  for (const Case& c : cases) {
    sent.push_back(c.sent());
    requests.push_back(CheckRequestFor(sent.back()));
  }
  const boost::json::array answers = Check(requests);
  ASSERT_EQ(answers.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Outcome o = FromCheckResponse(answers[i], sent[i]);
    ExpectOutcome(cases[i], "ext_authz", o);
    // Denials carry the gateway's exact challenge and body.
    const Outcome& g = by_gateway[cases[i].name];
    if (!o.forwarded && !g.forwarded && cases[i].name.find("dpop") == std::string::npos &&
        cases[i].name != "expired") {
      EXPECT_EQ(o.www_authenticate, g.www_authenticate) << cases[i].name;
      EXPECT_EQ(o.body, g.body) << cases[i].name;
    }
  }
}

// Envoy without encode_raw_headers sends the headers as a map, a repeated header's
// values joined with ","; read that way too, two Authorization headers are still refused.
TEST_F(FrontDoorTest, TheHeadersMapFormIsDecidedTheSame) {
  auto as_map = [](boost::json::object check) {
    boost::json::object& http = check["attributes"].as_object()["request"].as_object()["http"].as_object();
    boost::json::object map;
    for (const boost::json::value& h : http["header_map"].as_object()["headers"].as_array()) {
      const std::string key = Str(h.at("key"));
      std::string value = FromBase64(Str(h.at("raw_value")));
      if (map.contains(key)) value = StrCat(Str(map[key]), ",", value);
      map[key] = value;
    }
    http.erase("header_map");
    http["headers"] = map;
    return check;
  };
  const Sent allowed = Post(Call("echo"), Bearer(Token()));
  const Sent denied = Post(Call("admin_tool"), Bearer(Token()));
  const Sent doubled = Post(kPing, {{"Authorization", StrCat("Bearer ", Token())}, {"Authorization", "Bearer x"}});
  // A session id sent twice arrives as "a,b": the upstream might read either.
  const Sent two_sessions =
      Post(kPing, {{"Authorization", StrCat("Bearer ", Token("mallory"))}, {"Mcp-Session-Id", "victim-sid"},
                   {"Mcp-Session-Id", "mine"}});
  const boost::json::array answers =
      Check({as_map(CheckRequestFor(allowed)), as_map(CheckRequestFor(denied)), as_map(CheckRequestFor(doubled)),
             as_map(CheckRequestFor(two_sessions))});
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(FromCheckResponse(answers[3], two_sessions).status, 400);
  const Outcome a = FromCheckResponse(answers[0], allowed);
  EXPECT_TRUE(a.forwarded) << a.raw;
  EXPECT_EQ(a.subject, "alice");
  const Outcome d = FromCheckResponse(answers[1], denied);
  EXPECT_EQ(d.status, 200) << d.raw;
  EXPECT_THAT(d.body, HasSubstr(kDeniedText));
  EXPECT_EQ(FromCheckResponse(answers[2], doubled).status, 400);
}

// Without the body a per-tool rule cannot be judged: refused (gateway.unseen_body:
// refuse), never allowed on the token alone. GET and DELETE carry no body to see.
TEST_F(FrontDoorTest, ARequestWhoseBodyWasNotSeenIsRefusedWhenToolRulesCouldApply) {
  const Sent call = Post(Call("admin_tool"), Bearer(Token()));
  const std::string raw = ForwardAuthRaw(call, "", /*with_body=*/false);
  EXPECT_EQ(test::RawStatus(raw), 403) << raw;
  EXPECT_THAT(test::RawBody(raw), HasSubstr("did not receive this request's body"));

  const boost::json::array answers = Check({CheckRequestFor(call, /*partial_body=*/true)});
  ASSERT_EQ(answers.size(), 1u);
  const Outcome o = FromCheckResponse(answers[0], call);
  EXPECT_FALSE(o.forwarded);
  EXPECT_EQ(o.status, 403);
  EXPECT_THAT(o.body, HasSubstr("did not receive this request's body"));

  // No token is still a 401 first: the client learns where to authenticate.
  EXPECT_EQ(test::RawStatus(ForwardAuthRaw(Post(Call("admin_tool"), {}), "", false)), 401);
  // A GET (the SSE stream) has no body to judge.
  Sent get{.method = "GET", .target = "/mcp", .headers = Bearer(Token())};
  get.headers.emplace_back("Accept", "text/event-stream");
  EXPECT_EQ(test::RawStatus(ForwardAuthRaw(get)), 200);
}

// Through the gateway the upstream's body is rewritten; a front door cannot rewrite
// it, so a batch with a denied member is answered whole and nothing of it goes on.
TEST_F(FrontDoorTest, ABatchWithADeniedMemberIsAnsweredWhole) {
  const Sent batch = Post(StrCat("[", kPing, ",", Call("admin_tool"), "]"), Bearer(Token()));
  const std::string raw = ForwardAuthRaw(batch);
  EXPECT_EQ(test::RawStatus(raw), 403) << raw;
  EXPECT_THAT(test::RawBody(raw), HasSubstr(kDeniedText));
  EXPECT_THAT(test::RawBody(raw), HasSubstr("Not forwarded"));

  const boost::json::array answers = Check({CheckRequestFor(batch)});
  ASSERT_EQ(answers.size(), 1u);
  const Outcome o = FromCheckResponse(answers[0], batch);
  EXPECT_FALSE(o.forwarded);
  EXPECT_EQ(o.status, 200);
  boost::json::value replies;
  ASSERT_EQ(ParseStrictJson(o.body, replies), JsonParseError::kNone) << o.body;
  ASSERT_TRUE(replies.is_array());
  EXPECT_EQ(replies.as_array().size(), 2u) << o.body;
}

// The gateway learns a session from the upstream's answer; a front door never sees
// that answer, so a session belongs to the first principal that uses it.
TEST_F(FrontDoorTest, ASessionBelongsToItsFirstUser) {
  for (const std::string door : {"forward_auth", "ext_authz"}) {
    const std::string sid = StrCat("front-door-session-", door);
    auto sent = [&](const std::string& token) {
      Headers h = Bearer(token);
      h.emplace_back("Mcp-Session-Id", sid);
      return Post(kPing, h);
    };
    auto through = [&](const Sent& s) {
      if (door == "forward_auth") return ThroughForwardAuth(s);
      const boost::json::array a = Check({CheckRequestFor(s)});
      return a.empty() ? Outcome{} : FromCheckResponse(a[0], s);
    };
    for (int use = 0; use < 2; ++use) {
      const Outcome alice = through(sent(Token("alice")));
      EXPECT_TRUE(alice.forwarded) << door << " " << alice.raw;
    }
    const Outcome mallory = through(sent(Token("mallory", "mcp admin")));
    EXPECT_FALSE(mallory.forwarded) << door;
    EXPECT_EQ(mallory.status, 403) << door << " " << mallory.raw;
  }
}

// The metadata document is public through every door; forward-auth lets the proxy
// pass it on, ext_authz answers it in the upstream's place.
TEST_F(FrontDoorTest, TheMetadataDocumentIsReachable) {
  const Sent doc{.method = "GET", .target = "/.well-known/oauth-protected-resource/mcp"};
  EXPECT_EQ(test::RawStatus(ForwardAuthRaw(doc)), 200);
  const boost::json::array answers = Check({CheckRequestFor(doc)});
  ASSERT_EQ(answers.size(), 1u);
  const Outcome o = FromCheckResponse(answers[0], doc);
  EXPECT_EQ(o.status, 200);
  boost::json::value prm;
  ASSERT_EQ(ParseStrictJson(o.body, prm), JsonParseError::kNone) << o.body;
  EXPECT_EQ(Str(prm.at("resource")), Resource());
}

// One HTTP exchange from the loopback address `from` (another than 127.0.0.1, so
// the gateway sees a peer outside gateway.trusted_proxies).
std::string ExchangeFrom(const char* from, int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in local{}, remote{};
  local.sin_family = remote.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &local.sin_addr);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  remote.sin_port = htons(static_cast<uint16_t>(port));
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string out;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// Forward-auth believes X-Original-* only from gateway.trusted_proxies: anyone else
// could otherwise ask about (and learn the identity of) any request.
TEST_F(FrontDoorTest, ForwardAuthAnswersOnlyTrustedProxies) {
  const std::string ask = StrCat("GET ", kForwardAuthPath, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n",
                                 "X-Original-URI: /mcp\r\nX-Original-Method: GET\r\nAuthorization: Bearer ", Token(),
                                 "\r\n\r\n");
  const std::string untrusted = ExchangeFrom("127.0.0.2", Suite().gateway_port(), ask);
  EXPECT_EQ(test::RawStatus(untrusted), 403) << untrusted;
  EXPECT_THAT(untrusted, ::testing::Not(HasSubstr("X-MCP-Auth-Subject")));
  EXPECT_EQ(test::RawStatus(test::RawHttpExchange(Suite().gateway_port(), ask)), 200);  // the control
}

// A TCP relay on 127.0.0.1 whose connections reach `target` from 127.0.0.2: a caller
// outside gateway.trusted_proxies (127.0.0.1/32) for any client that connects to it.
class RelayFromAnotherAddress {
 public:
  explicit RelayFromAnotherAddress(int target) : target_(target) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RelayFromAnotherAddress() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }

 private:
  void Serve() {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{}, remote{};
    local.sin_family = remote.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.2", &local.sin_addr);
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    remote.sin_port = htons(static_cast<uint16_t>(target_));
    if (::bind(upstream, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
        ::connect(upstream, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0) {
      pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
      char buffer[16384];
      // Bounded: the test's one call takes well under this many round trips.
      for (int rounds = 0; rounds < 100000 && !stop_ && ::poll(fds, 2, 200) >= 0; ++rounds) {
        bool closed = false;
        for (int i = 0; i < 2; ++i) {
          if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
          const ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
          if (n <= 0 || ::send(fds[1 - i].fd, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) != n) closed = true;
        }
        if (closed) break;
      }
    }
    ::close(upstream);
    ::close(client);
  }

  int target_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ext_authz answers only gateway.trusted_proxies (here 127.0.0.1/32): a pod that can
// reach the port is not an oracle for tokens and claims, and cannot spend another
// address's failed-authentication budget by naming it as the source.
TEST_F(FrontDoorTest, ExtAuthzAnswersOnlyTrustedProxies) {
  RelayFromAnotherAddress relay(world_->ext_authz_port);
  ASSERT_NE(relay.port(), 0);
  const Sent s = Post(kPing, Bearer(Token()));
  const boost::json::array answers = Check({CheckRequestFor(s)}, StrCat("127.0.0.1:", relay.port()));
  ASSERT_EQ(answers.size(), 1u);
  const boost::json::object* a = answers[0].if_object();
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->contains("error")) << ToJson(answers[0]);
  EXPECT_EQ(a->at("error").at("code").to_number<int>(), 7) << "PERMISSION_DENIED: " << ToJson(answers[0]);
  // The control: the same call from a trusted address is answered.
  const boost::json::array trusted = Check({CheckRequestFor(s)});
  ASSERT_EQ(trusted.size(), 1u);
  EXPECT_TRUE(FromCheckResponse(trusted[0], s).forwarded);
}

// Header names with "_" (CGI-style servers read X_MCP_Auth_Subject as the identity and
// Mcp_Session_Id as the session): the gateway drops them, ext_authz has Envoy remove
// them, forward-auth (which cannot remove anything) refuses the request.
TEST_F(FrontDoorTest, UnderscoreHeaderNamesNeverReachTheUpstream) {
  Headers h = Bearer(Token());
  h.insert(h.end(), {{"X_MCP_Auth_Subject", "root"}, {"Mcp_Session_Id", "victim-session"}, {"Some_Header", "x"}});
  const Sent s = Post(kPing, h);
  const Outcome gateway = ThroughGateway(s);
  EXPECT_TRUE(gateway.forwarded);
  EXPECT_THAT(gateway.leaked, ::testing::IsEmpty());

  const boost::json::array answers = Check({CheckRequestFor(s)});
  ASSERT_EQ(answers.size(), 1u);
  const Outcome ext = FromCheckResponse(answers[0], s);
  EXPECT_TRUE(ext.forwarded) << ext.raw;
  EXPECT_THAT(ext.leaked, ::testing::IsEmpty());
  std::set<std::string> removed;
  for (const boost::json::value& n : answers[0].at("response").at("ok_response").at("headers_to_remove").as_array()) {
    removed.insert(Str(n));
  }
  EXPECT_THAT(removed, ::testing::IsSupersetOf({"x_mcp_auth_subject", "mcp_session_id", "some_header"}));

  const std::string r = ForwardAuthRaw(s);
  EXPECT_EQ(test::RawStatus(r), 400) << r;
  EXPECT_THAT(test::RawBody(r), HasSubstr("_"));
}

// The gateway answers OPTIONS itself; forward-auth can only say "go on", so it passes
// a CORS preflight (credential-free, with Origin and Access-Control-Request-Method)
// and refuses any other OPTIONS rather than let the proxy forward it unauthenticated.
TEST_F(FrontDoorTest, OnlyACorsPreflightOptionsIsPassedOn) {
  const std::string origin = StrCat("http://127.0.0.1:", Suite().gateway_port());
  Sent preflight{.method = "OPTIONS",
                 .target = "/mcp",
                 .headers = {{"Origin", origin}, {"Access-Control-Request-Method", "POST"}}};
  EXPECT_EQ(test::RawStatus(ForwardAuthRaw(preflight)), 200);
  Sent bare{.method = "OPTIONS", .target = "/mcp", .headers = {{"X-MCP-Auth-Subject", "root"}}};
  EXPECT_EQ(test::RawStatus(ForwardAuthRaw(bare)), 403);
  Sent with_token = preflight;
  with_token.headers.emplace_back("Authorization", StrCat("Bearer ", Token()));
  EXPECT_EQ(test::RawStatus(ForwardAuthRaw(with_token)), 403);
}

// Questions that are not a request HTTP could carry, or not from a proxy's shape.
TEST_F(FrontDoorTest, MalformedQuestionsAreRefusedClearly) {
  // Forward-auth without the original method: a POST must not be judged as the GET
  // nginx's subrequest is.
  const std::string no_method = test::RawHttpExchange(
      Suite().gateway_port(), StrCat("GET ", kForwardAuthPath, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n",
                                     "X-Original-URI: /mcp\r\nAuthorization: Bearer ", Token(), "\r\n\r\n"));
  EXPECT_EQ(test::RawStatus(no_method), 400) << no_method;

  // Behind Traefik or Caddy (which set X-Forwarded-Method/-Uri and pass the client's
  // other headers on), a client names another request in nginx's convention, to be
  // judged as a GET of something else while its POST tools/call goes through.
  const std::string call = Call("admin_tool");
  auto behind_traefik = [&](const std::string& client_headers) {
    return test::RawHttpExchange(
        Suite().gateway_port(),
        StrCat("GET ", kForwardAuthPath, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", client_headers,
               "X-Forwarded-Method: POST\r\nX-Forwarded-Uri: /mcp\r\nContent-Type: application/json\r\n"
               "MCP-Protocol-Version: 2025-11-25\r\nAuthorization: Bearer ",
               Token(), "\r\nContent-Length: ", call.size(), "\r\n\r\n", call));
  };
  for (const std::string& spoof : {std::string("X-Original-URI: /.well-known/oauth-protected-resource/mcp\r\n"),
                                   std::string("X-Original-Method: GET\r\n"),
                                   std::string("X-Original-URI: /mcp\r\nX-Original-Method: GET\r\n"),
                                   std::string("X-Forwarded-Method: GET\r\n"), std::string("X-Forwarded-Uri: /x\r\n")}) {
    const std::string r = behind_traefik(spoof);
    EXPECT_EQ(test::RawStatus(r), 400) << spoof << r;
  }
  // The control: the same question without the client's extra header is the tool denial.
  const std::string honest = behind_traefik("");
  EXPECT_EQ(test::RawStatus(honest), 403) << honest;
  EXPECT_THAT(honest, HasSubstr(kDeniedText));

  boost::json::array bad;
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"", "/mcp"}, {"PO ST", "/mcp"}, {"POST", "mcp"}, {"POST", "/mcp\r\nX: y"}}) {
    Sent s = Post(kPing, Bearer(Token()));
    boost::json::object r = CheckRequestFor(s);
    r["attributes"].as_object()["request"].as_object()["http"].as_object()["method"] = method;
    r["attributes"].as_object()["request"].as_object()["http"].as_object()["path"] = path;
    bad.push_back(r);
  }
  {  // CR/LF in a header value
    Sent s = Post(kPing, {{"Authorization", StrCat("Bearer ", Token(), "\r\nX-MCP-Auth-Subject: root")}});
    bad.push_back(CheckRequestFor(s));
  }
  const boost::json::array answers = Check(bad);
  ASSERT_EQ(answers.size(), bad.size());
  for (const boost::json::value& a : answers) {
    const Outcome o = FromCheckResponse(a, Sent{});
    EXPECT_FALSE(o.forwarded);
    EXPECT_EQ(o.status, 400) << o.raw;
  }
}

}  // namespace
}  // namespace mcpauth
