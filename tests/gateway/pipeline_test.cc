// The authorization pipeline in-process: the real server, gateway and AuthPipeline;
// a scripted TokenValidation gRPC service on loopback (so every validation outcome,
// including "could not decide", can be produced on demand); policy and metadata
// built by the same libraries the services use; a loopback upstream with canned
// replies that records what reaches it.
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "gateway/auth_pipeline.h"
#include "gateway/server.h"
#include "mcpauth/v1/token_validation.grpc.pb.h"
#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/metadata/snapshot.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/raw_http.h"
#include "tests/support/wait_for.h"

namespace mcpauth::gw {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Answers Validate from a script the test sets; records the last request.
class ScriptedValidation final : public v1::TokenValidation::Service {
 public:
  grpc::Status Validate(grpc::ServerContext*, const v1::ValidateRequest* request,
                        v1::ValidateResponse* response) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_;
    released_.wait(lock, [this] { return !held_; });
    last_ = *request;
    if (!status_.ok()) return status_;
    *response = reply_;
    return grpc::Status::OK;
  }
  void Reply(v1::ValidateResponse reply) {
    std::lock_guard<std::mutex> lock(mu_);
    reply_ = std::move(reply);
    status_ = grpc::Status::OK;
  }
  void Fail(grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(status);
  }
  v1::ValidateRequest last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }
  // While held, calls wait (counted) until Release.
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = false;
    }
    released_.notify_all();
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable released_;
  bool held_ = false;
  int calls_ = 0;
  v1::ValidateResponse reply_;
  grpc::Status status_ = grpc::Status::OK;
  v1::ValidateRequest last_;
};

v1::ValidateResponse Valid(const std::string& subject, std::vector<std::string> scopes) {
  v1::ValidateResponse r;
  r.set_valid(true);
  r.set_reason(v1::REASON_OK);
  r.mutable_principal()->set_subject(subject);
  r.mutable_principal()->set_issuer("https://as.test");
  r.mutable_principal()->set_expires_at(absl::ToUnixSeconds(absl::Now()) + 3600);
  for (auto& s : scopes) r.mutable_principal()->add_scopes(s);
  r.mutable_principal()->set_claims_json(StrCat(R"({"sub":")", subject, R"("})"));
  return r;
}

double GatewayValidationCache(prometheus::Registry& registry, std::string_view result);

constexpr char kTools[] =
    R"({"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"echo"},{"name":"delete_file"},{"name":"admin_reset"}]}})";

constexpr char kTemplates[] =
    R"({"jsonrpc":"2.0","id":8,"result":{"resourceTemplates":[{"uriTemplate":"file:///{path}"},)"
    R"({"uriTemplate":"file:///secret/{name}"}]}})";

