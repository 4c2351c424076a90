// Token-validation's settings: the `jwt_validators` list (named after Dedalus
// MCP's JWTValidatorConfig) and the `token_validation` section.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/service_section.h"

namespace mcpauth {

struct JwtValidatorConfig {
  std::string issuer;
  std::string jwks_uri;                 // fetched over https (http only for loopback)
  std::string jwks_file;                // or read from a file
  std::vector<std::string> audiences;   // empty: the request's resource / top-level resource
  std::vector<std::string> algorithms;  // empty: every supported asymmetric JWS algorithm
  absl::Duration leeway = absl::Seconds(60);
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
