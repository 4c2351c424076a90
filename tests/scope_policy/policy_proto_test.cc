// PolicyConfig ⇄ mcpauth.v1.Policy: what the gateway receives compiles into a
// policy that decides exactly as the service's does.
#include "services/scope_policy/policy_proto.h"

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

TEST(PolicyProtoTest, CarriesEveryField) {
  auto policy = MustCompile(kPolicy);
  ASSERT_NE(policy, nullptr);
  const v1::Policy p = PolicyToProto(policy->config());
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

TEST(PolicyProtoTest, RoundTripThroughTheWireDecidesTheSame) {
  auto original = MustCompile(kPolicy);
  ASSERT_NE(original, nullptr);
  const std::string wire = PolicyToProto(original->config()).SerializeAsString();
  v1::Policy received;
  ASSERT_TRUE(received.ParseFromString(wire));
  auto config = PolicyFromProto(received);
  ASSERT_TRUE(config.ok()) << config.status();
  auto copy = CompiledPolicy::Compile(*config);
  ASSERT_TRUE(copy.ok()) << copy.status();

  EXPECT_EQ(PolicyToProto((*copy)->config()).SerializeAsString(), wire);
  EXPECT_EQ((*copy)->config().tools[1].path, "tools.admin_*");
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

TEST(PolicyProtoTest, UnspecifiedEnumsAreRefused) {
  v1::Policy p;
  p.set_unknown_tool(v1::UNKNOWN_TOOL_ALLOW);
  EXPECT_THAT(std::string(PolicyFromProto(p).status().message()), StartsWith("authorization.scope_strategy: "));
  p.set_scope_strategy(v1::SCOPE_STRATEGY_HIERARCHIC);
  p.set_unknown_tool(v1::UNKNOWN_TOOL_UNSPECIFIED);
  EXPECT_THAT(std::string(PolicyFromProto(p).status().message()), StartsWith("policy.unknown_tool: "));
  p.set_unknown_tool(v1::UNKNOWN_TOOL_ALLOW);
  auto config = PolicyFromProto(p);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->scope_strategy, ScopeStrategy::kHierarchic);
  EXPECT_TRUE(config->unknown_tool_allowed);
}

TEST(PolicyProtoTest, ABadPolicyFromTheWireIsRefusedNamingTheKey) {
  v1::Policy p;
  p.set_scope_strategy(v1::SCOPE_STRATEGY_EXACT);
  p.set_unknown_tool(v1::UNKNOWN_TOOL_ALLOW);
  v1::ScopeRule* a = p.add_tools();
  a->set_pattern("admin_*");
  a->add_required_scopes("admin");
  v1::ScopeRule* b = p.add_tools();
  b->set_pattern("*_admin");
  b->add_required_scopes("");
  auto config = PolicyFromProto(p);
  ASSERT_TRUE(config.ok());
  EXPECT_THAT(std::string(CompiledPolicy::Compile(*config).status().message()),
              StartsWith("tools.*_admin.required_scopes[0]: "));
  b->set_required_scopes(0, "root");
  config = PolicyFromProto(p);
  EXPECT_THAT(std::string(CompiledPolicy::Compile(*config).status().message()),
              StartsWith("tools.*_admin: conflicts with tools.admin_*"));
}

TEST(PolicyProtoTest, DigestIdentifiesThePolicy) {
  auto a = MustCompile(kPolicy);
  auto b = MustCompile(std::string(kPolicy) + "# a comment changes nothing\n");
  auto c = MustCompile(std::string(kPolicy).replace(std::string(kPolicy).find("deploy]"), 7, "deploy, x]"));
  ASSERT_TRUE(a && b && c);
  const std::string digest = PolicyDigest(PolicyToProto(a->config()));
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(PolicyDigest(PolicyToProto(b->config())), digest);
  EXPECT_NE(PolicyDigest(PolicyToProto(c->config())), digest);
}

TEST(PolicyProtoTest, AuthorizeResponseFromDecision) {
  auto policy = MustCompile(kPolicy);
  ASSERT_NE(policy, nullptr);
  const Decision d = Decide(*policy, std::vector<std::string>{"read", "mcp"}, false, "tools/call", "delete_file");
  v1::AuthorizeResponse r;
  FillAuthorizeResponse(d, &r);
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.reason(), v1::DECISION_REASON_TARGET_SCOPES_MISSING);
  EXPECT_EQ(r.target_kind(), v1::TARGET_KIND_TOOL);
  EXPECT_EQ(r.matched_rule(), "delete_file");
  EXPECT_THAT(r.required_scopes(), ElementsAre("files:delete", "mcp", "read"));
  EXPECT_THAT(r.missing_scopes(), ElementsAre("files:delete"));
  EXPECT_EQ(r.message(), "Tool \"delete_file\" requires scopes: ['files:delete']. Missing: ['files:delete']");
  EXPECT_EQ(r.challenge_scope(), "files:delete mcp read");
  EXPECT_EQ(ListKindFromProto(v1::LIST_KIND_PROMPTS), ListKind::kPrompts);
  EXPECT_EQ(ListKindFromProto(v1::LIST_KIND_UNSPECIFIED), std::nullopt);
  EXPECT_EQ(ListKindFromProto(static_cast<v1::ListKind>(42)), std::nullopt);
}

}  // namespace
}  // namespace mcpauth::sp
