// mcpauth-scope-policy as operators run it: the real binary, the suite's YAML with
// a policy_file, decisions over gRPC on loopback. The policy file is rewritten in
// place and swapped the way Kubernetes updates a mounted ConfigMap, and the running
// service's decisions follow; a broken file leaves the last good policy in force.
//
// Each test starts its own service (one process per test, stopped by PID when the
// test ends). Reloads are observed by bounded polling: the service looks at the
// file every second and applies a change once it has read it unchanged twice.
#include <signal.h>

#include <iostream>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "mcpauth/v1/scope_policy.grpc.pb.h"
#include "services/common/strings.h"
#include "tests/scope_policy/configmap_dir.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth::sp {
namespace {

using test::Binary;
using test::ChildProcess;
using test::GrpcHealthServing;
using test::LogTail;
using test::TempDir;
using test::WaitFor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Bound on waiting for a reload (the service polls every second and settles for one more).
const absl::Duration kReloadTimeout = absl::Seconds(20);
const absl::Duration kPollInterval = absl::Milliseconds(100);

constexpr char kPolicyV1[] = R"(authorization:
  required_scopes: [read]
tools:
  delete_file: {required_scopes: [files:delete]}
  "admin_*": {required_scopes: [admin]}
resources:
  "file:///secret/*": {required_scopes: [secrets:read]}
policy:
  unknown_tool: allow
)";
// delete_file now needs files:admin; unknown tools are denied.
constexpr char kPolicyV2[] = R"(authorization:
  required_scopes: [read]
tools:
  delete_file: {required_scopes: [files:admin]}
  "admin_*": {required_scopes: [admin]}
policy:
  unknown_tool: deny
)";
// delete_file needs nothing beyond the server level.
constexpr char kPolicyV3[] = R"(authorization:
  required_scopes: [read]
tools:
  delete_file: {required_scopes: []}
)";
constexpr char kConflicting[] = R"(authorization:
  required_scopes: [read]
tools:
  "admin_*": {required_scopes: [admin]}
  "*_admin": {required_scopes: [root]}
)";

// One running mcpauth-scope-policy with its own config file and a gRPC stub.
class ScopePolicyProcess : public test::ServiceProcess {
 public:
  // `policy_lines`: either "policy_file: PATH\n" or the policy itself.
  ScopePolicyProcess(const TempDir& dir, const std::string& name, const std::string& policy_lines)
      : ServiceProcess(dir, name, "mcpauth-scope-policy", policy_lines, "scope_policy") {}

  absl::Status Start() {
    absl::Status started = ServiceProcess::Start();
    if (started.ok()) stub_ = v1::ScopePolicy::NewStub(channel());
    return started;
  }

