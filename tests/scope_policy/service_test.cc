// mcpauth.v1.ScopePolicy in-process over a real gRPC channel on loopback.
#include "services/scope_policy/service.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "tests/scope_policy/metric_value.h"
#include "tests/support/wait_for.h"

namespace mcpauth::sp {
namespace {

using ::testing::ElementsAre;
using testing::MetricValue;

constexpr char kPolicy[] = R"(
authorization: {required_scopes: [read]}
tools:
  delete_file: {required_scopes: [files:delete]}
  "admin_*": {required_scopes: [admin]}
resources:
  "file:///secret/*": {required_scopes: [secrets:read]}
prompts:
  deploy: {required_scopes: [deploy]}
policy: {list_filtering: true, unknown_tool: deny}
)";

std::shared_ptr<const CompiledPolicy> MustCompile(std::string_view yaml) {
  auto policy = CompilePolicyText(yaml, "test");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

class ScopePolicyServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    stub_ = v1::ScopePolicy::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5)); }

  v1::AuthorizeResponse Authorize(std::vector<std::string> scopes, std::string method, std::string target,
                                  bool anonymous = false) {
    v1::AuthorizeRequest request;
    for (const std::string& s : scopes) request.mutable_principal()->add_scopes(s);
    request.set_anonymous(anonymous);
    request.set_method(method);
    request.set_target(target);
    v1::AuthorizeResponse response;
    grpc::ClientContext context;
    last_status_ = stub_->Authorize(&context, request, &response);
    return response;
  }

  v1::FilterListResponse Filter(std::vector<std::string> scopes, v1::ListKind kind, std::vector<std::string> names,
                                bool always = false) {
    v1::FilterListRequest request;
    for (const std::string& s : scopes) request.mutable_principal()->add_scopes(s);
    request.set_kind(kind);
    for (const std::string& n : names) request.add_names(n);
    request.set_always_filter(always);
    v1::FilterListResponse response;
    grpc::ClientContext context;
    last_status_ = stub_->FilterList(&context, request, &response);
    return response;
  }

  double Decisions(const std::string& method, const std::string& result) {
    return MetricValue(registry_, "mcpauth_policy_decisions_total", {{"method", method}, {"result", result}})
        .value_or(-1);
  }

  prometheus::Registry registry_;
  ScopePolicyMetrics metrics_{registry_};
  PolicyStore store_{MustCompile(kPolicy)};
  ScopePolicyService service_{&store_, &metrics_, {.watch_check_interval = absl::Milliseconds(50)}};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ScopePolicy::Stub> stub_;
  grpc::Status last_status_;
};

TEST_F(ScopePolicyServiceTest, Authorize) {
  v1::AuthorizeResponse r = Authorize({"read"}, "tools/call", "delete_file");
  ASSERT_TRUE(last_status_.ok()) << last_status_.error_message();
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.reason(), v1::DECISION_REASON_TARGET_SCOPES_MISSING);
  EXPECT_EQ(r.message(), "Tool \"delete_file\" requires scopes: ['files:delete']. Missing: ['files:delete']");
  EXPECT_THAT(r.required_scopes(), ElementsAre("files:delete", "read"));
  EXPECT_THAT(r.missing_scopes(), ElementsAre("files:delete"));
  EXPECT_EQ(r.challenge_scope(), "files:delete read");
  EXPECT_EQ(r.policy_version(), 1u);

  r = Authorize({"read", "files:delete"}, "tools/call", "delete_file");
  EXPECT_TRUE(r.allowed());
  EXPECT_EQ(r.reason(), v1::DECISION_REASON_ALLOWED);
  r = Authorize({"read"}, "tools/call", "mystery");
  EXPECT_EQ(r.reason(), v1::DECISION_REASON_UNKNOWN_TOOL);
  r = Authorize({}, "tools/list", "");
  EXPECT_EQ(r.reason(), v1::DECISION_REASON_SERVER_SCOPES_MISSING);
  r = Authorize({}, "tools/call", "admin_x", /*anonymous=*/true);
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.message(), "Tool \"admin_x\" requires scopes: ['admin']. Missing: ['admin']");

  EXPECT_EQ(Decisions("tools/call", "target_scopes_missing"), 2);
  EXPECT_EQ(Decisions("tools/call", "allowed"), 1);
  EXPECT_EQ(Decisions("tools/call", "unknown_tool"), 1);
  EXPECT_EQ(Decisions("other", "server_scopes_missing"), 1);
}

TEST_F(ScopePolicyServiceTest, MethodLabelsAreBounded) {
  Authorize({"read"}, "made/up/method/with/a/long/name", "");
  Authorize({"read"}, "resources/subscribe", "file:///secret/x");
  EXPECT_EQ(Decisions("other", "allowed"), 1);
  EXPECT_EQ(Decisions("resources/subscribe", "target_scopes_missing"), 1);
  for (const prometheus::MetricFamily& family : registry_.Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        EXPECT_NE(label.value, "made/up/method/with/a/long/name") << family.name;
      }
    }
  }
}

