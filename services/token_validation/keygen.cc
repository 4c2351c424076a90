#include "services/token_validation/keygen.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/signature.h"

namespace mcpauth::tv {
namespace {

std::string BnParam(EVP_PKEY* pkey, const char* name, size_t pad_to = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return "";
  const size_t size = pad_to ? pad_to : static_cast<size_t>(BN_num_bytes(bn));
  std::string bytes(size, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(size));
  BN_clear_free(bn);
  return Base64UrlEncode(bytes);
}

}  // namespace

absl::StatusOr<boost::json::object> GeneratePrivateJwk(const AlgSpec& alg, const std::string& kid, int rsa_bits) {
  EVP_PKEY* raw = nullptr;
  switch (alg.family) {
    case KeyFamily::kRsa:
    case KeyFamily::kRsaPss:
      if (rsa_bits < kMinRsaBits) return absl::InvalidArgumentError(StrCat("RSA keys need at least ", kMinRsaBits, " bits"));
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
      break;
    case KeyFamily::kEc:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC",
                              alg.curve == "P-256" ? "P-256" : alg.curve == "P-384" ? "P-384" : "P-521");
      break;
    case KeyFamily::kOkp:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) return absl::InternalError("OpenSSL key generation failed");
  EvpPkeyPtr pkey(raw);
  boost::json::object jwk;
  switch (alg.family) {
    case KeyFamily::kRsa:
    case KeyFamily::kRsaPss:
      jwk["kty"] = "RSA";
      jwk["n"] = BnParam(raw, OSSL_PKEY_PARAM_RSA_N);
      jwk["e"] = BnParam(raw, OSSL_PKEY_PARAM_RSA_E);
      jwk["d"] = BnParam(raw, OSSL_PKEY_PARAM_RSA_D);
      jwk["p"] = BnParam(raw, OSSL_PKEY_PARAM_RSA_FACTOR1);
      jwk["q"] = BnParam(raw, OSSL_PKEY_PARAM_RSA_FACTOR2);
      jwk["dp"] = BnParam(raw, OSSL_PKEY_PARAM_RSA_EXPONENT1);
      jwk["dq"] = BnParam(raw, OSSL_PKEY_PARAM_RSA_EXPONENT2);
      jwk["qi"] = BnParam(raw, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
      break;
    case KeyFamily::kEc:
      jwk["kty"] = "EC";
      jwk["crv"] = std::string(alg.curve);
      jwk["x"] = BnParam(raw, OSSL_PKEY_PARAM_EC_PUB_X, alg.coordinate_bytes);
      jwk["y"] = BnParam(raw, OSSL_PKEY_PARAM_EC_PUB_Y, alg.coordinate_bytes);
      jwk["d"] = BnParam(raw, OSSL_PKEY_PARAM_PRIV_KEY, alg.coordinate_bytes);
      break;
    case KeyFamily::kOkp: {
      unsigned char pub[32], priv[32];
      size_t pub_len = sizeof(pub), priv_len = sizeof(priv);
      if (EVP_PKEY_get_raw_public_key(raw, pub, &pub_len) != 1 ||
          EVP_PKEY_get_raw_private_key(raw, priv, &priv_len) != 1) {
        return absl::InternalError("OpenSSL could not export the Ed25519 key");
      }
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = Base64UrlEncode(std::string_view(reinterpret_cast<char*>(pub), pub_len));
      jwk["d"] = Base64UrlEncode(std::string_view(reinterpret_cast<char*>(priv), priv_len));
      break;
    }
  }
  jwk["kid"] = kid;
  jwk["alg"] = std::string(alg.name);
  jwk["use"] = "sig";
  return jwk;
}

const AlgSpec* DefaultAlgFor(const Jwk& key) {
  if (key.alg()) return FindAlg(*key.alg());
  if (key.kty() == "RSA") return FindAlg("RS256");
  if (key.kty() == "OKP") return FindAlg("EdDSA");
  if (key.crv() == "P-384") return FindAlg("ES384");
  if (key.crv() == "P-521") return FindAlg("ES512");
  return FindAlg("ES256");
}

absl::StatusOr<std::string> SignCompact(const AlgSpec& alg, const Jwk& key, const boost::json::object& header,
                                        std::string_view payload) {
  boost::json::object h;
  h["alg"] = std::string(alg.name);
  if (!key.kid().empty()) h["kid"] = key.kid();
  for (const auto& member : header) h[member.key()] = member.value();
  const std::string signing_input = StrCat(Base64UrlEncode(ToJson(h)), ".", Base64UrlEncode(payload));
  auto signature = Sign(alg, key, signing_input);
  if (!signature.ok()) return signature.status();
  return StrCat(signing_input, ".", Base64UrlEncode(*signature));
}

}  // namespace mcpauth::tv
