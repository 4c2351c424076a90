#include "services/token_validation/dpop_sign.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/dpop_proof.h"
#include "services/token_validation/keygen.h"
#include "services/token_validation/signature.h"

namespace mcpauth::tv {

std::string RandomJti() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) throw std::runtime_error("OpenSSL could not generate random bytes");
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

absl::StatusOr<std::string> MakeDpopProof(const Jwk& key, const DpopProofClaims& claims) {
  if (!key.has_private()) return absl::InvalidArgumentError("a DPoP proof is signed with a private key");
  const AlgSpec* alg = DefaultAlgFor(key);
  if (alg == nullptr) return absl::InvalidArgumentError("no signature algorithm fits the key");
  // The header carries the public members only (PublicJson never holds private ones).
  boost::json::object jwk = key.PublicJson();
  jwk.erase("use");
  boost::json::object header{{"typ", "dpop+jwt"}, {"alg", std::string(alg->name)}, {"jwk", jwk}};
  // RFC 9449 §4.2: htu is the target URI without query and fragment.
  std::string htu = claims.htu;
  htu = htu.substr(0, htu.find_first_of("?#"));
  boost::json::object payload{
      {"jti", claims.jti.empty() ? RandomJti() : claims.jti}, {"htm", claims.htm}, {"htu", htu}, {"iat", claims.iat}};
  if (claims.access_token) payload["ath"] = DpopAccessTokenHash(*claims.access_token);
  if (claims.nonce) payload["nonce"] = *claims.nonce;
  const std::string signing_input = StrCat(Base64UrlEncode(ToJson(header)), ".", Base64UrlEncode(ToJson(payload)));
  auto signature = Sign(*alg, key, signing_input);
  if (!signature.ok()) return signature.status();
  return StrCat(signing_input, ".", Base64UrlEncode(*signature));
}

}  // namespace mcpauth::tv
