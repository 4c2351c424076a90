// Tokens whose signature and issuer were verified, keyed by SHA-256 of the token.
// Bounded (least recently used goes first) and sharded to keep lock contention low.
// An entry never outlives the token's exp; time and audience are re-checked on
// every hit because they depend on the clock and on the request.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"

#include "services/common/digest_cache.h"
#include "services/token_validation/jwt.h"

namespace mcpauth::tv {

struct TrustedIssuer;

struct VerifiedToken {
  JwtClaims claims;
  std::string claims_json;  // the payload exactly as signed, or the introspection answer
  const TrustedIssuer* issuer = nullptr;
  // An opaque token is known active only until its introspection answer is asked
  // again (RFC 7662 §4: revocation); a JWT, until it expires.
  absl::Time introspected_until = absl::InfiniteFuture();
};

// Verified tokens by SHA-256 of the token.
using TokenCache = DigestCache<VerifiedToken>;

}  // namespace mcpauth::tv
