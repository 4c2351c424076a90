// PolicyConfig ⇄ mcpauth.v1.Policy, so the scope-policy service can ship the policy
// in force and the gateway can compile the very same policy on its side:
//   auto config = PolicyFromProto(snapshot.policy());
//   auto policy = CompiledPolicy::Compile(*config);
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "mcpauth/v1/scope_policy.pb.h"
#include "services/common/suite_config.h"
#include "services/scope_policy/decision.h"

namespace mcpauth::sp {

v1::Policy PolicyToProto(const PolicyConfig& config);
// Refuses unspecified enums (a sender that forgot a field must not get defaults).
// Rule paths are rebuilt as "tools.<pattern>" so Compile's errors still name keys.
absl::StatusOr<PolicyConfig> PolicyFromProto(const v1::Policy& proto);

// Hex SHA-256 of the deterministic serialization of `policy`.
std::string PolicyDigest(const v1::Policy& policy);

v1::ScopeStrategy ScopeStrategyToProto(ScopeStrategy strategy);
v1::TargetKind TargetKindToProto(TargetKind kind);
v1::DecisionReason DecisionReasonToProto(DecisionReason reason);
// nullopt for LIST_KIND_UNSPECIFIED and unknown values.
std::optional<ListKind> ListKindFromProto(v1::ListKind kind);

// Fills an AuthorizeResponse (all but policy_version) from `decision`.
void FillAuthorizeResponse(const Decision& decision, v1::AuthorizeResponse* response);

}  // namespace mcpauth::sp
