// Compiling policies: precedence among rules, and bad policies refused with a
// message that names the offending key.
#include "services/scope_policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/strings.h"

namespace mcpauth::sp {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::shared_ptr<const CompiledPolicy> MustCompile(std::string_view yaml) {
  auto policy = CompilePolicyText(yaml, "test");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

std::string ErrorOf(std::string_view yaml) {
  auto policy = CompilePolicyText(yaml, "test");
  if (policy.ok()) return "compiled";
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(policy.status().message());
}

std::string ErrorOf(v1::Policy source) {
  auto policy = CompiledPolicy::Compile(std::move(source));
  return policy.ok() ? "compiled" : std::string(policy.status().message());
}

// A policy as a sender builds it: exact strategy, unknown tools allowed, no rules.
v1::Policy NewPolicy() {
  v1::Policy p;
  p.set_scope_strategy(v1::SCOPE_STRATEGY_EXACT);
  p.set_unknown_tool(v1::UNKNOWN_TOOL_ALLOW);
  return p;
}

void AddRule(google::protobuf::RepeatedPtrField<v1::ScopeRule>* rules, std::string pattern,
             std::vector<std::string> scopes) {
  v1::ScopeRule* rule = rules->Add();
  rule->set_pattern(std::move(pattern));
  rule->mutable_required_scopes()->Assign(scopes.begin(), scopes.end());
}

std::string RuleFor(const CompiledPolicy& policy, TargetKind kind, std::string_view name) {
  const CompiledRule* rule = policy.rules(kind).Find(name);
  return rule == nullptr ? "(none)" : rule->pattern.text();
}

constexpr char kIssuePolicy[] = R"(
authorization:
  required_scopes: [read]
  scope_strategy: exact
tools:
  delete_file: {required_scopes: [files:delete]}
  "admin_*":   {required_scopes: [admin]}
resources:
  "file:///secret/*": {required_scopes: [secrets:read]}
prompts:
  deploy: {required_scopes: [deploy]}
policy:
  list_filtering: false
  unknown_tool: allow
)";

TEST(CompiledPolicyTest, CompilesTheIssuesExample) {
  auto p = MustCompile(kIssuePolicy);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->server_scopes(), std::vector<std::string>{"read"});
  EXPECT_EQ(p->strategy(), v1::SCOPE_STRATEGY_EXACT);
  EXPECT_FALSE(p->list_filtering());
  EXPECT_TRUE(p->unknown_tool_allowed());
  EXPECT_EQ(p->rules(v1::TARGET_KIND_TOOL).size(), 2u);
  EXPECT_EQ(p->rules(v1::TARGET_KIND_RESOURCE).size(), 1u);
  EXPECT_EQ(p->rules(v1::TARGET_KIND_PROMPT).size(), 1u);
  EXPECT_EQ(p->source().source(), "test");

  const CompiledRule* rule = p->rules(v1::TARGET_KIND_TOOL).Find("delete_file");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->path, "tools.delete_file");
  EXPECT_EQ(rule->rule_scopes, std::vector<std::string>{"files:delete"});
  EXPECT_EQ(rule->operation_scopes, (std::vector<std::string>{"files:delete", "read"}));
  EXPECT_EQ(rule->challenge_scope, "files:delete read");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, "admin_users"), "admin_*");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, "read_file"), "(none)");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_RESOURCE, "file:///secret/keys/a.pem"), "file:///secret/*");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_RESOURCE, "file:///public/a"), "(none)");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_PROMPT, "deploy"), "deploy");
  // Each kind has its own rules.
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_PROMPT, "delete_file"), "(none)");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_NONE, "delete_file"), "(none)");
}

TEST(CompiledPolicyTest, ScopesAreSortedAndDeduplicated) {
  auto p = MustCompile(R"(
authorization: {required_scopes: [read, admin, read]}
tools: {t: {required_scopes: [z, read, a, z]}}
)");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->server_scopes(), (std::vector<std::string>{"admin", "read"}));
  EXPECT_EQ(p->server_challenge_scope(), "admin read");
  const CompiledRule* rule = p->rules(v1::TARGET_KIND_TOOL).Find("t");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->rule_scopes, (std::vector<std::string>{"a", "read", "z"}));
  EXPECT_EQ(rule->challenge_scope, "a admin read z");
}

TEST(CompiledPolicyTest, ExactNameBeatsEveryPattern) {
  auto p = MustCompile(R"(
tools:
  "*": {required_scopes: [any]}
  "admin_*": {required_scopes: [admin]}
  "admin_audit_*": {required_scopes: [audit]}
  admin_audit_log: {required_scopes: []}
)");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, "admin_audit_log"), "admin_audit_log");
  EXPECT_EQ(p->rules(v1::TARGET_KIND_TOOL).Find("admin_audit_log")->rule_scopes, std::vector<std::string>{});
}