class PipelineTest : public ::testing::Test {
 protected:
  void Start(const std::string& policy_yaml, bool fail_open = false,
             InsufficientScopeMode mode = InsufficientScopeMode::kToolError) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&validation_);
    grpc_server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);

    ASSERT_TRUE(upstream_.Start().ok());
    upstream_.SetHandler("/mcp", [this](const test::HttpRequestInfo& r) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        upstream_requests_.push_back(r);
      }
      test::HttpReply reply;
      reply.body = r.body.find("tools/list") != std::string::npos ? kTools
                   : r.body.find("resources/templates/list") != std::string::npos
                       ? kTemplates
                       : R"({"jsonrpc":"2.0","id":1,"result":{}})";
      if (r.body.find("\"gzipped\"") != std::string::npos) reply.headers.emplace_back("Content-Encoding", "gzip");
      // Every initialize gets the same session id: an upstream that hands out a
      // session it already gave someone else.
      if (r.body.find("\"initialize\"") != std::string::npos) reply.headers = {{"Mcp-Session-Id", "sess-1"}};
      if (r.method == "GET") {
        // The standalone stream, resumed: it replays an earlier tools/list answer.
        reply.content_type = "text/event-stream";
        reply.body = StrCat("id: 41\nevent: message\ndata: ", kTools, "\n\n");
      }
      if (r.body.find("\"sse\"") != std::string::npos) {
        reply.content_type = "text/event-stream";
        reply.body = StrCat("event: message\ndata: ", kTools, "\n\n");
      }
      return reply;
    });

    config_ = ParseSuiteConfig(YAML::Load(StrCat(R"(
resource: https://mcp.example.com/mcp
authorization: {enabled: true, required_scopes: [mcp]}
gateway:
  routes: [{path: /mcp, upstream: ")", upstream_.Url("/mcp"), R"(")", route_extra_, R"(}]
)", policy_yaml)));
    view_ = std::make_unique<SuiteView>(config_);
    ASSERT_TRUE(view_->ready());
    sessions_ = std::make_unique<SessionBindings>(nullptr, &local_, absl::Hours(1));
    pipeline_ = std::make_unique<AuthPipeline>(
        PipelineOptions{.fail_open = fail_open,
                        .insufficient_scope = mode,
                        .identity_headers = {},
                        .validation_timeout = absl::Seconds(2),
                        .failed_auth_rate = failed_auth_rate_,
                        .failed_auth_burst = failed_auth_burst_,
                        .max_validations_in_flight = max_validations_in_flight_},
        view_.get(), grpc::CreateChannel(StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()),
        sessions_.get(), &metrics_);
    GatewayOptions options;
    options.routes = config_.gateway.routes;
    auto gw = Gateway::Create(options, &metrics_, pipeline_.get(), [] { return true; });
    ASSERT_TRUE(gw.ok());
    gateway_ = std::move(*gw);
    server_ = std::make_unique<Server>(gateway_.get(), 1);
    ASSERT_TRUE(server_->Start("127.0.0.1:0").ok());
  }
  void TearDown() override {
    validation_.Release();
    if (server_) server_->Drain(absl::Seconds(1));
    if (grpc_server_) grpc_server_->Shutdown();
  }

  std::string Post(std::string_view body, std::string_view headers = "Authorization: Bearer t\r\n") {
    return test::RawHttpExchange(
        server_->port(), StrCat("POST /mcp HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n",
                                "Accept: application/json, text/event-stream\r\nConnection: close\r\n", headers,
                                "Content-Length: ", body.size(), "\r\n\r\n", body));
  }
  std::vector<test::HttpRequestInfo> Upstreamed() {
    std::lock_guard<std::mutex> lock(mu_);
    return upstream_requests_;
  }

  std::string route_extra_;  // more keys for the route, e.g. ", audiences: [api://x]"
  double failed_auth_rate_ = 10;
  double failed_auth_burst_ = 50;
  int64_t max_validations_in_flight_ = 512;
  ScriptedValidation validation_;
  std::unique_ptr<grpc::Server> grpc_server_;
  test::LoopbackHttpServer upstream_;
  std::mutex mu_;
  std::vector<test::HttpRequestInfo> upstream_requests_;
  SuiteConfig config_;
  std::unique_ptr<SuiteView> view_;
  InProcessStore local_;
  std::unique_ptr<SessionBindings> sessions_;
  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  std::unique_ptr<AuthPipeline> pipeline_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<Server> server_;
};

constexpr char kPolicy[] = R"(
tools:
  delete_file: {required_scopes: [files:delete]}
  "admin_*": {required_scopes: [admin]}
)";

TEST_F(PipelineTest, ValidationRequestCarriesTheRouteResourceAndDpopFields) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  ASSERT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: DPoP tok\r\nDPoP: proof\r\n"),
              StartsWith("HTTP/1.1 200"));
  const v1::ValidateRequest sent = validation_.last();
  EXPECT_EQ(sent.token(), "tok");
  EXPECT_EQ(sent.scheme(), "DPoP");
  EXPECT_EQ(sent.resource(), "https://mcp.example.com/mcp");
  EXPECT_EQ(sent.dpop().proof(), "proof");
  EXPECT_EQ(sent.dpop().method(), "POST");
  EXPECT_EQ(sent.dpop().uri(), "https://mcp.example.com/mcp");  // the configured origin, not Host: gw
}

// The audiences a route accepts go with every validation (a validator's audience
// no longer stands for every route).
TEST_F(PipelineTest, ValidationRequestCarriesTheRouteAudiences) {
  route_extra_ = ", audiences: [api://mcp, urn:mcp]";
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  ASSERT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})"), StartsWith("HTTP/1.1 200"));
  const v1::ValidateRequest sent = validation_.last();
  EXPECT_EQ(sent.resource(), "https://mcp.example.com/mcp");
  EXPECT_THAT(sent.audiences(), ::testing::ElementsAre("api://mcp", "urn:mcp"));
}

TEST_F(PipelineTest, BatchMembersAreDecidedOneByOne) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  const std::string r = Post(
      R"([{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_file"}},)"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}},)"
      R"({"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"file:///x"}}])");
  ASSERT_THAT(r, StartsWith("HTTP/1.1 200"));
  // Only the allowed members went upstream...
  ASSERT_EQ(Upstreamed().size(), 1u);
  EXPECT_EQ(Upstreamed()[0].body,
            R"([{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}},)"
            R"({"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"file:///x"}}])");
  // ...and the client gets the gateway's answer for the denied one merged in.
  EXPECT_THAT(test::RawBody(r),
              HasSubstr(R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Tool \"delete_file\" requires scopes: ['files:delete']. Missing: ['files:delete']"}],"isError":true}})"));
}

