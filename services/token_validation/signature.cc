#include "services/token_validation/signature.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include <array>

namespace mcpauth::tv {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Group orders, computed once per curve.
const BIGNUM* CurveOrder(std::string_view curve) {
  struct Orders {
    std::array<BIGNUM*, 3> n{};
    Orders() {
      const int nids[3] = {NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1};
      for (int i = 0; i < 3; ++i) {
        EC_GROUP* g = EC_GROUP_new_by_curve_name(nids[i]);
        n[i] = BN_dup(EC_GROUP_get0_order(g));
        EC_GROUP_free(g);
      }
    }
  };
  static const Orders orders;
  if (curve == "P-256") return orders.n[0];
  if (curve == "P-384") return orders.n[1];
  return orders.n[2];
}

// Sets PKCS#1 v1.5 or PSS (salt = digest length, MGF1 with the same digest).
bool ConfigurePadding(const AlgSpec& alg, EVP_PKEY_CTX* pctx) {
  if (alg.family == KeyFamily::kRsa) return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  if (alg.family == KeyFamily::kRsaPss) {
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg.digest) == 1;
  }
  return true;
}

// Raw r‖s → DER, refusing r or s outside [1, n-1].
bool RawEcdsaToDer(const AlgSpec& alg, std::string_view raw, std::string* der) {
  const size_t half = alg.coordinate_bytes;
  BIGNUM* r = BN_bin2bn(Bytes(raw), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(raw) + half, static_cast<int>(half), nullptr);
  const BIGNUM* n = CurveOrder(alg.curve);
  if (r == nullptr || s == nullptr || BN_is_zero(r) || BN_is_zero(s) || BN_cmp(r, n) >= 0 ||
      BN_cmp(s, n) >= 0) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* out = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  if (len <= 0) return false;
  der->assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return true;
}

}  // namespace

Reason VerifySignature(const AlgSpec& alg, const Jwk& key, std::string_view signing_input,
                       std::string_view signature) {
  if (!key.UsableWith(alg)) return v1::REASON_KEY_ALG_MISMATCH;
  std::string der;
  std::string_view to_verify = signature;
  switch (alg.family) {
    case KeyFamily::kEc:
      if (signature.size() != 2 * alg.coordinate_bytes) return v1::REASON_SIGNATURE_MALFORMED;
      if (!RawEcdsaToDer(alg, signature, &der)) return v1::REASON_SIGNATURE_INVALID;
      to_verify = der;
      break;
    case KeyFamily::kRsa:
    case KeyFamily::kRsaPss:
      if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key.pkey()))) {
        return v1::REASON_SIGNATURE_MALFORMED;
      }
      break;
    case KeyFamily::kOkp:
      if (signature.size() != 64) return v1::REASON_SIGNATURE_MALFORMED;
      break;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, alg.digest, nullptr, key.pkey()) != 1 ||
      !ConfigurePadding(alg, pctx)) {
    return v1::REASON_SIGNATURE_INVALID;
  }
  const int ok = EVP_DigestVerify(ctx.get(), Bytes(to_verify), to_verify.size(), Bytes(signing_input),
                                  signing_input.size());
  return ok == 1 ? v1::REASON_OK : v1::REASON_SIGNATURE_INVALID;
}

absl::StatusOr<std::string> Sign(const AlgSpec& alg, const Jwk& key, std::string_view signing_input) {
  if (!key.has_private()) return absl::InvalidArgumentError("signing needs a private key");
  if (!key.UsableWith(alg)) return absl::InvalidArgumentError("the key cannot be used with this algorithm");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, alg.digest, nullptr, key.pkey()) != 1 ||
      !ConfigurePadding(alg, pctx)) {
    return absl::InternalError("OpenSSL could not set up signing");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(signing_input), signing_input.size()) != 1) {
    return absl::InternalError("OpenSSL could not size the signature");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(signing_input),
                     signing_input.size()) != 1) {
    return absl::InternalError("OpenSSL could not sign");
  }
  sig.resize(len);
  if (alg.family != KeyFamily::kEc) return sig;
  // DER → raw r‖s, each left-padded to the curve size.
  const unsigned char* p = Bytes(sig);
  ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  if (parsed == nullptr) return absl::InternalError("OpenSSL produced an unreadable ECDSA signature");
  std::string raw(2 * alg.coordinate_bytes, '\0');
  const int half = static_cast<int>(alg.coordinate_bytes);
  BN_bn2binpad(ECDSA_SIG_get0_r(parsed), reinterpret_cast<unsigned char*>(raw.data()), half);
  BN_bn2binpad(ECDSA_SIG_get0_s(parsed), reinterpret_cast<unsigned char*>(raw.data()) + half, half);
  ECDSA_SIG_free(parsed);
  return raw;
}

}  // namespace mcpauth::tv
