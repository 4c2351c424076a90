// Decisions: strategies, precedence, the denial text, the challenge scope, the
// anonymous caller, unknown tools, methods without a target, list filtering.
#include "services/scope_policy/decision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/strings.h"

namespace mcpauth::sp {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Scopes = std::vector<std::string>;

std::shared_ptr<const CompiledPolicy> MustCompile(std::string_view yaml) {
  auto policy = CompilePolicyText(yaml, "test");
  if (!policy.ok()) {
    ADD_FAILURE() << policy.status();
    return nullptr;
  }
  return *policy;
}

constexpr char kPolicy[] = R"(
authorization:
  required_scopes: [read]
tools:
  delete_file: {required_scopes: [files:delete]}
  "admin_*": {required_scopes: [admin]}
  admin_audit: {required_scopes: [audit]}
  multi: {required_scopes: [zeta, alpha, mu]}
  quoted: {required_scopes: ["it's", plain]}
  public_tool: {required_scopes: []}
resources:
  "file:///secret/*": {required_scopes: [secrets:read]}
prompts:
  deploy: {required_scopes: [deploy]}
)";

class DecisionTest : public ::testing::Test {
 protected:
  std::shared_ptr<const CompiledPolicy> policy_ = MustCompile(kPolicy);
};

TEST_F(DecisionTest, SeedTextForADeniedTool) {
  const Decision d = Decide(*policy_, Scopes{"read"}, false, "tools/call", "delete_file");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, v1::DECISION_REASON_TARGET_SCOPES_MISSING);
  EXPECT_EQ(d.target_kind, v1::TARGET_KIND_TOOL);
  EXPECT_EQ(d.matched_rule, "delete_file");
  EXPECT_EQ(d.message, "Tool \"delete_file\" requires scopes: ['files:delete']. Missing: ['files:delete']");
  EXPECT_THAT(d.required_scopes, ElementsAre("files:delete", "read"));
  EXPECT_THAT(d.missing_scopes, ElementsAre("files:delete"));
  EXPECT_EQ(d.challenge_scope, "files:delete read");
}

TEST_F(DecisionTest, AllowedDecisionsCarryNoExplanation) {
  const Decision d = Decide(*policy_, Scopes{"read", "files:delete"}, false, "tools/call", "delete_file");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, v1::DECISION_REASON_ALLOWED);
  EXPECT_EQ(d.message, "");
  EXPECT_THAT(d.missing_scopes, IsEmpty());
  EXPECT_THAT(d.required_scopes, ElementsAre("files:delete", "read"));
  EXPECT_EQ(d.challenge_scope, "files:delete read");
}

TEST_F(DecisionTest, SeedTextListsAreSortedAndQuotedLikePython) {
  Decision d = Decide(*policy_, Scopes{"read", "mu"}, false, "tools/call", "multi");
  EXPECT_EQ(d.message, "Tool \"multi\" requires scopes: ['alpha', 'mu', 'zeta']. Missing: ['alpha', 'zeta']");
  EXPECT_THAT(d.missing_scopes, ElementsAre("alpha", "zeta"));
  EXPECT_EQ(d.challenge_scope, "alpha mu read zeta");

  // Python: sorted(["it's", "plain"]) == ["it's", "plain"]; repr → ["it's", 'plain'].
  d = Decide(*policy_, Scopes{"read"}, false, "tools/call", "quoted");
  EXPECT_EQ(d.message, "Tool \"quoted\" requires scopes: [\"it's\", 'plain']. Missing: [\"it's\", 'plain']");
  d = Decide(*policy_, Scopes{"read", "plain"}, false, "tools/call", "quoted");
  EXPECT_EQ(d.message, "Tool \"quoted\" requires scopes: [\"it's\", 'plain']. Missing: [\"it's\"]");
}

