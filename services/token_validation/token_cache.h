// Tokens whose signature and issuer were verified, keyed by SHA-256 of the token.
// Bounded (least recently used goes first) and sharded to keep lock contention low.
// An entry never outlives the token's exp; time and audience are re-checked on
// every hit because they depend on the clock and on the request.
#pragma once

#include <memory>
#include <string>

#include "services/common/digest_cache.h"
#include "services/token_validation/jwt.h"

namespace mcpauth::tv {

struct TrustedIssuer;

struct VerifiedToken {
  JwtClaims claims;
  std::string claims_json;  // the payload exactly as signed
  const TrustedIssuer* issuer = nullptr;
};

// Verified tokens by SHA-256 of the token.
using TokenCache = DigestCache<VerifiedToken>;

}  // namespace mcpauth::tv