TEST_F(ScopePolicyServiceTest, BadRequestsAreInvalidArgument) {
  Authorize({"read"}, "", "");
  EXPECT_EQ(last_status_.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(last_status_.error_message(), "method is required");
  Authorize({"read"}, "tools/call", "");
  EXPECT_EQ(last_status_.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(last_status_.error_message(), "target is required for tools/call");
  Filter({"read"}, v1::LIST_KIND_UNSPECIFIED, {"a"});
  EXPECT_EQ(last_status_.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ScopePolicyServiceTest, FilterList) {
  v1::FilterListResponse r =
      Filter({"read", "admin"}, v1::LIST_KIND_TOOLS, {"delete_file", "admin_users", "mystery", "admin_x"});
  ASSERT_TRUE(last_status_.ok());
  EXPECT_TRUE(r.filtered());
  EXPECT_THAT(r.allowed_names(), ElementsAre("admin_users", "admin_x"));
  EXPECT_EQ(r.policy_version(), 1u);
  r = Filter({"read"}, v1::LIST_KIND_RESOURCES, {"file:///secret/a", "file:///b"});
  EXPECT_THAT(r.allowed_names(), ElementsAre("file:///b"));
  r = Filter({"read", "deploy"}, v1::LIST_KIND_PROMPTS, {"deploy", "other"});
  EXPECT_THAT(r.allowed_names(), ElementsAre("deploy", "other"));
  EXPECT_EQ(MetricValue(registry_, "mcpauth_policy_list_items_total", {{"kind", "tools"}, {"result", "filtered"}}),
            2);
}

TEST_F(ScopePolicyServiceTest, ListFilteringOffReturnsEveryNameUnlessAskedToFilter) {
  store_.Publish(MustCompile("tools: {delete_file: {required_scopes: [files:delete]}}\npolicy: {list_filtering: false}"));
  v1::FilterListResponse r = Filter({}, v1::LIST_KIND_TOOLS, {"delete_file", "other"});
  EXPECT_FALSE(r.filtered());
  EXPECT_THAT(r.allowed_names(), ElementsAre("delete_file", "other"));
  EXPECT_EQ(r.policy_version(), 2u);
  r = Filter({}, v1::LIST_KIND_TOOLS, {"delete_file", "other"}, /*always=*/true);
  EXPECT_TRUE(r.filtered());
  EXPECT_THAT(r.allowed_names(), ElementsAre("other"));
}

TEST_F(ScopePolicyServiceTest, GetPolicyShipsWhatTheGatewayNeeds) {
  v1::PolicySnapshot snapshot;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetPolicy(&context, v1::GetPolicyRequest(), &snapshot).ok());
  EXPECT_EQ(snapshot.version(), 1u);
  EXPECT_THAT(snapshot.scopes_supported(), ElementsAre("read"));
  // The gateway's copy decides like the service.
  auto copy = CompiledPolicy::Compile(snapshot.policy());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(snapshot.digest(), (*copy)->Digest());
  const Decision d = Decide(**copy, std::vector<std::string>{"read"}, false, "tools/call", "delete_file");
  EXPECT_EQ(d.message, Authorize({"read"}, "tools/call", "delete_file").message());
  EXPECT_FALSE(Decide(**copy, std::vector<std::string>{"read"}, false, "tools/call", "mystery").allowed);
}

TEST_F(ScopePolicyServiceTest, WatchPolicyStreamsEveryNewVersion) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::PolicySnapshot>> reader =
      stub_->WatchPolicy(&context, v1::WatchPolicyRequest());
  v1::PolicySnapshot snapshot;
  ASSERT_TRUE(reader->Read(&snapshot));
  EXPECT_EQ(snapshot.version(), 1u);  // the current one, at once
  EXPECT_EQ(MetricValue(registry_, "mcpauth_policy_watch_streams"), 1);

  store_.Publish(MustCompile("authorization: {required_scopes: [read, write]}"));
  ASSERT_TRUE(reader->Read(&snapshot));
  EXPECT_EQ(snapshot.version(), 2u);
  EXPECT_THAT(snapshot.scopes_supported(), ElementsAre("read", "write"));
  store_.Publish(MustCompile("{}"));
  ASSERT_TRUE(reader->Read(&snapshot));
  EXPECT_EQ(snapshot.version(), 3u);

  // The caller leaves: the server side notices within its check interval.
  context.TryCancel();
  EXPECT_FALSE(reader->Read(&snapshot));
  reader->Finish();
  EXPECT_TRUE(test::WaitFor([&] { return MetricValue(registry_, "mcpauth_policy_watch_streams") == 0; },
                            absl::Seconds(10)));
}

TEST_F(ScopePolicyServiceTest, ShutdownEndsOpenWatchStreams) {
  grpc::ClientContext context;
  auto reader = stub_->WatchPolicy(&context, v1::WatchPolicyRequest());
  v1::PolicySnapshot snapshot;
  ASSERT_TRUE(reader->Read(&snapshot));
  // A deadline already passed: in-flight calls are cancelled at once, and the
  // stream's loop must notice (a loop that ignored cancellation would hang here).
  server_->Shutdown(std::chrono::system_clock::now());
  EXPECT_FALSE(reader->Read(&snapshot));
  reader->Finish();
}

}  // namespace
}  // namespace mcpauth::sp