TEST_F(DecisionTest, ResourcesAndPrompts) {
  Decision d = Decide(*policy_, Scopes{"read"}, false, "resources/read", "file:///secret/db.key");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.target_kind, v1::TARGET_KIND_RESOURCE);
  EXPECT_EQ(d.matched_rule, "file:///secret/*");
  EXPECT_EQ(d.message,
            "Resource \"file:///secret/db.key\" requires scopes: ['secrets:read']. Missing: ['secrets:read']");
  EXPECT_EQ(d.challenge_scope, "read secrets:read");
  for (const char* method : {"resources/subscribe", "resources/unsubscribe"}) {
    EXPECT_FALSE(Decide(*policy_, Scopes{"read"}, false, method, "file:///secret/x").allowed) << method;
    EXPECT_TRUE(Decide(*policy_, Scopes{"read", "secrets:read"}, false, method, "file:///secret/x").allowed);
  }
  // A resource no rule names needs the server-level scopes only.
  d = Decide(*policy_, Scopes{"read"}, false, "resources/read", "file:///public/x");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.matched_rule, "");
  EXPECT_EQ(d.challenge_scope, "read");

  d = Decide(*policy_, Scopes{"read"}, false, "prompts/get", "deploy");
  EXPECT_EQ(d.target_kind, v1::TARGET_KIND_PROMPT);
  EXPECT_EQ(d.message, "Prompt \"deploy\" requires scopes: ['deploy']. Missing: ['deploy']");
  EXPECT_TRUE(Decide(*policy_, Scopes{"read", "deploy"}, false, "prompts/get", "deploy").allowed);
  // prompts/get of "delete_file" is the prompt of that name, not the tool.
  EXPECT_TRUE(Decide(*policy_, Scopes{"read"}, false, "prompts/get", "delete_file").allowed);
}

TEST_F(DecisionTest, ServerLevelScopesAreCheckedFirst) {
  Decision d = Decide(*policy_, Scopes{}, false, "tools/call", "delete_file");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, v1::DECISION_REASON_SERVER_SCOPES_MISSING);
  EXPECT_EQ(d.message, "Server requires scopes: ['read']. Missing: ['read']");
  EXPECT_THAT(d.missing_scopes, ElementsAre("files:delete", "read"));
  EXPECT_EQ(d.challenge_scope, "files:delete read");

  d = Decide(*policy_, Scopes{"files:delete"}, false, "tools/call", "delete_file");
  EXPECT_EQ(d.reason, v1::DECISION_REASON_SERVER_SCOPES_MISSING);
  EXPECT_THAT(d.missing_scopes, ElementsAre("read"));
}

TEST_F(DecisionTest, MethodsWithoutATargetNeedOnlyServerScopes) {
  for (const char* method : {"initialize", "tools/list", "resources/list", "prompts/list", "ping",
                             "notifications/initialized", "completion/complete"}) {
    Decision d = Decide(*policy_, Scopes{"read"}, false, method, "delete_file");
    EXPECT_TRUE(d.allowed) << method;
    EXPECT_EQ(d.target_kind, v1::TARGET_KIND_NONE);
    EXPECT_EQ(d.matched_rule, "");
    EXPECT_EQ(d.challenge_scope, "read");
    d = Decide(*policy_, Scopes{}, false, method, "");
    EXPECT_FALSE(d.allowed) << method;
    EXPECT_EQ(d.reason, v1::DECISION_REASON_SERVER_SCOPES_MISSING);
  }
}

TEST_F(DecisionTest, PatternPrecedence) {
  // admin_audit is named exactly: "admin_*" does not apply to it.
  Decision d = Decide(*policy_, Scopes{"read", "audit"}, false, "tools/call", "admin_audit");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.matched_rule, "admin_audit");
  d = Decide(*policy_, Scopes{"read", "audit"}, false, "tools/call", "admin_users");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.matched_rule, "admin_*");
  EXPECT_EQ(d.message, "Tool \"admin_users\" requires scopes: ['admin']. Missing: ['admin']");
  EXPECT_TRUE(Decide(*policy_, Scopes{"read", "admin"}, false, "tools/call", "admin_users").allowed);
}

TEST_F(DecisionTest, ToolNamesAppearAsSent) {
  // The name goes between double quotes as is (as Dedalus MCP writes it).
  auto p = MustCompile(R"(tools: {"*": {required_scopes: [x]}})");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Decide(*p, Scopes{}, false, "tools/call", "say \"hi\"").message,
            "Tool \"say \"hi\"\" requires scopes: ['x']. Missing: ['x']");
}

