// JWT claims (RFC 7519 §4.1, RFC 9068 §2.2): typed extraction and the time and
// audience checks. Types are checked strictly: a claim of the wrong type is its
// own failure, never silently ignored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/time/time.h"
#include "services/token_validation/reason.h"

namespace mcpauth::tv {

// NumericDate values beyond 9999-12-31T23:59:59Z are refused as malformed rather
// than read as "never expires".
inline constexpr double kMaxNumericDate = 253402300799.0;

struct JwtClaims {
  std::optional<std::string> issuer;
  std::optional<std::string> subject;
  std::vector<std::string> audiences;
  bool has_audience = false;
  std::optional<double> expires_at;
  std::optional<double> not_before;
  std::optional<double> issued_at;
  std::optional<std::string> token_id;
  std::optional<std::string> client_id;  // client_id, else azp
  std::vector<std::string> scopes;       // from scope (space-delimited) and scp
  std::optional<std::string> confirmation_jkt;  // cnf.jkt (RFC 9449 §6.1)
};

// Parses the payload bytes as a JSON object and extracts the registered claims.
// REASON_PAYLOAD_BAD_JSON, REASON_PAYLOAD_NOT_OBJECT, REASON_DUPLICATE_MEMBER or
// REASON_CLAIM_WRONG_TYPE on failure; REASON_CLAIM_CONTROL_CHARACTERS when iss, sub,
// client_id (or azp) or a scope holds a control character (U+0000-001F, U+007F).
Reason ParseJwtClaims(std::string_view payload, JwtClaims& out);

// exp is required; exp, nbf and iat are compared with `leeway` of slack.
Reason CheckTimes(const JwtClaims& claims, absl::Time now, absl::Duration leeway);

// The token's aud (a string or an array) must contain one of `accepted` exactly.
Reason CheckAudience(const JwtClaims& claims, const std::vector<std::string>& accepted);

}  // namespace mcpauth::tv
