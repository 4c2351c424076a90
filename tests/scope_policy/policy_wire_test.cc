// The policy on the wire (mcpauth.v1.Policy): what the gateway receives compiles
// into a policy that decides exactly as the service's does.
#include "services/scope_policy/decision.h"
#include "services/scope_policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpauth::sp {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

constexpr char kPolicy[] = R"(
authorization:
  required_scopes: [read, mcp]
  scope_strategy: wildcard
tools:
  delete_file: {required_scopes: [files:delete]}
  "admin_*": {required_scopes: [admin, "it's"]}
  open_tool: {required_scopes: []}
resources:
  "file:///secret/*": {required_scopes: [secrets:read]}
prompts:
  deploy: {required_scopes: [deploy]}
policy:
  list_filtering: true
  unknown_tool: deny
)";

std::shared_ptr<const CompiledPolicy> MustCompile(std::string_view yaml) {
  auto policy = CompilePolicyText(yaml, "/etc/mcpauth/policy.yaml");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

TEST(PolicyWireTest, CarriesEveryField) {
  auto policy = MustCompile(kPolicy);
  ASSERT_NE(policy, nullptr);
  const v1::Policy& p = policy->source();
  EXPECT_THAT(p.required_scopes(), ElementsAre("read", "mcp"));
  EXPECT_EQ(p.scope_strategy(), v1::SCOPE_STRATEGY_WILDCARD);
  ASSERT_EQ(p.tools_size(), 3);
  EXPECT_EQ(p.tools(0).pattern(), "delete_file");  // file order
  EXPECT_EQ(p.tools(1).pattern(), "admin_*");
  EXPECT_THAT(p.tools(1).required_scopes(), ElementsAre("admin", "it's"));
  EXPECT_EQ(p.tools(2).required_scopes_size(), 0);
  ASSERT_EQ(p.resources_size(), 1);
  EXPECT_EQ(p.resources(0).pattern(), "file:///secret/*");
  ASSERT_EQ(p.prompts_size(), 1);
  EXPECT_TRUE(p.list_filtering());
  EXPECT_EQ(p.unknown_tool(), v1::UNKNOWN_TOOL_DENY);
  EXPECT_EQ(p.source(), "/etc/mcpauth/policy.yaml");
}

TEST(PolicyWireTest, RoundTripThroughTheWireDecidesTheSame) {
  auto original = MustCompile(kPolicy);
  ASSERT_NE(original, nullptr);
  const std::string wire = original->source().SerializeAsString();
  v1::Policy received;
  ASSERT_TRUE(received.ParseFromString(wire));
  auto copy = CompiledPolicy::Compile(received);
  ASSERT_TRUE(copy.ok()) << copy.status();

  EXPECT_EQ((*copy)->source().SerializeAsString(), wire);
  EXPECT_EQ((*copy)->Digest(), original->Digest());
  EXPECT_EQ((*copy)->rules(v1::TARGET_KIND_TOOL).rules()[1].path, "tools.admin_*");
  const std::vector<std::vector<std::string>> callers = {
      {}, {"read", "mcp"}, {"read", "mcp", "files:*"}, {"*"}, {"read", "mcp", "admin"}, {"read", "mcp", "admin", "it's"}};
  const std::vector<std::pair<std::string, std::string>> operations = {
      {"tools/call", "delete_file"}, {"tools/call", "admin_x"},         {"tools/call", "open_tool"},
      {"tools/call", "unknown"},     {"resources/read", "file:///secret/k"}, {"prompts/get", "deploy"},
      {"initialize", ""}};
  for (const auto& held : callers) {
    for (bool anonymous : {false, true}) {
      for (const auto& [method, target] : operations) {
        const Decision a = Decide(*original, held, anonymous, method, target);
        const Decision b = Decide(**copy, held, anonymous, method, target);
        EXPECT_EQ(a.allowed, b.allowed) << method << " " << target;
        EXPECT_EQ(a.reason, b.reason);
        EXPECT_EQ(a.message, b.message);
        EXPECT_EQ(a.challenge_scope, b.challenge_scope);
        EXPECT_EQ(a.missing_scopes, b.missing_scopes);
      }
    }
  }
  EXPECT_TRUE((*copy)->list_filtering());
  EXPECT_FALSE((*copy)->unknown_tool_allowed());
}

TEST(PolicyWireTest, UnspecifiedEnumsAreRefused) {
  v1::Policy p;
  p.set_unknown_tool(v1::UNKNOWN_TOOL_ALLOW);
  EXPECT_THAT(std::string(CompiledPolicy::Compile(p).status().message()),
              StartsWith("authorization.scope_strategy: "));
  p.set_scope_strategy(static_cast<v1::ScopeStrategy>(42));
  EXPECT_THAT(std::string(CompiledPolicy::Compile(p).status().message()),
              StartsWith("authorization.scope_strategy: "));
  p.set_scope_strategy(v1::SCOPE_STRATEGY_HIERARCHIC);
  p.set_unknown_tool(v1::UNKNOWN_TOOL_UNSPECIFIED);
  EXPECT_THAT(std::string(CompiledPolicy::Compile(p).status().message()), StartsWith("policy.unknown_tool: "));
  p.set_unknown_tool(v1::UNKNOWN_TOOL_ALLOW);
  auto policy = CompiledPolicy::Compile(p);
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ((*policy)->strategy(), v1::SCOPE_STRATEGY_HIERARCHIC);
  EXPECT_TRUE((*policy)->unknown_tool_allowed());
}

TEST(PolicyWireTest, ABadPolicyFromTheWireIsRefusedNamingTheKey) {
  v1::Policy p;
  p.set_scope_strategy(v1::SCOPE_STRATEGY_EXACT);
  p.set_unknown_tool(v1::UNKNOWN_TOOL_ALLOW);
  v1::ScopeRule* a = p.add_tools();
  a->set_pattern("admin_*");
  a->add_required_scopes("admin");
  v1::ScopeRule* b = p.add_tools();
  b->set_pattern("*_admin");
  b->add_required_scopes("");
  EXPECT_THAT(std::string(CompiledPolicy::Compile(p).status().message()),
              StartsWith("tools.*_admin.required_scopes[0]: "));
  b->set_required_scopes(0, "root");
  EXPECT_THAT(std::string(CompiledPolicy::Compile(p).status().message()),
              StartsWith("tools.*_admin: conflicts with tools.admin_*"));
}

TEST(PolicyWireTest, DigestIdentifiesThePolicy) {
  auto a = MustCompile(kPolicy);
  auto b = MustCompile(std::string(kPolicy) + "# a comment changes nothing\n");
  auto c = MustCompile(std::string(kPolicy).replace(std::string(kPolicy).find("deploy]"), 7, "deploy, x]"));
  ASSERT_TRUE(a && b && c);
  const std::string digest = a->Digest();
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(b->Digest(), digest);
  EXPECT_NE(c->Digest(), digest);
}

}  // namespace
}  // namespace mcpauth::sp