TEST(DecisionStrategyTest, EachStrategyGrantsWhatItShould) {
  struct Case {
    const char* strategy;
    Scopes held;
    bool allowed;
  };
  // Required: server "read", tool "files:delete".
  const Case cases[] = {
      {"exact", {"read", "files:delete"}, true},
      {"exact", {"read", "files:*"}, false},
      {"exact", {"read", "files"}, false},
      {"exact", {"*"}, false},
      {"wildcard", {"read", "files:*"}, true},
      {"wildcard", {"read", "files"}, false},
      {"wildcard", {"*"}, true},
      {"wildcard", {"read", "files:delete:*"}, false},
      {"wildcard", {"files:*"}, false},  // "read" is still missing
      {"hierarchic", {"read", "files"}, true},
      {"hierarchic", {"read:all", "files"}, false},  // below "read" does not grant "read"
      {"hierarchic", {"read", "files:*"}, false},
      {"hierarchic", {"read", "file"}, false},
  };
  for (const Case& c : cases) {
    auto p = MustCompile(std::string("authorization: {required_scopes: [read], scope_strategy: ") + c.strategy +
                         "}\ntools: {delete_file: {required_scopes: [files:delete]}}");
    ASSERT_NE(p, nullptr);
    const Decision d = Decide(*p, c.held, false, "tools/call", "delete_file");
    EXPECT_EQ(d.allowed, c.allowed) << c.strategy << " holding " << ::testing::PrintToString(c.held);
    EXPECT_EQ(IsAllowed(*p, ScopeViews(c.held), false, "tools/call", "delete_file"), c.allowed);
  }
}

TEST(DecisionStrategyTest, MissingScopesFollowTheStrategy) {
  auto p = MustCompile(R"(
authorization: {scope_strategy: hierarchic}
tools: {t: {required_scopes: [files:read, files:write, mail:send]}}
)");
  ASSERT_NE(p, nullptr);
  const Decision d = Decide(*p, Scopes{"files"}, false, "tools/call", "t");
  EXPECT_THAT(d.missing_scopes, ElementsAre("mail:send"));
  EXPECT_EQ(d.message,
            "Tool \"t\" requires scopes: ['files:read', 'files:write', 'mail:send']. Missing: ['mail:send']");
}

TEST_F(DecisionTest, AnonymousCallerHoldsNoScopes) {
  // fail_open: past the server-level gate, but every target that needs scopes is denied.
  Decision d = Decide(*policy_, Scopes{}, true, "tools/call", "delete_file");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, v1::DECISION_REASON_TARGET_SCOPES_MISSING);
  EXPECT_EQ(d.message, "Tool \"delete_file\" requires scopes: ['files:delete']. Missing: ['files:delete']");
  EXPECT_THAT(d.missing_scopes, ElementsAre("files:delete", "read"));
  // Scopes sent along with anonymous=true are ignored.
  d = Decide(*policy_, Scopes{"read", "files:delete"}, true, "tools/call", "delete_file");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.message, "Tool \"delete_file\" requires scopes: ['files:delete']. Missing: ['files:delete']");
  EXPECT_FALSE(Decide(*policy_, Scopes{}, true, "tools/call", "admin_x").allowed);
  EXPECT_FALSE(Decide(*policy_, Scopes{}, true, "resources/read", "file:///secret/x").allowed);
  EXPECT_FALSE(Decide(*policy_, Scopes{}, true, "prompts/get", "deploy").allowed);
  // Targets that need no scope of their own stay usable.
  d = Decide(*policy_, Scopes{}, true, "tools/call", "public_tool");
  EXPECT_TRUE(d.allowed);
  EXPECT_THAT(d.missing_scopes, IsEmpty());
  EXPECT_TRUE(Decide(*policy_, Scopes{}, true, "tools/call", "not_in_policy").allowed);
  EXPECT_TRUE(Decide(*policy_, Scopes{}, true, "tools/list", "").allowed);
  // An authenticated caller with no scopes is not anonymous: the server level applies.
  EXPECT_EQ(Decide(*policy_, Scopes{}, false, "tools/call", "public_tool").reason,
            v1::DECISION_REASON_SERVER_SCOPES_MISSING);
}