TEST(CompiledPolicyTest, MoreLiteralCharactersWin) {
  auto p = MustCompile(R"(
tools:
  "*": {required_scopes: [any]}
  "admin_*": {required_scopes: [admin]}
  "*_readonly": {required_scopes: [ro]}
  "admin_audit_*": {required_scopes: [audit]}
resources:
  "file:///*": {required_scopes: [files]}
  "file:///secret/*": {required_scopes: [secrets]}
  "*.pem": {required_scopes: [keys]}
)");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, "list"), "*");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, ""), "*");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, "admin_users"), "admin_*");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, "admin_audit_x"), "admin_audit_*");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, "db_readonly"), "*_readonly");
  // "admin_*" (6 literal characters) and "*_readonly" (9) both match; 9 wins.
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, "admin_readonly"), "*_readonly");
  // 13 beats 9.
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_TOOL, "admin_audit_readonly"), "admin_audit_*");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_RESOURCE, "file:///secret/a.pem"), "file:///secret/*");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_RESOURCE, "file:///home/a.pem"), "file:///*");
  EXPECT_EQ(RuleFor(*p, v1::TARGET_KIND_RESOURCE, "https://x/a.pem"), "*.pem");
}

TEST(CompiledPolicyTest, ManyRulesAreFoundByIndex) {
  v1::Policy config = NewPolicy();
  for (int i = 0; i < 5000; ++i) {
    AddRule(config.mutable_tools(), StrCat("tool_", i), {StrCat("s", i)});
    AddRule(config.mutable_tools(), StrCat("group_", i, "_*"), {StrCat("g", i)});
  }
  auto p = CompiledPolicy::Compile(config);
  ASSERT_TRUE(p.ok()) << p.status();
  for (int i = 0; i < 5000; i += 7) {
    EXPECT_EQ(RuleFor(**p, v1::TARGET_KIND_TOOL, StrCat("tool_", i)), StrCat("tool_", i));
    EXPECT_EQ(RuleFor(**p, v1::TARGET_KIND_TOOL, StrCat("group_", i, "_x")), StrCat("group_", i, "_*"));
    EXPECT_EQ(RuleFor(**p, v1::TARGET_KIND_TOOL, StrCat("group_", i)), "(none)");
  }
  EXPECT_EQ(RuleFor(**p, v1::TARGET_KIND_TOOL, "tool_5000"), "(none)");
}

TEST(CompiledPolicyErrorsTest, UnknownKeysAreNamed) {
  EXPECT_EQ(ErrorOf("tool: {x: {required_scopes: [a]}}"), "tool: unknown key");
  EXPECT_EQ(ErrorOf("tools: {delete_file: {required_scope: [a]}}"), "tools.delete_file.required_scope: unknown key");
  EXPECT_EQ(ErrorOf("policy: {list_filter: true}"), "policy.list_filter: unknown key");
  // A policy file holds the policy and nothing else.
  EXPECT_EQ(ErrorOf("authorization: {enabled: true}"), "authorization.enabled: unknown key");
  EXPECT_EQ(ErrorOf("redis: {url: 'redis://x'}"), "redis: unknown key");
}

TEST(CompiledPolicyErrorsTest, BadValuesAreNamed) {
  EXPECT_EQ(ErrorOf("authorization: {scope_strategy: fuzzy}"),
            "authorization.scope_strategy: expected one of exact, wildcard, hierarchic, got \"fuzzy\"");
  EXPECT_EQ(ErrorOf("policy: {unknown_tool: maybe}"), "policy.unknown_tool: expected one of allow, deny, got \"maybe\"");
  EXPECT_EQ(ErrorOf("tools: {t: {required_scopes: files:delete}}"),
            "tools.t.required_scopes: expected a list of strings, got \"files:delete\"");
  EXPECT_THAT(ErrorOf("tools: [a, b]"), StartsWith("tools: expected a mapping"));
  EXPECT_THAT(ErrorOf("just a string"), HasSubstr("expected a mapping"));
}

