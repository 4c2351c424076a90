// The JWS algorithms mcpauth accepts (services/common/jws_algorithms.h names them:
// asymmetric only), with what verifying and signing with each takes.
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
// Every supported algorithm, in a stable order; their names are kJwsAlgorithms.
const std::vector<const AlgSpec*>& SupportedAlgs();
// IsForbiddenJwsAlg.
bool IsForbiddenAlg(std::string_view name);

}  // namespace mcpauth::tv