TEST(DecisionUnknownToolTest, AllowAndDeny) {
  auto allow = MustCompile("authorization: {required_scopes: [read]}\ntools: {known: {required_scopes: [k]}}");
  auto deny = MustCompile(
      "authorization: {required_scopes: [read]}\ntools: {known: {required_scopes: [k]}}\npolicy: {unknown_tool: deny}");
  ASSERT_NE(allow, nullptr);
  ASSERT_NE(deny, nullptr);

  Decision d = Decide(*allow, Scopes{"read"}, false, "tools/call", "mystery");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.matched_rule, "");
  EXPECT_EQ(d.challenge_scope, "read");

  d = Decide(*deny, Scopes{"read"}, false, "tools/call", "mystery");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, v1::DECISION_REASON_UNKNOWN_TOOL);
  EXPECT_EQ(d.message, "Tool \"mystery\" is not in the policy, and unknown tools are denied");
  EXPECT_THAT(d.missing_scopes, IsEmpty());  // no scope would help
  EXPECT_TRUE(Decide(*deny, Scopes{"read", "k"}, false, "tools/call", "known").allowed);
  EXPECT_FALSE(Decide(*deny, Scopes{}, true, "tools/call", "mystery").allowed);
  // Server-level scopes are still checked first.
  EXPECT_EQ(Decide(*deny, Scopes{}, false, "tools/call", "mystery").reason, v1::DECISION_REASON_SERVER_SCOPES_MISSING);
  // unknown_tool is about tools: unnamed resources and prompts are not denied.
  EXPECT_TRUE(Decide(*deny, Scopes{"read"}, false, "resources/read", "file:///x").allowed);
  EXPECT_TRUE(Decide(*deny, Scopes{"read"}, false, "prompts/get", "p").allowed);
}

TEST(DecisionTargetKindTest, Methods) {
  EXPECT_EQ(TargetKindOf("tools/call"), v1::TARGET_KIND_TOOL);
  EXPECT_EQ(TargetKindOf("resources/read"), v1::TARGET_KIND_RESOURCE);
  EXPECT_EQ(TargetKindOf("resources/subscribe"), v1::TARGET_KIND_RESOURCE);
  EXPECT_EQ(TargetKindOf("resources/unsubscribe"), v1::TARGET_KIND_RESOURCE);
  EXPECT_EQ(TargetKindOf("prompts/get"), v1::TARGET_KIND_PROMPT);
  EXPECT_EQ(TargetKindOf("tools/list"), v1::TARGET_KIND_NONE);
  EXPECT_EQ(TargetKindOf("Tools/Call"), v1::TARGET_KIND_NONE);  // JSON-RPC methods are case-sensitive
  EXPECT_EQ(TargetKindOf(""), v1::TARGET_KIND_NONE);
}

TEST(DecisionTargetKindTest, ListsAndTheMethodThatGovernsTheirItems) {
  EXPECT_EQ(ListKindOf("tools/list"), v1::LIST_KIND_TOOLS);
  EXPECT_EQ(ListKindOf("resources/list"), v1::LIST_KIND_RESOURCES);
  EXPECT_EQ(ListKindOf("resources/templates/list"), v1::LIST_KIND_RESOURCE_TEMPLATES);
  EXPECT_EQ(ListKindOf("prompts/list"), v1::LIST_KIND_PROMPTS);
  EXPECT_EQ(ListKindOf("tools/call"), std::nullopt);
  EXPECT_EQ(ListKindOf("Tools/List"), std::nullopt);
  EXPECT_EQ(ListItemMethod(v1::LIST_KIND_TOOLS), "tools/call");
  EXPECT_EQ(ListItemMethod(v1::LIST_KIND_RESOURCES), "resources/read");
  EXPECT_EQ(ListItemMethod(v1::LIST_KIND_RESOURCE_TEMPLATES), "resources/read");
  EXPECT_EQ(ListItemMethod(v1::LIST_KIND_PROMPTS), "prompts/get");
  EXPECT_EQ(ListItemMethod(v1::LIST_KIND_UNSPECIFIED), "");
  EXPECT_EQ(ListItemMethod(static_cast<v1::ListKind>(42)), "");
}