TEST_F(PipelineTest, AllDeniedNeverReachesTheUpstream) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  const std::string r = Post(R"({"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"admin_reset"}})");
  ASSERT_THAT(r, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(test::RawBody(r),
            R"({"jsonrpc":"2.0","id":"a","result":{"content":[{"type":"text","text":"Tool \"admin_reset\" requires scopes: ['admin']. Missing: ['admin']"}],"isError":true}})");
  EXPECT_TRUE(Upstreamed().empty());
}

TEST_F(PipelineTest, StepUpModeAnswersA403Challenge) {
  Start(kPolicy, false, InsufficientScopeMode::kHttp403);
  validation_.Reply(Valid("alice", {"mcp"}));
  const std::string r = Post(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_file"}})",
                             "Authorization: Bearer t\r\nMCP-Protocol-Version: 2025-11-25\r\n");
  ASSERT_THAT(r, StartsWith("HTTP/1.1 403"));
  EXPECT_EQ(test::RawHeader(r, "WWW-Authenticate"),
            R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", )"
            R"(scope="mcp files:delete", error="insufficient_scope", )"
            R"(error_description="Tool \"delete_file\" requires scopes: ['files:delete']. Missing: ['files:delete']")");
  // A client too old for step-up gets the tool error instead.
  const std::string old = Post(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_file"}})",
                               "Authorization: Bearer t\r\nMCP-Protocol-Version: 2025-06-18\r\n");
  EXPECT_THAT(old, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(test::RawBody(old), HasSubstr("isError"));
}

TEST_F(PipelineTest, ListFilteringInJsonAndSse) {
  Start(StrCat(kPolicy, "policy: {list_filtering: true}\n"));
  validation_.Reply(Valid("alice", {"mcp", "admin"}));
  const std::string json = Post(R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})");
  ASSERT_THAT(json, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(test::RawBody(json), R"({"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"echo"},{"name":"admin_reset"}]}})");
  const std::string sse = Post(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"x":"sse"}}})");
  ASSERT_THAT(sse, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(sse, HasSubstr(R"(data: {"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"echo"},{"name":"admin_reset"}]}})"));
  EXPECT_THAT(sse, ::testing::Not(HasSubstr("delete_file")));
}

TEST_F(PipelineTest, ListsAreWholeWithoutListFiltering) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  EXPECT_EQ(test::RawBody(Post(R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})")), kTools);
}

TEST_F(PipelineTest, CouldNotDecideIsA503WithoutFailOpen) {
  Start(kPolicy);
  validation_.Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "keys unavailable"));
  const std::string r = Post(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}})");
  ASSERT_THAT(r, StartsWith("HTTP/1.1 503"));
  EXPECT_EQ(test::RawHeader(r, "Retry-After"), "5");
  EXPECT_TRUE(Upstreamed().empty());
}

// fail_open (Dedalus MCP's name) only when no decision could be made: the request goes on as
// anonymous, marked, with per-tool scopes still enforced.
TEST_F(PipelineTest, FailOpenGoesOnAsAnonymousWithToolScopesEnforced) {
  Start(kPolicy, /*fail_open=*/true);
  validation_.Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "keys unavailable"));
  const std::string echo = Post(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}})",
                                "Authorization: Bearer t\r\nX-MCP-Auth-Subject: admin\r\n");
  ASSERT_THAT(echo, StartsWith("HTTP/1.1 200"));
  ASSERT_EQ(Upstreamed().size(), 1u);
  EXPECT_EQ(Upstreamed()[0].Header("X-MCP-Auth-Anonymous"), "true");
  EXPECT_EQ(Upstreamed()[0].Header("X-MCP-Auth-Subject"), "");
  const std::string del = Post(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_file"}})");
  EXPECT_THAT(test::RawBody(del), HasSubstr("requires scopes: ['files:delete']"));
  EXPECT_EQ(Upstreamed().size(), 1u);
}

// A deadline hit or an overload is not "could not reach": never fail_open, or
// whoever can slow the validator down turns invalid tokens into anonymous callers.
TEST_F(PipelineTest, FailOpenNeverCoversADeadlineOrAnOverload) {
  Start(kPolicy, /*fail_open=*/true);
  for (grpc::StatusCode code : {grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::RESOURCE_EXHAUSTED}) {
    validation_.Fail(grpc::Status(code, "busy"));
    const std::string r = Post(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}})",
                               StrCat("Authorization: Bearer t", static_cast<int>(code), "\r\n"));
    EXPECT_THAT(r, StartsWith("HTTP/1.1 503"));
    EXPECT_EQ(test::RawHeader(r, "Retry-After"), "5");
  }
  EXPECT_TRUE(Upstreamed().empty());
}

