// The compiled, immutable authorization policy: what Decide() evaluates.
//
// Built once from a v1::Policy (read from the suite's YAML or a policy_file, or
// received from the scope-policy service) and then only read, so a reload
// publishes a new CompiledPolicy and requests already holding the old one finish
// with it. Compile() refuses a policy that could be read two ways, naming the
// offending key:
//
//   tools.admin_*: conflicts with tools.*_admin: both patterns could match
//   "admin_admin" with equal specificity (6 literal characters)
//
// Precedence among rules of one kind (see pattern.h): an exact name beats every
// pattern; among patterns, more literal characters win; equal-specificity patterns
// that can match one name are refused.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "mcpauth/v1/scope_policy.pb.h"
#include "services/scope_policy/pattern.h"
#include "services/scope_policy/scope_grant.h"

namespace mcpauth::sp {

using TargetKind = v1::TargetKind;  // NONE, TOOL, RESOURCE, PROMPT

// "tools", "resources", "prompts" ("" for kNone): the policy's key for the kind.
std::string_view TargetKindKey(TargetKind kind);

// One rule of the policy, with what Decide() needs precomputed.
struct CompiledRule {
  NamePattern pattern;
  std::string path;                           // "tools.delete_file", for messages
  std::vector<std::string> rule_scopes;       // the rule's own, sorted, deduplicated
  std::vector<std::string> operation_scopes;  // server level ∪ rule's, sorted, deduplicated
  std::string challenge_scope;                // operation_scopes joined by ' '
};

// The rules of one kind, indexed: exact names by hash; patterns by their literal
// prefix, so a lookup costs a few hash probes however many rules there are.
class RuleSet {
 public:
  RuleSet() = default;
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;
  RuleSet(RuleSet&&) = default;
  RuleSet& operator=(RuleSet&&) = default;

  // The rule that governs `name`, or nullptr when none matches.
  const CompiledRule* Find(std::string_view name) const;
  size_t size() const { return rules_.size(); }
  const std::vector<CompiledRule>& rules() const { return rules_; }

 private:
  friend class PolicyCompiler;
  std::vector<CompiledRule> rules_;  // in policy order; never resized after indexing
  absl::flat_hash_map<std::string_view, const CompiledRule*> exact_;
  absl::flat_hash_map<std::string_view, std::vector<const CompiledRule*>> patterns_by_prefix_;
  std::vector<size_t> prefix_lengths_;  // distinct lengths of the keys above, ascending
};

class CompiledPolicy {
 public:
  // Validates and compiles `policy`. Errors start with the offending key's path
  // (as the YAML spells it, e.g. "tools.delete_file.required_scopes[0]"); an
  // unspecified or unknown enum is refused (a sender that forgot a field must not
  // get defaults).
  static absl::StatusOr<std::shared_ptr<const CompiledPolicy>> Compile(v1::Policy policy);

  CompiledPolicy(const CompiledPolicy&) = delete;
  CompiledPolicy& operator=(const CompiledPolicy&) = delete;

  // The policy as written (what the scope-policy service ships).
  const v1::Policy& source() const { return source_; }
  ScopeStrategy strategy() const { return source_.scope_strategy(); }
  bool list_filtering() const { return source_.list_filtering(); }
  bool unknown_tool_allowed() const { return source_.unknown_tool() == v1::UNKNOWN_TOOL_ALLOW; }
  // Hex SHA-256 of the policy's deterministic serialization: equal digests, equal
  // policies, whoever compiled them.
  std::string Digest() const;
  // Server-level required scopes, sorted, deduplicated.
  const std::vector<std::string>& server_scopes() const { return server_scopes_; }
  const std::string& server_challenge_scope() const { return server_challenge_scope_; }
  const RuleSet& rules(TargetKind kind) const;

 private:
  friend class PolicyCompiler;
  CompiledPolicy() = default;

  v1::Policy source_;
  std::vector<std::string> server_scopes_;
  std::string server_challenge_scope_;
  RuleSet tools_, resources_, prompts_, none_;
};

// Parses a policy document (the policy_file layout: authorization.required_scopes
// and scope_strategy, tools, resources, prompts, policy) and compiles it. `source`
// is recorded as the policy's origin. Errors: invalid YAML (with line and column),
// unknown keys, bad values and conflicts, each naming the key; an empty document
// is refused too (an empty policy would require nothing; write `{}` to mean it).
absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompilePolicyText(std::string_view text,
                                                                        const std::string& source);

}  // namespace mcpauth::sp