TEST_F(DecisionTest, FilterAllowedKeepsOrderAndUsesTheItemsDecision) {
  const std::vector<std::string> tools = {"public_tool", "delete_file", "admin_users", "other", "admin_audit"};
  const Scopes held = {"read", "audit"};
  EXPECT_THAT(FilterAllowed(*policy_, ScopeViews(held), false, v1::LIST_KIND_TOOLS, tools),
              ElementsAre("public_tool", "other", "admin_audit"));
  const Scopes more = {"read", "audit", "admin", "files:delete"};
  EXPECT_EQ(FilterAllowed(*policy_, ScopeViews(more), false, v1::LIST_KIND_TOOLS, tools), tools);
  // Without the server-level scope nothing is usable.
  EXPECT_THAT(FilterAllowed(*policy_, {}, false, v1::LIST_KIND_TOOLS, tools), IsEmpty());
  // Anonymous: only what needs no scope of its own.
  EXPECT_THAT(FilterAllowed(*policy_, {}, true, v1::LIST_KIND_TOOLS, tools), ElementsAre("public_tool", "other"));
  EXPECT_THAT(FilterAllowed(*policy_, ScopeViews(held), false, v1::LIST_KIND_RESOURCES,
                            {"file:///secret/a", "file:///public/b"}),
              ElementsAre("file:///public/b"));
  EXPECT_THAT(FilterAllowed(*policy_, ScopeViews(held), false, v1::LIST_KIND_PROMPTS, {"deploy", "summarize"}),
              ElementsAre("summarize"));
  EXPECT_THAT(FilterAllowed(*policy_, ScopeViews(held), false, v1::LIST_KIND_TOOLS, {}), IsEmpty());
}

TEST(DecisionFilterTest, UnknownToolsAreFilteredUnderDeny) {
  auto deny = MustCompile("tools: {known: {required_scopes: []}}\npolicy: {unknown_tool: deny, list_filtering: true}");
  ASSERT_NE(deny, nullptr);
  EXPECT_TRUE(deny->list_filtering());
  EXPECT_THAT(FilterAllowed(*deny, {}, false, v1::LIST_KIND_TOOLS, {"known", "unknown"}), ElementsAre("known"));
}

TEST_F(DecisionTest, IsAllowedAgreesWithDecide) {
  const std::vector<Scopes> callers = {{}, {"read"}, {"read", "files:delete"}, {"read", "admin", "audit"},
                                       {"read", "secrets:read", "deploy"}, {"admin"}};
  const std::vector<std::pair<const char*, const char*>> operations = {
      {"tools/call", "delete_file"},       {"tools/call", "admin_x"},     {"tools/call", "admin_audit"},
      {"tools/call", "nope"},              {"tools/call", "public_tool"}, {"resources/read", "file:///secret/a"},
      {"resources/read", "file:///other"}, {"prompts/get", "deploy"},     {"tools/list", ""}};
  for (const Scopes& held : callers) {
    for (bool anonymous : {false, true}) {
      for (const auto& [method, target] : operations) {
        EXPECT_EQ(IsAllowed(*policy_, ScopeViews(held), anonymous, method, target),
                  Decide(*policy_, held, anonymous, method, target).allowed)
            << method << " " << target;
      }
    }
  }
}

}  // namespace
}  // namespace mcpauth::sp