// Without credentials the answer is a 401 whatever the body holds: a large body
// is not read at all (no 100 Continue either), so refusing it costs nothing.
TEST_F(PipelineTest, AnUnauthenticatedLargeBodyIsNotRead) {
  Start(kPolicy);
  const std::string head = "POST /mcp HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                           "Content-Length: 4194304\r\n";
  // Only the header is sent: the answer cannot wait for a body.
  const std::string r = test::RawHttpExchange(server_->port(), head + "\r\n", /*half_close=*/false,
                                              absl::Seconds(8));
  ASSERT_THAT(r, StartsWith("HTTP/1.1 401"));
  EXPECT_EQ(test::RawHeader(r, "Connection"), "close");
  const std::string expect = test::RawHttpExchange(server_->port(), head + "Expect: 100-continue\r\n\r\n",
                                                   /*half_close=*/false, absl::Seconds(8));
  ASSERT_THAT(expect, StartsWith("HTTP/1.1 401"));  // no interim 100: the body is not wanted
  // A small initialize is still read for the protocol version it names.
  const std::string init = Post(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})", "");
  ASSERT_THAT(init, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(test::RawHeader(init, "WWW-Authenticate"), HasSubstr(R"(scope="mcp")"));
  EXPECT_TRUE(Upstreamed().empty());
}

// An invalid token is never let through, fail_open or not.
TEST_F(PipelineTest, InvalidTokenIsRefusedEvenWithFailOpen) {
  Start(kPolicy, /*fail_open=*/true);
  v1::ValidateResponse invalid;
  invalid.set_valid(false);
  invalid.set_reason(v1::REASON_SIGNATURE_INVALID);
  invalid.set_error("invalid_token");
  invalid.set_error_description("Jwt verification fails");
  validation_.Reply(invalid);
  const std::string r = Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  ASSERT_THAT(r, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(test::RawHeader(r, "WWW-Authenticate"),
              HasSubstr(R"(error="invalid_token", error_description="Jwt verification fails")"));
  EXPECT_TRUE(Upstreamed().empty());
}

TEST_F(PipelineTest, DpopNonceChallengesAndFreshNonces) {
  Start(StrCat(kPolicy, "\n"));
  v1::ValidateResponse need_nonce;
  need_nonce.set_valid(false);
  need_nonce.set_reason(v1::REASON_DPOP_NONCE_REQUIRED);
  need_nonce.set_error("use_dpop_nonce");
  need_nonce.set_error_description("DPoP proof must carry a current server nonce");
  need_nonce.set_dpop_nonce("n-1");
  validation_.Reply(need_nonce);
  const std::string r = Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: DPoP t\r\nDPoP: p\r\n");
  ASSERT_THAT(r, StartsWith("HTTP/1.1 401"));
  EXPECT_EQ(test::RawHeader(r, "DPoP-Nonce"), "n-1");
  EXPECT_THAT(test::RawHeader(r, "WWW-Authenticate"), HasSubstr(R"(error="use_dpop_nonce")"));
  v1::ValidateResponse ok = Valid("alice", {"mcp"});
  ok.set_dpop_nonce("n-2");
  validation_.Reply(ok);
  const std::string passed = Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: DPoP t\r\nDPoP: p\r\n");
  ASSERT_THAT(passed, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(test::RawHeader(passed, "DPoP-Nonce"), "n-2");
}

// Issue 14 item 6: list filtering applied only to POST answers; a GET stream
// resumed with Last-Event-ID replayed an unfiltered tools/list result.
TEST_F(PipelineTest, ListsOnTheGetStreamAreFilteredToo) {
  Start(StrCat(kPolicy, "policy: {list_filtering: true}\n"));
  validation_.Reply(Valid("alice", {"mcp"}));
  const std::string r = test::RawHttpExchange(
      server_->port(), "GET /mcp HTTP/1.1\r\nHost: gw\r\nAccept: text/event-stream\r\nAuthorization: Bearer t\r\n"
                       "Last-Event-ID: 40\r\nConnection: close\r\n\r\n");
  ASSERT_THAT(r, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(r, HasSubstr(R"(data: {"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"echo"}]}})"));
  EXPECT_THAT(r, HasSubstr("id: 41"));
  EXPECT_THAT(r, ::testing::Not(HasSubstr("delete_file")));
  EXPECT_THAT(r, ::testing::Not(HasSubstr("admin_reset")));
}