  v1::AuthorizeResponse Authorize(const std::vector<std::string>& scopes, const std::string& method,
                                  const std::string& target) {
    v1::AuthorizeRequest request;
    for (const std::string& s : scopes) request.mutable_principal()->add_scopes(s);
    request.set_method(method);
    request.set_target(target);
    v1::AuthorizeResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::Status status = stub_->Authorize(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    return response;
  }

  // Whether a caller holding `scopes` may call tool `tool`.
  bool ToolAllowed(const std::vector<std::string>& scopes, const std::string& tool) {
    return Authorize(scopes, "tools/call", tool).allowed();
  }

  v1::PolicySnapshot GetPolicy() {
    v1::PolicySnapshot snapshot;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::Status status = stub_->GetPolicy(&context, v1::GetPolicyRequest(), &snapshot);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return snapshot;
  }

  // -1 when the sample is missing or the endpoint cannot be read.
  double Metric(const std::string& sample) const { return ServiceProcess::Metric(sample).value_or(-1); }

  v1::ScopePolicy::Stub* stub() { return stub_.get(); }

 private:
  std::unique_ptr<v1::ScopePolicy::Stub> stub_;
};

class ScopePolicyIntegrationTest : public ::testing::Test {
 protected:
  // Starts a service whose policy_file is `policy_path` (relative to the config's directory, or absolute).
  void StartService(const std::string& policy_path) {
    service_ = std::make_unique<ScopePolicyProcess>(dir_, "scope-policy", StrCat("policy_file: ", policy_path, "\n"));
    absl::Status started = service_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override {
    if (HasFailure() && service_ != nullptr) {
      std::cerr << "--- scope-policy log (tail) ---\n" << LogTail(service_->LogText()) << "\n";
    }
    if (service_ != nullptr) {
      EXPECT_EQ(service_->Stop(), 0);
    }
  }

  TempDir dir_{"mcpauth-sp-integration"};
  std::unique_ptr<ScopePolicyProcess> service_;
};

TEST_F(ScopePolicyIntegrationTest, AuthorizesOverGrpcAndReportsHealth) {
  ASSERT_TRUE(test::WriteFile(dir_.File("policy.yaml"), kPolicyV1));
  StartService("policy.yaml");  // relative to the config file's directory
  ScopePolicyProcess& s = *service_;
  EXPECT_TRUE(GrpcHealthServing(s.address()));
  EXPECT_TRUE(GrpcHealthServing(s.address(), "mcpauth.v1.ScopePolicy"));

  v1::AuthorizeResponse r = s.Authorize({"read"}, "tools/call", "delete_file");
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.reason(), v1::DECISION_REASON_TARGET_SCOPES_MISSING);
  EXPECT_EQ(r.message(), "Tool \"delete_file\" requires scopes: ['files:delete']. Missing: ['files:delete']");
  EXPECT_EQ(r.challenge_scope(), "files:delete read");
  EXPECT_EQ(r.policy_version(), 1u);
  EXPECT_TRUE(s.ToolAllowed({"read", "files:delete"}, "delete_file"));
  EXPECT_TRUE(s.ToolAllowed({"read"}, "not_in_policy"));
  r = s.Authorize({"read"}, "resources/read", "file:///secret/k");
  EXPECT_EQ(r.message(), "Resource \"file:///secret/k\" requires scopes: ['secrets:read']. Missing: ['secrets:read']");

  const v1::PolicySnapshot snapshot = s.GetPolicy();
  EXPECT_EQ(snapshot.version(), 1u);
  EXPECT_THAT(snapshot.scopes_supported(), ElementsAre("read"));
  EXPECT_EQ(snapshot.policy().source(), dir_.File("policy.yaml"));
  EXPECT_EQ(snapshot.policy().tools_size(), 2);

