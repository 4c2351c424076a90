// Token-validation's settings: the `jwt_validators` list (named after Dedalus
// MCP's JWTValidatorConfig) and the `token_validation` section.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/service_section.h"

namespace mcpauth {

// RFC 7662: opaque access tokens (anything not a JWS) are sent to the issuer's
// introspection endpoint. One validator at most has it: an opaque token names no
// issuer, and sending it to several would show it to every one of them.
struct IntrospectionConfig {
  bool enabled = false;          // the validator has an `introspection` section
  std::string endpoint;          // empty: the issuer's discovered introspection_endpoint
  std::string client_id;         // how mcpauth authenticates to the endpoint (§2.1)
  std::string client_secret_file;
  bool client_secret_post = false;  // client_secret_basic unless auth_method: client_secret_post
  // An active answer is reused this long (never past the token's exp); revocation
  // at the authorization server takes effect within it.
  absl::Duration cache_ttl = absl::Seconds(60);
  // An inactive answer (unknown, revoked, expired) is reused this long.
  absl::Duration inactive_cache_ttl = absl::Seconds(10);
};

struct JwtValidatorConfig {
  std::string issuer;
  std::string jwks_uri;                 // fetched over https (http only for loopback)
  std::string jwks_file;                // or read from a file
  std::vector<std::string> audiences;   // empty: the request's resource / top-level resource
  std::vector<std::string> algorithms;  // empty: every supported asymmetric JWS algorithm
  absl::Duration leeway = absl::Seconds(60);
  IntrospectionConfig introspection;
  std::string path;                     // config path, for error messages
};

struct TokenValidationSection : ServiceSection {
  // A token whose kid is unknown triggers at most one JWKS refetch per URI per interval.
  absl::Duration unknown_kid_refetch_interval = absl::Seconds(30);
  // How long keys are kept (and used) after their cache lifetime when refreshes fail.
  absl::Duration jwks_max_stale = absl::Hours(24);
  absl::Duration fetch_timeout = absl::Seconds(5);
  int64_t token_cache_size = 10000;
  int64_t max_token_bytes = 16 * 1024;
};

}  // namespace mcpauth
