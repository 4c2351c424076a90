// Decisions: may a caller holding these scopes perform this MCP operation under
// this policy? Pure functions of their arguments, so the service and the gateway
// (which evaluates its copy of the policy in-process) always agree.
//
// What an operation needs:
//   tools/call                                     the server-level scopes ∪ the tool's
//   resources/read, resources/subscribe,
//   resources/unsubscribe                          the server-level scopes ∪ the resource's
//   prompts/get                                    the server-level scopes ∪ the prompt's
//   any other method                               the server-level scopes
// The target's scopes come from the rule that governs it (pattern.h gives the
// precedence). A tool no rule names needs only the server-level scopes when
// policy.unknown_tool is allow, and is denied when it is deny; resources and
// prompts without a rule need only the server-level scopes.
//
// Server-level scopes are checked first. An anonymous caller (fail_open: no token
// could be validated) holds no scopes and is not held to the server-level scopes —
// fail_open already let it past that gate — but every target that requires scopes
// is denied to it.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "services/scope_policy/mcp_methods.h"
#include "services/scope_policy/policy.h"

namespace mcpauth::sp {

// Why a decision went the way it did: ALLOWED, SERVER_SCOPES_MISSING (the caller
// lacks server-level scopes), TARGET_SCOPES_MISSING (the scopes the tool, resource or
// prompt requires), UNKNOWN_TOOL (no rule names the tool and policy.unknown_tool is
// deny), TARGET_INVALID (a resource URI without a normal form while resource rules
// exist, resource_uri.h).
using DecisionReason = v1::DecisionReason;

struct Decision {
  bool allowed = false;
  DecisionReason reason = v1::DECISION_REASON_ALLOWED;
  TargetKind target_kind = v1::TARGET_KIND_NONE;
  // The exact name or pattern of the rule that governs the target; "" for none.
  std::string matched_rule;
  // Every scope the operation needs (server level ∪ target's), sorted, unique.
  std::vector<std::string> required_scopes;
  // Those the caller's scopes do not grant, sorted; empty when allowed.
  std::vector<std::string> missing_scopes;
  // For the caller; "" when allowed. For a tool (Dedalus MCP's denial text):
  //   Tool "delete_file" requires scopes: ['files:delete']. Missing: ['files:delete']
  // listing the tool's own scopes and those missing among them; "Resource" and
  // "Prompt" likewise; "Server requires scopes: [...]. Missing: [...]" for the
  // server level; for an unknown tool under deny:
  //   Tool "x" is not in the policy, and unknown tools are denied
  std::string message;
  // For a 403 insufficient_scope challenge (MCP 2025-11-25): required_scopes
  // joined by single spaces.
  std::string challenge_scope;
};

// The decision for `method` on `target` (ignored for methods without a target).
// Resource URIs are matched by their normal form (resource_uri.h); one without a
// normal form is kTargetInvalid when the policy has resource rules.
Decision Decide(const CompiledPolicy& policy, std::span<const std::string_view> caller_scopes, bool anonymous,
                std::string_view method, std::string_view target);
Decision Decide(const CompiledPolicy& policy, const std::vector<std::string>& caller_scopes, bool anonymous,
                std::string_view method, std::string_view target);

// The decision for a target named otherwise than by a method: a resource template
// (completion/complete's ref/resource, resources/templates/list) is matched as
// written against the resource rules, since a template is not a URI.
Decision DecideTarget(const CompiledPolicy& policy, std::span<const std::string_view> caller_scopes, bool anonymous,
                      TargetKind kind, std::string_view target, bool target_is_template = false);

// Decide(...).allowed, without building the explanation.
bool IsAllowed(const CompiledPolicy& policy, std::span<const std::string_view> caller_scopes, bool anonymous,
               std::string_view method, std::string_view target);

using ListKind = v1::ListKind;

// The names (tools, resource URIs or prompt names) the caller may use, in their
// original order. Filters whatever policy.list_filtering says: callers check
// CompiledPolicy::list_filtering() to decide whether to filter at all.
std::vector<std::string> FilterAllowed(const CompiledPolicy& policy, std::span<const std::string_view> caller_scopes,
                                       bool anonymous, ListKind kind, const std::vector<std::string>& names);

// Views of `scopes`, for the span overloads.
std::vector<std::string_view> ScopeViews(const std::vector<std::string>& scopes);

}  // namespace mcpauth::sp
