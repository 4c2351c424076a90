// The grant: a short-lived JWS the gateway attaches to each request it forwards to
// an MCP server (X-MCP-Auth-Grant) when the credentials service is deployed. It says
// whose request is being served; the MCP server passes it back on the egress port,
// and the service uses a credential only for that owner, only until the grant
// expires, and at most max_uses times. The gateway signs with its private key; the
// service holds only the public half, so nothing it stores or sees can mint one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/token_validation/jwks.h"

namespace mcpauth::credentials {

inline constexpr char kGrantTyp[] = "mcpauth-grant+jwt";
inline constexpr char kGrantIssuer[] = "mcpauth-gateway";
inline constexpr char kGrantAudience[] = "mcpauth-credentials";

struct Grant {
  std::string token_issuer;  // the principal's token issuer
  std::string subject;       // the principal's subject
  std::string client_id;     // the principal's client, when the token named one
  std::string resource;      // the MCP server (route resource) the request went to
  std::string jti;
  absl::Time issued_at;
  absl::Time expires_at;
  int64_t max_uses = 1;

  std::string Owner() const;  // "<token_issuer>\n<subject>", as CredentialBinding::Owner
};

// Signs `grant` (a fresh jti is set when it has none) with `key`.
absl::StatusOr<std::string> MintGrant(const tv::Jwk& key, Grant grant);

// Why a grant is refused, for the egress's answer and metrics.
enum class GrantRefusal { kNone, kMalformed, kSignature, kExpired, kNotYetValid };

struct GrantCheck {
  GrantRefusal refusal = GrantRefusal::kNone;
  std::string detail;  // for the error body and the audit log
  Grant grant;
};

// Verifies a grant against the gateway's keys at `now` (5 s of clock leeway):
// typ, alg (an asymmetric one the key fits), kid, signature, iss, aud, iat, exp,
// and every claim's type.
GrantCheck VerifyGrant(std::string_view grant, const tv::KeySet& keys, absl::Time now);

}  // namespace mcpauth::credentials
