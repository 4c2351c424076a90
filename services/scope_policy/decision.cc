#include "services/scope_policy/decision.h"

#include "services/common/strings.h"
#include "services/scope_policy/python_repr.h"
#include "services/scope_policy/resource_uri.h"
#include "services/scope_policy/scope_grant.h"

namespace mcpauth::sp {
namespace {

// The decision without its explanation; allocates nothing but a resource URI's
// normal form (only when the policy has resource rules). `invalid` says why a
// resource URI has no normal form.
DecisionReason Evaluate(const CompiledPolicy& policy, std::span<const std::string_view> held, bool anonymous,
                        TargetKind kind, std::string_view target, bool target_is_template,
                        const CompiledRule** rule_out, std::string* invalid = nullptr) {
  const RuleSet& rules = policy.rules(kind);
  const CompiledRule* rule = nullptr;
  bool target_invalid = false;
  if (kind == v1::TARGET_KIND_RESOURCE && rules.size() > 0 && !target_is_template) {
    absl::StatusOr<std::string> normal = NormalizeResourceUri(target);
    if (normal.ok()) {
      rule = rules.Find(*normal);
    } else {
      target_invalid = true;
      if (invalid != nullptr) *invalid = std::string(normal.status().message());
    }
  } else if (kind == v1::TARGET_KIND_RESOURCE && rules.size() > 0) {
    rule = rules.Find(NormalizeResourceTemplate(target));  // a template: matched as written, normalised around
  } else if (kind != v1::TARGET_KIND_NONE) {
    rule = rules.Find(target);
  }
  *rule_out = rule;
  if (!anonymous) {
    for (const std::string& scope : policy.server_scopes()) {
      if (!AnyGrants(policy.strategy(), held, scope)) return v1::DECISION_REASON_SERVER_SCOPES_MISSING;
    }
  }
  if (target_invalid) return v1::DECISION_REASON_TARGET_INVALID;
  if (kind == v1::TARGET_KIND_TOOL && rule == nullptr && !policy.unknown_tool_allowed()) {
    return v1::DECISION_REASON_UNKNOWN_TOOL;
  }
  if (rule != nullptr) {
    for (const std::string& scope : rule->rule_scopes) {
      if (anonymous || !AnyGrants(policy.strategy(), held, scope)) return v1::DECISION_REASON_TARGET_SCOPES_MISSING;
    }
  }
  return v1::DECISION_REASON_ALLOWED;
}

std::vector<std::string> Missing(const CompiledPolicy& policy, std::span<const std::string_view> held,
                                 bool anonymous, const std::vector<std::string>& required) {
  std::vector<std::string> missing;
  for (const std::string& scope : required) {
    if (anonymous || !AnyGrants(policy.strategy(), held, scope)) missing.push_back(scope);
  }
  return missing;
}

std::string_view TargetWord(TargetKind kind) {
  switch (kind) {
    case v1::TARGET_KIND_TOOL: return "Tool";
    case v1::TARGET_KIND_RESOURCE: return "Resource";
    case v1::TARGET_KIND_PROMPT: return "Prompt";
    default: return "Request";
  }
}

}  // namespace

Decision Decide(const CompiledPolicy& policy, std::span<const std::string_view> caller_scopes, bool anonymous,
                std::string_view method, std::string_view target) {
  return DecideTarget(policy, caller_scopes, anonymous, TargetKindOf(method), target);
}

Decision DecideTarget(const CompiledPolicy& policy, std::span<const std::string_view> caller_scopes, bool anonymous,
                      TargetKind kind, std::string_view target, bool target_is_template) {
  Decision d;
  d.target_kind = kind;
  const CompiledRule* rule = nullptr;
  std::string invalid;
  d.reason = Evaluate(policy, caller_scopes, anonymous, d.target_kind, target, target_is_template, &rule, &invalid);
  d.allowed = d.reason == v1::DECISION_REASON_ALLOWED;
  if (rule != nullptr) {
    d.matched_rule = rule->pattern.text();
    d.required_scopes = rule->operation_scopes;
    d.challenge_scope = rule->challenge_scope;
  } else {
    d.required_scopes = policy.server_scopes();
    d.challenge_scope = policy.server_challenge_scope();
  }
  if (d.allowed) return d;

  d.missing_scopes = Missing(policy, caller_scopes, anonymous, d.required_scopes);
  switch (d.reason) {
    case v1::DECISION_REASON_SERVER_SCOPES_MISSING:
      d.message = StrCat("Server requires scopes: ", PythonListRepr(policy.server_scopes()), ". Missing: ",
                         PythonListRepr(Missing(policy, caller_scopes, anonymous, policy.server_scopes())));
      break;
    case v1::DECISION_REASON_TARGET_SCOPES_MISSING:
      d.message = StrCat(TargetWord(d.target_kind), " \"", target, "\" requires scopes: ",
                         PythonListRepr(rule->rule_scopes), ". Missing: ",
                         PythonListRepr(Missing(policy, caller_scopes, anonymous, rule->rule_scopes)));
      break;
    case v1::DECISION_REASON_UNKNOWN_TOOL:
      d.message = StrCat("Tool \"", target, "\" is not in the policy, and unknown tools are denied");
      break;
    case v1::DECISION_REASON_TARGET_INVALID:
      d.message = StrCat(TargetWord(d.target_kind), " \"", target, "\" cannot be decided on: ", invalid);
      break;
    default:
      break;
  }
  return d;
}

Decision Decide(const CompiledPolicy& policy, const std::vector<std::string>& caller_scopes, bool anonymous,
                std::string_view method, std::string_view target) {
  const std::vector<std::string_view> views = ScopeViews(caller_scopes);
  return Decide(policy, views, anonymous, method, target);
}

bool IsAllowed(const CompiledPolicy& policy, std::span<const std::string_view> caller_scopes, bool anonymous,
               std::string_view method, std::string_view target) {
  const CompiledRule* rule = nullptr;
  return Evaluate(policy, caller_scopes, anonymous, TargetKindOf(method), target, false, &rule) ==
         v1::DECISION_REASON_ALLOWED;
}

std::vector<std::string> FilterAllowed(const CompiledPolicy& policy, std::span<const std::string_view> caller_scopes,
                                       bool anonymous, ListKind kind, const std::vector<std::string>& names) {
  const TargetKind target_kind = ItemKindOf(kind);
  const bool templates = kind == v1::LIST_KIND_RESOURCE_TEMPLATES;
  std::vector<std::string> allowed;
  for (const std::string& name : names) {
    const CompiledRule* rule = nullptr;
    if (Evaluate(policy, caller_scopes, anonymous, target_kind, name, templates, &rule) == v1::DECISION_REASON_ALLOWED) {
      allowed.push_back(name);
    }
  }
  return allowed;
}

std::vector<std::string_view> ScopeViews(const std::vector<std::string>& scopes) {
  return std::vector<std::string_view>(scopes.begin(), scopes.end());
}

}  // namespace mcpauth::sp
