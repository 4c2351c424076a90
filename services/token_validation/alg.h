// The JWS algorithms mcpauth accepts (RFC 7518 §3, RFC 8037): asymmetric only.
// `none` and the HMAC family are never accepted: a verifier holding only public
// keys has no business with shared secrets, and accepting them invites algorithm
// confusion (RFC 8725 §2.1).
#pragma once

#include <string_view>
#include <vector>

#include <openssl/evp.h>

namespace mcpauth::tv {

enum class KeyFamily { kRsa, kRsaPss, kEc, kOkp };

struct AlgSpec {
  std::string_view name;     // "ES256"
  KeyFamily family;
  std::string_view curve;    // JWK crv for EC/OKP: "P-256", "Ed25519"; empty for RSA
  const EVP_MD* digest;      // null for EdDSA (the algorithm hashes internally)
  size_t coordinate_bytes;   // EC: size of r and s; 0 otherwise
};

// nullptr when `name` is not a supported algorithm (including none and HS*).
const AlgSpec* FindAlg(std::string_view name);
// Every supported algorithm, in a stable order.
const std::vector<const AlgSpec*>& SupportedAlgs();
// True for "none" in any letter case and the HMAC family: refused with a message
// that says why rather than "unknown".
bool IsForbiddenAlg(std::string_view name);

}  // namespace mcpauth::tv