// resources/templates/list is filtered like the other lists (a template matched as
// written against the resource rules).
TEST_F(PipelineTest, ResourceTemplatesAreFiltered) {
  Start(StrCat(kPolicy, "resources: {\"file:///secret/*\": {required_scopes: [secrets]}}\n",
               "policy: {list_filtering: true}\n"));
  validation_.Reply(Valid("alice", {"mcp"}));
  EXPECT_EQ(test::RawBody(Post(R"({"jsonrpc":"2.0","id":8,"method":"resources/templates/list"})")),
            R"({"jsonrpc":"2.0","id":8,"result":{"resourceTemplates":[{"uriTemplate":"file:///{path}"}]}})");
}

// Issue 14 item 7: a denied tools/call sent as a notification (no id) was
// forwarded. It is dropped: 202, nothing upstream; in a batch, the rest goes on.
TEST_F(PipelineTest, DeniedNotificationsAreDropped) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  const std::string r = Post(R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"delete_file"}})");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 202"));
  EXPECT_EQ(test::RawBody(r), "");
  EXPECT_TRUE(Upstreamed().empty());
  const std::string batch =
      Post(R"([{"jsonrpc":"2.0","method":"tools/call","params":{"name":"admin_reset"}},)"
           R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo"}}])");
  EXPECT_THAT(batch, StartsWith("HTTP/1.1 200"));
  ASSERT_EQ(Upstreamed().size(), 1u);
  EXPECT_EQ(Upstreamed()[0].body, R"([{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo"}}])");
  // An allowed notification is forwarded as it came.
  EXPECT_THAT(Post(R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo"}})"), StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(Upstreamed().size(), 2u);
}

// completion/complete on a prompt or resource template is a use of it; without a
// ref it is invalid params.
TEST_F(PipelineTest, CompletionsAreDecidedByTheirReference) {
  Start(StrCat(kPolicy, "prompts: {deploy: {required_scopes: [deploy]}}\n",
               "resources: {\"file:///secret/*\": {required_scopes: [secrets]}}\n"));
  validation_.Reply(Valid("alice", {"mcp"}));
  const std::string prompt = Post(
      R"({"jsonrpc":"2.0","id":3,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"deploy"},)"
      R"("argument":{"name":"env","value":"p"}}})");
  EXPECT_THAT(test::RawBody(prompt), HasSubstr(R"("code":-32001,"message":"Prompt \"deploy\" requires scopes)"));
  const std::string secret = Post(
      R"({"jsonrpc":"2.0","id":4,"method":"completion/complete","params":{"ref":{"type":"ref/resource",)"
      R"("uri":"file:///secret/{name}"},"argument":{"name":"name","value":"k"}}})");
  EXPECT_THAT(test::RawBody(secret), HasSubstr(R"("code":-32001)"));
  EXPECT_TRUE(Upstreamed().empty());
  const std::string open = Post(
      R"({"jsonrpc":"2.0","id":5,"method":"completion/complete","params":{"ref":{"type":"ref/resource",)"
      R"("uri":"file:///{path}"},"argument":{"name":"path","value":"k"}}})");
  EXPECT_THAT(open, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(Upstreamed().size(), 1u);
  const std::string no_ref = Post(R"({"jsonrpc":"2.0","id":6,"method":"completion/complete","params":{}})");
  EXPECT_THAT(no_ref, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(test::RawBody(no_ref), HasSubstr("-32602"));
}

// Issue 14 item 4 at the edge: every spelling of a governed URI is governed; one
// without a normal form is invalid params, whatever the caller holds.
TEST_F(PipelineTest, ResourceSpellingsCannotSlipPastARule) {
  Start(StrCat(kPolicy, "resources: {\"file:///secret/*\": {required_scopes: [secrets]}}\n"));
  validation_.Reply(Valid("alice", {"mcp"}));
  for (std::string_view uri : {"file:///public/../secret/key", "FILE:///secret/key", "file:///%73ecret/key",
                               "file://localhost/secret/key"}) {
    const std::string r = Post(StrCat(R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":")", uri,
                                      R"("}})"));
    EXPECT_THAT(test::RawBody(r), HasSubstr(R"("code":-32001)")) << uri;
  }
  validation_.Reply(Valid("bob", {"mcp", "secrets"}));
  for (std::string_view uri : {"file:////secret/key", "file:///a%2F..%2Fsecret/key", "file:/secret/key",
                               "file:secret/key"}) {
    const std::string r = Post(StrCat(R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":")", uri,
                                      R"("}})"),
                               "Authorization: Bearer other\r\n");
    EXPECT_THAT(test::RawBody(r), HasSubstr(R"("code":-32602)")) << uri;
  }
  EXPECT_TRUE(Upstreamed().empty());
}

constexpr char kInitialize[] =
    R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})";