TEST(CompiledPolicyErrorsTest, EmptyScopeStringsAreNamed) {
  EXPECT_THAT(ErrorOf("tools: {delete_file: {required_scopes: ['']}}"),
              StartsWith("tools.delete_file.required_scopes[0]: a scope must be non-empty"));
  EXPECT_THAT(ErrorOf("authorization: {required_scopes: [read, '']}"),
              StartsWith("authorization.required_scopes[1]: a scope must be non-empty"));
  EXPECT_THAT(ErrorOf("prompts: {deploy: {required_scopes: ['a b']}}"),
              StartsWith("prompts.deploy.required_scopes[0]: "));

  // The same checks hold for a policy that did not come from YAML (a proto).
  v1::Policy config = NewPolicy();
  AddRule(config.mutable_resources(), "file:///x", {"ok", ""});
  EXPECT_EQ(ErrorOf(config),
            "resources.file:///x.required_scopes[1]: a scope must be non-empty printable ASCII without spaces, "
            "quotes or backslashes (RFC 6749 §3.3)");
  config.clear_resources();
  AddRule(config.mutable_resources(), "file:///x", {"caf\xc3\xa9"});
  EXPECT_THAT(ErrorOf(config), StartsWith("resources.file:///x.required_scopes[0]: "));
  v1::Policy server = NewPolicy();
  server.add_required_scopes("read");
  server.add_required_scopes("wr ite");
  EXPECT_THAT(ErrorOf(server), StartsWith("authorization.required_scopes[1]: "));
  v1::Policy unnamed = NewPolicy();
  AddRule(unnamed.mutable_tools(), "", {"a"});
  EXPECT_EQ(ErrorOf(unnamed), "tools: a name or pattern must not be empty");
}

TEST(CompiledPolicyErrorsTest, ConflictingPatternsAreRefused) {
  EXPECT_EQ(ErrorOf(R"(
tools:
  "admin_*": {required_scopes: [admin]}
  "*_admin": {required_scopes: [root]}
)"),
            "tools.*_admin: conflicts with tools.admin_*: both patterns could match \"admin_admin\" with equal "
            "specificity (6 literal characters); make one of them more specific or give that name its own rule");
  EXPECT_THAT(ErrorOf(R"(
resources:
  "file:///a/*": {required_scopes: [a]}
  "file:///*/b": {required_scopes: [b]}
)"),
              StartsWith("resources.file:///*/b: conflicts with resources.file:///a/*: both patterns could match "
                         "\"file:///a/b\""));
  // Same specificity, same prefix.
  EXPECT_THAT(ErrorOf(R"(prompts: {"p*x*": {required_scopes: [a]}, "p**x": {required_scopes: [b]}})"),
              StartsWith("prompts.p**x: conflicts with prompts.p*x*: both patterns could match \"px\""));
  // Even when they require the same scopes: which rule governs must never be a guess.
  EXPECT_THAT(ErrorOf(R"(tools: {"a*": {required_scopes: [x]}, "*a": {required_scopes: [x]}})"),
              StartsWith("tools.*a: conflicts with tools.a*: both patterns could match \"a\""));
}

TEST(CompiledPolicyErrorsTest, PatternsThatCannotCollideAreAccepted) {
  // Equal specificity, but no name matches both.
  EXPECT_EQ(ErrorOf(R"(tools: {"read_*": {required_scopes: [a]}, "user_*": {required_scopes: [b]}})"), "compiled");
  EXPECT_EQ(ErrorOf(R"(tools: {"*_read": {required_scopes: [a]}, "*_user": {required_scopes: [b]}})"), "compiled");
  // Overlapping, but one is more specific.
  EXPECT_EQ(ErrorOf(R"(tools: {"admin_*": {required_scopes: [a]}, "*_admins": {required_scopes: [b]}})"),
            "compiled");
  // The same pattern under different kinds.
  EXPECT_EQ(ErrorOf(R"(tools: {"a*": {required_scopes: [x]}}
prompts: {"*a": {required_scopes: [y]}})"),
            "compiled");
}

TEST(CompiledPolicyErrorsTest, DuplicateRulesAreRefused) {
  v1::Policy config = NewPolicy();
  AddRule(config.mutable_tools(), "x", {"a"});
  AddRule(config.mutable_tools(), "x", {"b"});
  EXPECT_EQ(ErrorOf(config), "tools.x: appears more than once");
  config.clear_tools();
  AddRule(config.mutable_tools(), "x*", {"a"});
  AddRule(config.mutable_tools(), "x*", {"b"});
  EXPECT_EQ(ErrorOf(config), "tools.x*: appears more than once");
}

TEST(CompiledPolicyErrorsTest, BrokenAndEmptyDocuments) {
  EXPECT_THAT(ErrorOf("tools: {a: [}\n"), StartsWith("invalid YAML at line 1, column "));
  EXPECT_THAT(ErrorOf(""), StartsWith("the document is empty"));
  EXPECT_THAT(ErrorOf("# only a comment\n"), StartsWith("the document is empty"));
  EXPECT_EQ(ErrorOf("{}"), "compiled");
}

}  // namespace
}  // namespace mcpauth::sp
