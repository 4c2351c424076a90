// The JWS algorithm names the suite accepts (RFC 7518 §3, RFC 8037): asymmetric
// only. `none` and the HMAC family are never accepted: a verifier holding only
// public keys has no business with shared secrets, and accepting them invites
// algorithm confusion (RFC 8725 §2.1). The names alone, for services that name
// algorithms without verifying anything (the metadata service advertises them);
// the JOSE core's table (services/token_validation/alg.h) holds one entry for each.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

#include "services/common/strings.h"

namespace mcpauth {

// In the order the suite advertises them (dpop_signing_alg_values_supported):
// EC, then EdDSA, then RSA-PSS, then RSA PKCS#1 v1.5 — smaller, faster proofs first.
inline constexpr std::array<std::string_view, 10> kJwsAlgorithms = {
    "ES256", "ES384", "ES512", "EdDSA", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"};

inline bool IsSupportedJwsAlg(std::string_view name) {
  return std::find(kJwsAlgorithms.begin(), kJwsAlgorithms.end(), name) != kJwsAlgorithms.end();
}

// True for "none" in any letter case and the HMAC family: refused with a message
// that says why rather than "unknown".
inline bool IsForbiddenJwsAlg(std::string_view name) { return EqualsIgnoreCase(name, "none") || name.starts_with("HS"); }

}  // namespace mcpauth