// A session is its opener's: another principal is refused (403); a session the
// gateway never bound (evicted, lost, made up) is unknown (404, MCP's answer), not
// let through; an upstream that assigns a session already bound to someone else
// does not get it to the second caller (502).
TEST_F(PipelineTest, SessionsBelongToWhoeverOpenedThem) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  const std::string opened = Post(kInitialize, "Authorization: Bearer alice\r\n");
  ASSERT_EQ(test::RawHeader(opened, "Mcp-Session-Id"), "sess-1");
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  EXPECT_THAT(Post(ping, "Authorization: Bearer alice\r\nMcp-Session-Id: sess-1\r\n"), StartsWith("HTTP/1.1 200"));
  const std::string unknown = Post(ping, "Authorization: Bearer alice\r\nMcp-Session-Id: sess-made-up\r\n");
  EXPECT_THAT(unknown, StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(test::RawBody(unknown), HasSubstr(R"("code":-32001,"message":"Session not found")"));

  validation_.Reply(Valid("bob", {"mcp"}));
  EXPECT_THAT(Post(ping, "Authorization: Bearer bob\r\nMcp-Session-Id: sess-1\r\n"), StartsWith("HTTP/1.1 403"));
  const std::string reissued = Post(kInitialize, "Authorization: Bearer bob\r\n");
  EXPECT_THAT(reissued, StartsWith("HTTP/1.1 502"));
  EXPECT_EQ(test::RawHeader(reissued, "Mcp-Session-Id"), "");
  // Upstream saw: alice's initialize, alice's ping, bob's initialize (answered, not relayed).
  EXPECT_EQ(Upstreamed().size(), 3u);
}

// Tokens without sub were one session owner for every caller of the issuer. Now a
// token's client owns its sessions when it has no subject, and a token naming
// neither is refused.
TEST_F(PipelineTest, TokensWithoutASubjectOwnSessionsByClient) {
  Start(kPolicy);
  v1::ValidateResponse app1 = Valid("", {"mcp"});
  app1.mutable_principal()->set_client_id("app-1");
  validation_.Reply(app1);
  ASSERT_EQ(test::RawHeader(Post(kInitialize, "Authorization: Bearer app1\r\n"), "Mcp-Session-Id"), "sess-1");
  v1::ValidateResponse app2 = Valid("", {"mcp"});
  app2.mutable_principal()->set_client_id("app-2");
  validation_.Reply(app2);
  EXPECT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: Bearer app2\r\nMcp-Session-Id: sess-1\r\n"),
              StartsWith("HTTP/1.1 403"));
  validation_.Reply(Valid("", {"mcp"}));
  const std::string nobody = Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: Bearer nobody\r\n");
  EXPECT_THAT(nobody, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(test::RawHeader(nobody, "WWW-Authenticate"), HasSubstr("names no subject"));
}

// Defense in depth for issue 14 item 2: a principal whose subject holds CR/LF
// (token-validation refuses such tokens) is refused here too, never written.
TEST_F(PipelineTest, AnIdentityWithControlCharactersIsRefused) {
  Start(kPolicy);
  validation_.Reply(Valid("alice\r\nX-MCP-Auth-Scopes: admin", {"mcp"}));
  const std::string r = Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(test::RawHeader(r, "WWW-Authenticate"), HasSubstr(R"(error="invalid_token")"));
  validation_.Reply(Valid("alice", {"mcp", "read\nX-Injected: 1"}));
  EXPECT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: Bearer other\r\n"),
              StartsWith("HTTP/1.1 401"));
  EXPECT_TRUE(Upstreamed().empty());
}

v1::ValidateResponse Invalid() {
  v1::ValidateResponse r;
  r.set_valid(false);
  r.set_reason(v1::REASON_SIGNATURE_INVALID);
  r.set_error("invalid_token");
  r.set_error_description("Jwt verification fails");
  return r;
}

// A client that keeps presenting invalid credentials spends its failure budget;
// then it is answered 429 without a validation call, while a caller whose token
// is valid (here, one known to the gateway's cache) goes on.
TEST_F(PipelineTest, AClientOutOfFailuresIsAnswered429WithoutValidation) {
  failed_auth_rate_ = 0.01;  // no refill within the test
  failed_auth_burst_ = 3;
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  ASSERT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: Bearer good\r\n"),
              StartsWith("HTTP/1.1 200"));
  ASSERT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: DPoP bound\r\nDPoP: p1\r\n"),
              StartsWith("HTTP/1.1 200"));
  validation_.Reply(Invalid());
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", StrCat("Authorization: Bearer bad", i, "\r\n")),
                StartsWith("HTTP/1.1 401"));
  }
  const int calls = validation_.calls();
  const std::string shed = Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: Bearer bad9\r\n");
  EXPECT_THAT(shed, StartsWith("HTTP/1.1 429"));
  EXPECT_FALSE(test::RawHeader(shed, "Retry-After").empty());
  EXPECT_EQ(validation_.calls(), calls);
  EXPECT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: Bearer good\r\n"),
              StartsWith("HTTP/1.1 200"));
  // A DPoP token seen valid before is validated (every proof is new) without being
  // budgeted: found by review, 128 concurrent DPoP calls of one valid caller spent
  // the budget on reservations.
  validation_.Reply(Valid("alice", {"mcp"}));
  EXPECT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: DPoP bound\r\nDPoP: p2\r\n"),
              StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(validation_.calls(), calls + 1);
  // A new token from this client is still shed.
  EXPECT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: Bearer new\r\n"),
              StartsWith("HTTP/1.1 429"));
}

