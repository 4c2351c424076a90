#include "services/scope_policy/policy_proto.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "services/common/file_watcher.h"
#include "services/common/strings.h"

namespace mcpauth::sp {
namespace {

void RulesToProto(const std::vector<ScopeRuleConfig>& rules,
                  google::protobuf::RepeatedPtrField<v1::ScopeRule>* out) {
  for (const ScopeRuleConfig& rule : rules) {
    v1::ScopeRule* r = out->Add();
    r->set_pattern(rule.pattern);
    for (const std::string& scope : rule.required_scopes) r->add_required_scopes(scope);
  }
}

std::vector<ScopeRuleConfig> RulesFromProto(const google::protobuf::RepeatedPtrField<v1::ScopeRule>& rules,
                                            std::string_view key) {
  std::vector<ScopeRuleConfig> out;
  out.reserve(rules.size());
  for (const v1::ScopeRule& r : rules) {
    out.push_back(ScopeRuleConfig{.pattern = r.pattern(),
                                  .required_scopes = {r.required_scopes().begin(), r.required_scopes().end()},
                                  .path = StrCat(key, ".", r.pattern())});
  }
  return out;
}

}  // namespace

v1::ScopeStrategy ScopeStrategyToProto(ScopeStrategy strategy) {
  switch (strategy) {
    case ScopeStrategy::kExact: return v1::SCOPE_STRATEGY_EXACT;
    case ScopeStrategy::kWildcard: return v1::SCOPE_STRATEGY_WILDCARD;
    case ScopeStrategy::kHierarchic: return v1::SCOPE_STRATEGY_HIERARCHIC;
  }
  return v1::SCOPE_STRATEGY_UNSPECIFIED;
}

v1::Policy PolicyToProto(const PolicyConfig& config) {
  v1::Policy p;
  for (const std::string& scope : config.required_scopes) p.add_required_scopes(scope);
  p.set_scope_strategy(ScopeStrategyToProto(config.scope_strategy));
  RulesToProto(config.tools, p.mutable_tools());
  RulesToProto(config.resources, p.mutable_resources());
  RulesToProto(config.prompts, p.mutable_prompts());
  p.set_list_filtering(config.list_filtering);
  p.set_unknown_tool(config.unknown_tool_allowed ? v1::UNKNOWN_TOOL_ALLOW : v1::UNKNOWN_TOOL_DENY);
  p.set_source(config.source);
  return p;
}

absl::StatusOr<PolicyConfig> PolicyFromProto(const v1::Policy& p) {
  PolicyConfig config;
  config.required_scopes.assign(p.required_scopes().begin(), p.required_scopes().end());
  switch (p.scope_strategy()) {
    case v1::SCOPE_STRATEGY_EXACT: config.scope_strategy = ScopeStrategy::kExact; break;
    case v1::SCOPE_STRATEGY_WILDCARD: config.scope_strategy = ScopeStrategy::kWildcard; break;
    case v1::SCOPE_STRATEGY_HIERARCHIC: config.scope_strategy = ScopeStrategy::kHierarchic; break;
    default:
      return absl::InvalidArgumentError(
          StrCat("authorization.scope_strategy: unspecified or unknown value ", static_cast<int>(p.scope_strategy())));
  }
  switch (p.unknown_tool()) {
    case v1::UNKNOWN_TOOL_ALLOW: config.unknown_tool_allowed = true; break;
    case v1::UNKNOWN_TOOL_DENY: config.unknown_tool_allowed = false; break;
    default:
      return absl::InvalidArgumentError(
          StrCat("policy.unknown_tool: unspecified or unknown value ", static_cast<int>(p.unknown_tool())));
  }
  config.tools = RulesFromProto(p.tools(), "tools");
  config.resources = RulesFromProto(p.resources(), "resources");
  config.prompts = RulesFromProto(p.prompts(), "prompts");
  config.list_filtering = p.list_filtering();
  config.source = p.source();
  return config;
}

std::string PolicyDigest(const v1::Policy& policy) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    policy.SerializeToCodedStream(&coded);
  }
  return HexEncode(Sha256(bytes));
}

v1::TargetKind TargetKindToProto(TargetKind kind) {
  switch (kind) {
    case TargetKind::kTool: return v1::TARGET_KIND_TOOL;
    case TargetKind::kResource: return v1::TARGET_KIND_RESOURCE;
    case TargetKind::kPrompt: return v1::TARGET_KIND_PROMPT;
    case TargetKind::kNone: return v1::TARGET_KIND_NONE;
  }
  return v1::TARGET_KIND_NONE;
}

v1::DecisionReason DecisionReasonToProto(DecisionReason reason) {
  switch (reason) {
    case DecisionReason::kAllowed: return v1::DECISION_REASON_ALLOWED;
    case DecisionReason::kServerScopesMissing: return v1::DECISION_REASON_SERVER_SCOPES_MISSING;
    case DecisionReason::kTargetScopesMissing: return v1::DECISION_REASON_TARGET_SCOPES_MISSING;
    case DecisionReason::kUnknownTool: return v1::DECISION_REASON_UNKNOWN_TOOL;
    case DecisionReason::kTargetInvalid: return v1::DECISION_REASON_TARGET_INVALID;
  }
  return v1::DECISION_REASON_UNSPECIFIED;
}

std::optional<ListKind> ListKindFromProto(v1::ListKind kind) {
  switch (kind) {
    case v1::LIST_KIND_TOOLS: return ListKind::kTools;
    case v1::LIST_KIND_RESOURCES: return ListKind::kResources;
    case v1::LIST_KIND_PROMPTS: return ListKind::kPrompts;
    case v1::LIST_KIND_RESOURCE_TEMPLATES: return ListKind::kResourceTemplates;
    default: return std::nullopt;
  }
}

void FillAuthorizeResponse(const Decision& d, v1::AuthorizeResponse* response) {
  response->set_allowed(d.allowed);
  response->set_reason(DecisionReasonToProto(d.reason));
  response->set_target_kind(TargetKindToProto(d.target_kind));
  response->set_matched_rule(d.matched_rule);
  for (const std::string& s : d.required_scopes) response->add_required_scopes(s);
  for (const std::string& s : d.missing_scopes) response->add_missing_scopes(s);
  response->set_message(d.message);
  response->set_challenge_scope(d.challenge_scope);
}

}  // namespace mcpauth::sp
