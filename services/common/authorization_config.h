// The `authorization` section, named after Dedalus MCP's AuthorizationConfig so its
// users find the keys they know. Token-validation reads the DPoP keys, the metadata
// service the challenge keys, the gateway the enforcement keys.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "mcpauth/v1/metadata.pb.h"
#include "mcpauth/v1/scope_policy.pb.h"

namespace mcpauth {

// scope_strategy (exact, wildcard, hierarchic) and scope_enforcement (auto, always,
// never): the proto enums, spelled in YAML by their labels (proto/enum_label.h).
using ScopeStrategy = v1::ScopeStrategy;
using ScopeEnforcement = v1::ScopeEnforcement;
enum class InsufficientScopeMode {
  kToolError,  // a denied tools/call is a JSON-RPC result with isError and the denial text
  kHttp403,    // a 403 insufficient_scope challenge the client can step up from
};

struct AuthorizationConfig {
  bool enabled = false;
  std::vector<std::string> authorization_servers = {"https://as.dedaluslabs.ai"};
  bool authorization_servers_set = false;  // written in the file, not the default
  std::vector<std::string> required_scopes;
  std::string metadata_path = "/.well-known/oauth-protected-resource";
  absl::Duration cache_ttl = absl::Seconds(300);
  bool fail_open = false;
  ScopeEnforcement scope_enforcement = v1::SCOPE_ENFORCEMENT_AUTO;
  InsufficientScopeMode insufficient_scope = InsufficientScopeMode::kToolError;
  // DPoP (RFC 9449).
  bool dpop_required = false;  // alias: require_dpop
  absl::Duration dpop_leeway = absl::Seconds(60);  // proof iat acceptance window, each way
  std::vector<std::string> dpop_algorithms;        // empty: every supported asymmetric algorithm
  bool dpop_nonce = false;                         // require server-issued nonces
  std::string dpop_nonce_secret_file;              // shared by replicas; empty: random per process
  absl::Duration dpop_nonce_lifetime = absl::Seconds(60);
};

// The authorization policy scope-policy owns is a v1::Policy (proto/mcpauth/v1/
// scope_policy.proto), read from the main file (authorization.required_scopes /
// scope_strategy, tools, resources, prompts, policy) or, when `policy_file` is set,
// from that file with the same layout.

}  // namespace mcpauth