// Over the cap on validation calls in flight: 503 with Retry-After, never fail_open.
TEST_F(PipelineTest, TooManyValidationsInFlightIs503EvenWithFailOpen) {
  max_validations_in_flight_ = 1;
  Start(kPolicy, /*fail_open=*/true);
  validation_.Reply(Valid("alice", {"mcp"}));
  validation_.Hold();
  std::string first;
  std::thread held([&] { first = Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: Bearer a\r\n"); });
  ASSERT_TRUE(test::WaitFor([&] { return validation_.calls() == 1; }, absl::Seconds(10)));
  const std::string shed = Post(R"({"jsonrpc":"2.0","id":2,"method":"ping"})", "Authorization: Bearer b\r\n");
  EXPECT_THAT(shed, StartsWith("HTTP/1.1 503"));
  EXPECT_EQ(test::RawHeader(shed, "Retry-After"), "1");
  // A request for the token already in flight joins it rather than being shed.
  std::string joined;
  std::thread joiner([&] { joined = Post(R"({"jsonrpc":"2.0","id":3,"method":"ping"})", "Authorization: Bearer a\r\n"); });
  ASSERT_TRUE(test::WaitFor([&] { return GatewayValidationCache(registry_, "joined") == 1; }, absl::Seconds(10)));
  validation_.Release();
  held.join();
  joiner.join();
  EXPECT_THAT(first, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(joined, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(Upstreamed().size(), 2u);
}

// Found by review (2026-12-04): the decision read the body as UTF-8 while the
// upstream (express.json) decoded the declared charset, so UTF-7 turned
// "tools+AC8-call" into tools/call past every rule. Bodies must be UTF-8 JSON.
TEST_F(PipelineTest, BodiesTheUpstreamWouldReadOtherwiseAreRefused) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  auto post = [&](std::string_view content_type, std::string_view extra = "") {
    const std::string body = R"({"jsonrpc":"2.0","id":6,"method":"tools+AC8-call","params":{"name":"x"}})";
    return test::RawHttpExchange(
        server_->port(),
        StrCat("POST /mcp HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer t\r\nConnection: close\r\n", content_type,
               extra, "Content-Length: ", body.size(), "\r\n\r\n", body));
  };
  for (std::string_view type : {"Content-Type: application/json; charset=utf-7\r\n",
                                "Content-Type: application/json;charset=\"UTF-16\"\r\n", "",
                                "Content-Type: text/plain\r\n"}) {
    const std::string r = post(type);
    EXPECT_THAT(r, StartsWith("HTTP/1.1 415")) << type;
    EXPECT_THAT(test::RawBody(r), HasSubstr("Unsupported Media Type")) << type;
  }
  EXPECT_THAT(post("Content-Type: application/json\r\n", "Content-Encoding: gzip\r\n"), StartsWith("HTTP/1.1 415"));
  EXPECT_TRUE(Upstreamed().empty());
  for (std::string_view type : {"Content-Type: application/json; charset=utf-8\r\n",
                                "Content-Type: Application/JSON; charset=\"UTF-8\"\r\n"}) {
    EXPECT_THAT(post(type), StartsWith("HTTP/1.1 200")) << type;
  }
}

// Found by review: a compressed list answer was relayed unfiltered. The gateway asks
// for an unencoded answer when it must read it, and refuses an encoded one.
TEST_F(PipelineTest, AnswersTheGatewayMustReadComeUnencoded) {
  Start(StrCat(kPolicy, "policy: {list_filtering: true}\n"));
  validation_.Reply(Valid("alice", {"mcp"}));
  ASSERT_THAT(Post(R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})", "Authorization: Bearer t\r\nAccept-Encoding: gzip\r\n"),
              StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(Upstreamed().back().Header("Accept-Encoding"), "identity");
  const std::string r = Post(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"x":"gzipped"}}})");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 502"));
  EXPECT_THAT(r, ::testing::Not(HasSubstr("delete_file")));
}

