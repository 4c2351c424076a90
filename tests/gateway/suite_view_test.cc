// The gateway's view of the suite follows scope-policy's one WatchPolicy stream: the
// policy and the metadata built with its server-level scopes change together.
#include "gateway/suite_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/scope_policy/service.h"
#include "tests/fakes/in_process_grpc.h"
#include "tests/support/wait_for.h"

namespace mcpauth::gw {
namespace {

using ::testing::ElementsAre;

std::shared_ptr<const sp::CompiledPolicy> MustCompile(std::string_view yaml) {
  auto policy = sp::CompilePolicyText(yaml, "test");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

SuiteConfig Config(std::string_view yaml) { return ParseSuiteConfig(YAML::Load(std::string(yaml))); }

constexpr char kWithPolicyFile[] = R"(
resource: https://mcp.example.com/mcp
policy_file: /nonexistent/policy.yaml
authorization: {enabled: true}
)";

class SuiteViewTest : public ::testing::Test {
 protected:
  prometheus::Registry registry_;
  sp::ScopePolicyMetrics metrics_{registry_};
  sp::PolicyStore store_{MustCompile("authorization: {required_scopes: [mcp:use]}")};
  sp::ScopePolicyService service_{&store_, &metrics_, {.watch_check_interval = absl::Milliseconds(50)}};
  testing::InProcessGrpc grpc_{&service_};
};

TEST_F(SuiteViewTest, WithPolicyFileWaitsForScopePolicyThenFollowsIt) {
  SuiteView view(Config(kWithPolicyFile));
  EXPECT_FALSE(view.ready());  // the gateway never reads policy_file itself
  view.Start(grpc_.channel());
  ASSERT_TRUE(test::WaitFor([&] { return view.ready(); }, absl::Seconds(10)));
  auto first = view.current();
  EXPECT_EQ(first->policy_version, 1u);
  EXPECT_THAT(first->policy->source().required_scopes(), ElementsAre("mcp:use"));
  EXPECT_THAT(first->metadata->challenge.required_scopes, ElementsAre("mcp:use"));

  store_.Publish(MustCompile("authorization: {required_scopes: [mcp:use, files:read]}"));
  ASSERT_TRUE(test::WaitFor([&] { return view.policy_version() == 2; }, absl::Seconds(10)));
  auto second = view.current();
  // One swap: the challenge scopes are the new policy's, never the old ones beside it.
  EXPECT_THAT(second->policy->source().required_scopes(), ElementsAre("mcp:use", "files:read"));
  EXPECT_THAT(second->metadata->challenge.required_scopes, ElementsAre("mcp:use", "files:read"));
  EXPECT_NE(second->metadata->version, first->metadata->version);
  view.Stop();
}

TEST_F(SuiteViewTest, APolicyInTheMainFileIsReadyAtOnceAndStillFollowsScopePolicy) {
  SuiteView view(Config(R"(
resource: https://mcp.example.com/mcp
authorization: {enabled: true, required_scopes: [local]}
)"));
  ASSERT_TRUE(view.ready());
  EXPECT_EQ(view.policy_version(), 0u);
  EXPECT_THAT(view.metadata()->challenge.required_scopes, ElementsAre("local"));
  view.Start(grpc_.channel());
  ASSERT_TRUE(test::WaitFor([&] { return view.policy_version() == 1; }, absl::Seconds(10)));
  EXPECT_THAT(view.metadata()->challenge.required_scopes, ElementsAre("mcp:use"));
}

TEST_F(SuiteViewTest, StopReturnsWhileTheStreamIsOpen) {
  SuiteView view(Config(kWithPolicyFile));
  view.Start(grpc_.channel());
  ASSERT_TRUE(test::WaitFor([&] { return view.ready(); }, absl::Seconds(10)));
  view.Stop();  // cancels the open stream; a follower that ignored it would hang here
  store_.Publish(MustCompile("authorization: {required_scopes: [later]}"));
  EXPECT_THAT(view.policy()->source().required_scopes(), ElementsAre("mcp:use"));
}

TEST(SuiteViewConfig, MetadataSettingsThatCannotMakeASnapshotAreAConfigError) {
  // The file parses (the algorithm list is checked where a snapshot is made), and
  // the gateway refuses it at start even though the policy is not known yet.
  const SuiteConfig config = Config(R"(
resource: https://mcp.example.com/mcp
policy_file: /nonexistent/policy.yaml
authorization: {dpop_algorithms: [HS256]}
)");
  EXPECT_THROW(SuiteView{config}, ConfigError);
}

}  // namespace
}  // namespace mcpauth::gw