  EXPECT_EQ(s.Metric(R"(mcpauth_policy_decisions_total{method="tools/call",result="target_scopes_missing"})"), 1);
  EXPECT_EQ(s.Metric(R"(mcpauth_policy_decisions_total{method="tools/call",result="allowed"})"), 2);
  EXPECT_EQ(s.Metric("mcpauth_policy_version"), 1);
}

TEST_F(ScopePolicyIntegrationTest, PlainRewriteChangesDecisionsAndBrokenFileIsRefused) {
  const std::string path = dir_.File("policy.yaml");
  ASSERT_TRUE(test::WriteFile(path, kPolicyV1));
  StartService(path);
  ScopePolicyProcess& s = *service_;
  ASSERT_TRUE(s.ToolAllowed({"read", "files:delete"}, "delete_file"));

  ASSERT_TRUE(test::WriteFile(path, kPolicyV2));
  EXPECT_TRUE(WaitFor([&] { return s.ToolAllowed({"read", "files:admin"}, "delete_file"); }, kReloadTimeout,
                      kPollInterval));
  EXPECT_FALSE(s.ToolAllowed({"read", "files:delete"}, "delete_file"));
  v1::AuthorizeResponse r = s.Authorize({"read"}, "tools/call", "not_in_policy");
  EXPECT_EQ(r.reason(), v1::DECISION_REASON_UNKNOWN_TOOL);
  EXPECT_EQ(r.policy_version(), 2u);
  EXPECT_EQ(s.Metric(R"(mcpauth_policy_reloads_total{result="success"})"), 1);
  EXPECT_EQ(s.Metric("mcpauth_policy_version"), 2);

  // A broken policy: refused, counted, logged with the file and the key; the old one stays.
  ASSERT_TRUE(test::WriteFile(path, kConflicting));
  EXPECT_TRUE(WaitFor([&] { return s.Metric(R"(mcpauth_policy_reloads_total{result="invalid"})") >= 1; },
                      kReloadTimeout, kPollInterval));
  EXPECT_TRUE(s.ToolAllowed({"read", "files:admin"}, "delete_file"));
  EXPECT_FALSE(s.ToolAllowed({"read", "files:delete"}, "delete_file"));
  EXPECT_EQ(s.Authorize({"read"}, "tools/call", "x").policy_version(), 2u);
  EXPECT_EQ(s.Metric("mcpauth_policy_version"), 2);
  EXPECT_EQ(s.GetPolicy().version(), 2u);
  const std::string log = s.LogText();
  EXPECT_THAT(log, HasSubstr(R"("msg":"policy reload refused; the policy in force stays")"));
  EXPECT_THAT(log, HasSubstr(StrCat(R"("file":")", path, R"(")")));
  EXPECT_THAT(log, HasSubstr(R"(tools.*_admin: conflicts with tools.admin_*)"));

  // Fixed again: applied.
  ASSERT_TRUE(test::WriteFile(path, kPolicyV3));
  EXPECT_TRUE(WaitFor([&] { return s.ToolAllowed({"read"}, "delete_file"); }, kReloadTimeout, kPollInterval));
  EXPECT_EQ(s.GetPolicy().version(), 3u);
  EXPECT_EQ(s.Metric(R"(mcpauth_policy_reloads_total{result="invalid"})"), 1);
}

TEST_F(ScopePolicyIntegrationTest, KubernetesConfigMapSymlinkSwapChangesDecisions) {
  const std::string mount = dir_.File("configmap");
  ASSERT_EQ(::mkdir(mount.c_str(), 0755), 0);
  testing::ConfigMapDir configmap(mount);
  ASSERT_TRUE(configmap.Publish(kPolicyV1));
  StartService(configmap.path());
  ScopePolicyProcess& s = *service_;
  ASSERT_TRUE(s.ToolAllowed({"read", "files:delete"}, "delete_file"));

  ASSERT_TRUE(configmap.Publish(kPolicyV2));  // ..data swapped with rename(2)
  EXPECT_TRUE(WaitFor([&] { return s.ToolAllowed({"read", "files:admin"}, "delete_file"); }, kReloadTimeout,
                      kPollInterval));
  EXPECT_FALSE(s.ToolAllowed({"read", "files:delete"}, "delete_file"));
  EXPECT_THAT(s.LogText(), HasSubstr("..2026_11_26_2/policy.yaml"));  // the resolved file is logged

  // A broken ConfigMap update is refused like a broken file.
  ASSERT_TRUE(configmap.Publish(kConflicting));
  EXPECT_TRUE(WaitFor([&] { return s.Metric(R"(mcpauth_policy_reloads_total{result="invalid"})") >= 1; },
                      kReloadTimeout, kPollInterval));
  EXPECT_TRUE(s.ToolAllowed({"read", "files:admin"}, "delete_file"));

  ASSERT_TRUE(configmap.Publish(kPolicyV3));
  EXPECT_TRUE(WaitFor([&] { return s.ToolAllowed({"read"}, "delete_file"); }, kReloadTimeout, kPollInterval));
  EXPECT_EQ(s.GetPolicy().version(), 3u);
  EXPECT_EQ(s.Metric(R"(mcpauth_policy_reloads_total{result="success"})"), 2);
}

TEST_F(ScopePolicyIntegrationTest, WatchPolicyStreamsTheNewVersion) {
  const std::string path = dir_.File("policy.yaml");
  ASSERT_TRUE(test::WriteFile(path, kPolicyV1));
  StartService(path);
  ScopePolicyProcess& s = *service_;

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kReloadTimeout + absl::Seconds(10)));
  auto reader = s.stub()->WatchPolicy(&context, v1::WatchPolicyRequest());
  v1::PolicySnapshot snapshot;
  ASSERT_TRUE(reader->Read(&snapshot));
  EXPECT_EQ(snapshot.version(), 1u);
  EXPECT_EQ(snapshot.policy().tools(0).required_scopes(0), "files:delete");
  const std::string first_digest = snapshot.digest();
  EXPECT_TRUE(WaitFor([&] { return s.Metric("mcpauth_policy_watch_streams") == 1; }, kReloadTimeout, kPollInterval));

  ASSERT_TRUE(test::WriteFile(path, kPolicyV2));
  ASSERT_TRUE(reader->Read(&snapshot));  // blocks until the reload (bounded by the deadline)
  EXPECT_EQ(snapshot.version(), 2u);
  EXPECT_EQ(snapshot.policy().tools(0).required_scopes(0), "files:admin");
  EXPECT_EQ(snapshot.policy().unknown_tool(), v1::UNKNOWN_TOOL_DENY);
  EXPECT_NE(snapshot.digest(), first_digest);

  context.TryCancel();
  reader->Finish();
}