TEST_F(PipelineTest, IdentityHeadersCarryThePrincipal) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp", "files:delete"}));
  ASSERT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})"), StartsWith("HTTP/1.1 200"));
  const test::HttpRequestInfo up = Upstreamed().at(0);
  EXPECT_EQ(up.Header("X-MCP-Auth-Subject"), "alice");
  EXPECT_EQ(up.Header("X-MCP-Auth-Scopes"), "mcp files:delete");
  EXPECT_EQ(Base64UrlDecode(up.Header("X-MCP-Auth-Claims")), std::optional<std::string>(R"({"sub":"alice"})"));
  EXPECT_EQ(up.Header("Authorization"), "");
}

}  // namespace
}  // namespace mcpauth::gw

namespace mcpauth::gw {
namespace {

// Bearer answers are kept by the gateway (one gRPC call per token, not per request);
// DPoP requests are validated every time, since every proof is new.
TEST_F(PipelineTest, BearerAnswersAreCachedDpopAnswersAreNot) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  ASSERT_THAT(Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})"), StartsWith("HTTP/1.1 200"));
  validation_.Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  // Same bearer token: answered from the gateway's cache although the service is down.
  EXPECT_THAT(Post(R"({"jsonrpc":"2.0","id":2,"method":"ping"})"), StartsWith("HTTP/1.1 200"));
  // Another token is not.
  EXPECT_THAT(Post(R"({"jsonrpc":"2.0","id":3,"method":"ping"})", "Authorization: Bearer other\r\n"),
              StartsWith("HTTP/1.1 503"));
  // DPoP: never cached.
  validation_.Reply(Valid("alice", {"mcp"}));
  ASSERT_THAT(Post(R"({"jsonrpc":"2.0","id":4,"method":"ping"})", "Authorization: DPoP d\r\nDPoP: p\r\n"),
              StartsWith("HTTP/1.1 200"));
  validation_.Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  EXPECT_THAT(Post(R"({"jsonrpc":"2.0","id":5,"method":"ping"})", "Authorization: DPoP d\r\nDPoP: p\r\n"),
              StartsWith("HTTP/1.1 503"));
}

double GatewayValidationCache(prometheus::Registry& registry, std::string_view result) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "mcpauth_cache_requests_total") continue;
    for (const auto& metric : family.metric) {
      bool cache = false, matches = false;
      for (const auto& label : metric.label) {
        cache = cache || (label.name == "cache" && label.value == "gateway_validation");
        matches = matches || (label.name == "result" && label.value == result);
      }
      if (cache && matches) return metric.counter.value;
    }
  }
  return 0;
}

TEST_F(PipelineTest, ConcurrentMissesForOneTokenShareOneValidation) {
  Start(kPolicy);
  validation_.Reply(Valid("alice", {"mcp"}));
  validation_.Hold();
  constexpr int kRequests = 6;
  std::vector<std::string> replies(kRequests);
  std::vector<std::thread> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.emplace_back([&, i] { replies[i] = Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})"); });
  }
  // Every request has reached the pipeline: one leads the call, the others joined it.
  EXPECT_TRUE(test::WaitFor([&] { return GatewayValidationCache(registry_, "joined") >= kRequests - 1; },
                            absl::Seconds(5)));
  EXPECT_EQ(GatewayValidationCache(registry_, "miss"), 1);
  EXPECT_EQ(GatewayValidationCache(registry_, "joined"), kRequests - 1);
  validation_.Release();
  for (auto& c : clients) c.join();
  for (const std::string& reply : replies) EXPECT_THAT(reply, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(validation_.calls(), 1);
  EXPECT_EQ(Upstreamed().size(), static_cast<size_t>(kRequests));
  // Another token while one is in flight is its own call; a failed shared call fails
  // every request that joined it (no one is let through on another's failure).
  validation_.Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  validation_.Hold();
  std::vector<std::thread> others;
  std::vector<std::string> other_replies(3);
  for (int i = 0; i < 3; ++i) {
    others.emplace_back([&, i] {
      other_replies[i] = Post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "Authorization: Bearer other\r\n");
    });
  }
  EXPECT_TRUE(test::WaitFor([&] { return GatewayValidationCache(registry_, "joined") >= kRequests - 1 + 2; },
                            absl::Seconds(5)));
  validation_.Release();
  for (auto& c : others) c.join();
  for (const std::string& reply : other_replies) EXPECT_THAT(reply, StartsWith("HTTP/1.1 503"));
  EXPECT_EQ(validation_.calls(), 2);
}

}  // namespace
}  // namespace mcpauth::gw
