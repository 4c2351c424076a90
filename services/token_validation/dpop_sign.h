// Making DPoP proofs (RFC 9449 §4.2): what the CLI and tests need to play a
// client. Never used on the validation path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/token_validation/jwk.h"

namespace mcpauth::tv {

struct DpopProofClaims {
  std::string htm;                          // HTTP method
  std::string htu;                          // target URI (query and fragment are dropped)
  int64_t iat = 0;                          // Unix seconds
  std::string jti;                          // empty: 16 random bytes, base64url
  std::optional<std::string> access_token;  // sets ath = base64url(SHA-256(token))
  std::optional<std::string> nonce;         // a server-provided DPoP-Nonce
};

// A proof signed by `key` (which must hold its private half) with its default
// algorithm; the header is {typ: dpop+jwt, alg, jwk: the public key}.
absl::StatusOr<std::string> MakeDpopProof(const Jwk& key, const DpopProofClaims& claims);

// 16 random bytes, base64url: a jti.
std::string RandomJti();

}  // namespace mcpauth::tv