TEST_F(ScopePolicyIntegrationTest, PolicyInTheMainConfigWorksWithoutAFile) {
  service_ = std::make_unique<ScopePolicyProcess>(dir_, "inline", kPolicyV1);
  absl::Status started = service_->Start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_FALSE(service_->ToolAllowed({"read"}, "delete_file"));
  EXPECT_EQ(service_->GetPolicy().policy().source(), "config");
  EXPECT_THAT(service_->LogText(), HasSubstr(R"("hot_reload":false)"));
}

TEST_F(ScopePolicyIntegrationTest, SigtermShutsDownGracefully) {
  ASSERT_TRUE(test::WriteFile(dir_.File("policy.yaml"), kPolicyV1));
  StartService(dir_.File("policy.yaml"));
  ScopePolicyProcess& s = *service_;
  ASSERT_TRUE(s.Authorize({"read"}, "tools/list", "").allowed());
  ASSERT_TRUE(s.process()->Signal(SIGTERM));
  EXPECT_EQ(s.process()->WaitForExit(absl::Seconds(15)), 0) << LogTail(s.LogText());
  EXPECT_THAT(s.LogText(), HasSubstr(R"("msg":"stopped")"));
  EXPECT_FALSE(GrpcHealthServing(s.address(), "", absl::Milliseconds(300)));
}

// A policy that cannot be loaded at start is a configuration error: exit 2 and
// one line naming the file and the key.
TEST_F(ScopePolicyIntegrationTest, BadPolicyFileAtStartExitsWithCode2) {
  struct Case {
    std::string name, content, expected;
  };
  const Case cases[] = {
      {"conflict", kConflicting, "tools.*_admin: conflicts with tools.admin_*"},
      {"unknown-key", "tools: {delete_file: {required_scope: [x]}}\n", "tools.delete_file.required_scope: unknown key"},
      {"empty-scope", "tools: {delete_file: {required_scopes: ['']}}\n", "tools.delete_file.required_scopes[0]: "},
  };
  for (const Case& c : cases) {
    const std::string policy = dir_.File(c.name + "-policy.yaml");
    ASSERT_TRUE(test::WriteFile(policy, c.content));
    const std::string config = dir_.File(c.name + ".yaml");
    ASSERT_TRUE(test::WriteFile(config, StrCat("policy_file: ", policy, "\n")));
    auto process = ChildProcess::Start({.argv = {Binary("mcpauth-scope-policy"), "--config", config},
                                        .log_path = dir_.File(c.name + ".log"),
                                        .stderr_path = dir_.File(c.name + ".stderr")});
    ASSERT_TRUE(process.ok()) << process.status();
    EXPECT_EQ((*process)->WaitForExit(absl::Seconds(15)), 2) << c.name;
    const std::string stderr_text = (*process)->StderrText();
    const std::vector<std::string_view> lines = SplitSkipEmpty(stderr_text, '\n');
    ASSERT_EQ(lines.size(), 1u) << stderr_text;
    EXPECT_THAT(std::string(lines[0]), HasSubstr(policy)) << c.name;
    EXPECT_THAT(std::string(lines[0]), HasSubstr(c.expected)) << c.name;
  }

  const std::string config = dir_.File("missing.yaml");
  ASSERT_TRUE(test::WriteFile(config, "policy_file: /nonexistent/policy.yaml\n"));
  auto process = ChildProcess::Start({.argv = {Binary("mcpauth-scope-policy"), "--config", config},
                                      .log_path = dir_.File("missing.log"),
                                      .stderr_path = dir_.File("missing.stderr")});
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->WaitForExit(absl::Seconds(15)), 2);
  EXPECT_THAT((*process)->StderrText(), HasSubstr("policy_file: /nonexistent/policy.yaml: cannot open"));
}

}  // namespace
}  // namespace mcpauth::sp