namespace mcpauth::sp {
namespace {

using ::testing::ElementsAre;
using Scopes = std::vector<std::string>;

// Issue 14 item 4: a rule on file:///secret/* let every other spelling through.
// Targets are matched by their normal form; spellings without one are refused
// whatever the caller holds, and only while resource rules exist.
TEST(ResourceDecisionTest, EverySpellingOfAGovernedUriIsGoverned) {
  auto policy = CompilePolicyText(R"(
authorization: {required_scopes: [read]}
resources:
  "FILE://localhost/secret/*": {required_scopes: [secrets:read]}
)",
                                  "test");
  ASSERT_TRUE(policy.ok()) << policy.status();
  const Scopes reader{"read"}, trusted{"read", "secrets:read"};
  for (std::string_view uri : {"file:///secret/key", "FILE:///secret/key", "file:///%73ecret/key",
                               "file:///public/../secret/key", "file://localhost/secret/key"}) {
    const Decision d = Decide(**policy, reader, false, "resources/read", uri);
    EXPECT_EQ(d.reason, v1::DECISION_REASON_TARGET_SCOPES_MISSING) << uri;
    EXPECT_EQ(d.matched_rule, "file:///secret/*") << uri;
    EXPECT_EQ(d.message, StrCat("Resource \"", uri, "\" requires scopes: ['secrets:read']. Missing: ['secrets:read']"));
    EXPECT_TRUE(Decide(**policy, trusted, false, "resources/read", uri).allowed) << uri;
  }
  for (std::string_view uri : {"file:////secret/key", "file:///public%2F..%2Fsecret/key", "file:///../secret/key",
                               "not a uri"}) {
    for (const Scopes& scopes : {reader, trusted}) {
      const Decision d = Decide(**policy, scopes, false, "resources/subscribe", uri);
      EXPECT_EQ(d.reason, v1::DECISION_REASON_TARGET_INVALID) << uri;
      EXPECT_THAT(d.message, ::testing::StartsWith(StrCat("Resource \"", uri, "\" cannot be decided on: "))) << uri;
    }
  }
  // Server-level scopes are still checked first.
  EXPECT_EQ(Decide(**policy, Scopes{}, false, "resources/read", "file:////x").reason,
            v1::DECISION_REASON_SERVER_SCOPES_MISSING);
  // Listing: equivalent spellings are filtered alike, unnormalisable ones hidden.
  EXPECT_THAT(FilterAllowed(**policy, ScopeViews(reader), false, v1::LIST_KIND_RESOURCES,
                            {"file:///public/a", "file:///%73ecret/b", "file:////secret/c", "FILE:///secret/d"}),
              ElementsAre("file:///public/a"));
  // Templates are matched as written (a template is not a URI).
  EXPECT_EQ(DecideTarget(**policy, ScopeViews(reader), false, v1::TARGET_KIND_RESOURCE, "file:///secret/{name}", true)
                .reason,
            v1::DECISION_REASON_TARGET_SCOPES_MISSING);
  EXPECT_TRUE(DecideTarget(**policy, ScopeViews(reader), false, v1::TARGET_KIND_RESOURCE, "file:///{path}", true).allowed);
  EXPECT_EQ(DecideTarget(**policy, ScopeViews(reader), false, v1::TARGET_KIND_RESOURCE, "file://localhost/secret/{f}",
                         true)
                .reason,
            v1::DECISION_REASON_TARGET_SCOPES_MISSING);
  EXPECT_THAT(FilterAllowed(**policy, ScopeViews(reader), false, v1::LIST_KIND_RESOURCE_TEMPLATES,
                            {"file:///{path}", "file:///secret/{name}"}),
              ElementsAre("file:///{path}"));
}

TEST(ResourceDecisionTest, WithoutResourceRulesNamesAreNotJudged) {
  auto policy = CompilePolicyText("authorization: {required_scopes: [read]}\n", "test");
  ASSERT_TRUE(policy.ok());
  EXPECT_TRUE(Decide(**policy, Scopes{"read"}, false, "resources/read", "config").allowed);
  EXPECT_TRUE(Decide(**policy, Scopes{"read"}, false, "resources/read", "file:////x").allowed);
}

TEST(ResourceDecisionTest, PatternsWithoutANormalFormAreConfigErrors) {
  auto policy = CompilePolicyText("resources:\n  \"file:////secret/*\": {required_scopes: [s]}\n", "test");
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message(),
            "resources.file:////secret/*: a resource URI must have a normal form (RFC 3986 §6), but its path has an "
            "empty segment (\"//\")");
  // Two spellings of one pattern are one rule twice.
  auto twice = CompilePolicyText(
      "resources:\n  \"file:///s/*\": {required_scopes: [a]}\n  \"FILE:///s/*\": {required_scopes: [b]}\n", "test");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(twice.status().message(), ::testing::HasSubstr("duplicates"));
}

}  // namespace
}  // namespace mcpauth::sp
