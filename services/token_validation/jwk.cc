#include "services/token_validation/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "services/common/strings.h"
#include "services/common/base64url.h"
#include "services/common/json.h"

namespace mcpauth::tv {
namespace {

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct BldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamsDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;

absl::Status Invalid(std::string_view member, std::string_view why) {
  return absl::InvalidArgumentError(StrCat("jwk ", member, ": ", why));
}

// A required base64url member, decoded.
absl::StatusOr<std::string> Bytes(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = FindMember(o, name);
  if (v == nullptr) return Invalid(name, "missing");
  if (!v->is_string()) return Invalid(name, "not a string");
  auto decoded = Base64UrlDecode(std::string_view(v->get_string()));
  if (!decoded) return Invalid(name, "not canonical base64url");
  if (decoded->empty()) return Invalid(name, "empty");
  return *decoded;
}

BnPtr ToBn(const std::string& bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

absl::StatusOr<EvpPkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld, bool with_private) {
  std::unique_ptr<OSSL_PARAM, ParamsDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return Invalid("key", "OpenSSL refused the key material");
  }
  return EvpPkeyPtr(pkey);
}

bool PublicKeyChecks(EVP_PKEY* pkey) {
  CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

const char* OpenSslCurveName(std::string_view crv) {
  if (crv == "P-256") return "prime256v1";
  if (crv == "P-384") return "secp384r1";
  if (crv == "P-521") return "secp521r1";
  return nullptr;
}

size_t CurveBytes(std::string_view crv) {
  if (crv == "P-256") return 32;
  if (crv == "P-384") return 48;
  if (crv == "P-521") return 66;
  return 0;
}

}  // namespace

bool HasPrivateMembers(const boost::json::object& object) {
  for (const char* name : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (object.contains(name)) return true;
  }
  return false;
}

absl::StatusOr<Jwk> Jwk::Parse(const boost::json::object& o, JwkPrivacy privacy) {
  Jwk jwk;
  const boost::json::value* kty = FindMember(o, "kty");
  if (kty == nullptr || !kty->is_string()) return Invalid("kty", "missing or not a string");
  jwk.kty_ = std::string(kty->get_string());
  for (std::string_view name : {"kid", "alg", "use", "crv"}) {
    const boost::json::value* v = FindMember(o, name);
    if (v != nullptr && !v->is_string()) return Invalid(name, "not a string");
  }
  jwk.kid_ = StringMember(o, "kid").value_or("");
  jwk.alg_ = StringMember(o, "alg");
  jwk.use_ = StringMember(o, "use");
  if (jwk.use_ && *jwk.use_ != "sig") return Invalid("use", StrCat("\"", *jwk.use_, "\" is not \"sig\""));
  if (const boost::json::value* ops = FindMember(o, "key_ops")) {
    if (!ops->is_array()) return Invalid("key_ops", "not an array");
    bool can_verify = false;
    for (const auto& op : ops->get_array()) {
      if (!op.is_string()) return Invalid("key_ops", "not an array of strings");
      if (op.get_string() == "verify" || op.get_string() == "sign") can_verify = true;
    }
    if (!can_verify) return Invalid("key_ops", "does not allow verify");
  }
  if (jwk.alg_) {
    const AlgSpec* spec = FindAlg(*jwk.alg_);
    if (spec == nullptr) return Invalid("alg", StrCat("\"", *jwk.alg_, "\" is not a supported signature algorithm"));
  }
  if (jwk.kty_ == "oct") {
    return Invalid("kty", "symmetric keys (\"oct\") are never used: only asymmetric signatures are accepted");
  }
  jwk.has_private_ = HasPrivateMembers(o);
  if (jwk.has_private_ && privacy == JwkPrivacy::kPublicOnly) {
    return Invalid("key", "holds private key material; a verification key set must be public");
  }
  const bool with_private = jwk.has_private_;

  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  if (jwk.kty_ == "RSA") {
    auto n = Bytes(o, "n");
    if (!n.ok()) return n.status();
    auto e = Bytes(o, "e");
    if (!e.ok()) return e.status();
    jwk.n_ = std::string(o.at("n").get_string());
    jwk.e_ = std::string(o.at("e").get_string());
    BnPtr bn_n = ToBn(*n), bn_e = ToBn(*e);
    if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) return Invalid("e", "must be an odd exponent greater than 1");
    if (!BN_is_odd(bn_n.get())) return Invalid("n", "an RSA modulus is odd");
    const int bits = BN_num_bits(bn_n.get());
    if (bits < kMinRsaBits) return Invalid("n", StrCat(bits, "-bit RSA keys are too weak; at least ", kMinRsaBits, " bits are required"));
    if (bits > kMaxRsaBits) return Invalid("n", StrCat(bits, "-bit RSA keys are larger than the ", kMaxRsaBits, "-bit limit"));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    std::vector<BnPtr> keep;
    if (with_private) {
      const std::pair<const char*, const char*> members[] = {
          {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
          {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
          {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
      for (const auto& [member, param] : members) {
        auto bytes = Bytes(o, member);
        if (!bytes.ok()) return bytes.status();
        keep.push_back(ToBn(*bytes));
        OSSL_PARAM_BLD_push_BN(bld.get(), param, keep.back().get());
      }
    }
    auto pkey = FromData("RSA", bld.get(), with_private);
    if (!pkey.ok()) return pkey.status();
    jwk.pkey_ = std::move(*pkey);
    jwk.bits_ = bits;
  } else if (jwk.kty_ == "EC") {
    jwk.crv_ = StringMember(o, "crv").value_or("");
    const char* curve = OpenSslCurveName(jwk.crv_);
    if (curve == nullptr) return Invalid("crv", StrCat("\"", jwk.crv_, "\" is not P-256, P-384 or P-521"));
    const size_t size = CurveBytes(jwk.crv_);
    auto x = Bytes(o, "x");
    if (!x.ok()) return x.status();
    auto y = Bytes(o, "y");
    if (!y.ok()) return y.status();
    // RFC 7518 §6.2.1.2: coordinates are the full size of the curve, no more, no less.
    if (x->size() != size) return Invalid("x", StrCat("must be ", size, " bytes for ", jwk.crv_));
    if (y->size() != size) return Invalid("y", StrCat("must be ", size, " bytes for ", jwk.crv_));
    jwk.x_ = std::string(o.at("x").get_string());
    jwk.y_ = std::string(o.at("y").get_string());
    std::string point = StrCat(std::string(1, '\x04'), *x, *y);
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve, 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    BnPtr d;
    if (with_private) {
      auto d_bytes = Bytes(o, "d");
      if (!d_bytes.ok()) return d_bytes.status();
      d = ToBn(*d_bytes);
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get());
    }
    auto pkey = FromData("EC", bld.get(), with_private);
    if (!pkey.ok()) return Invalid("x", StrCat("(x, y) is not a point on the curve ", jwk.crv_));
    jwk.pkey_ = std::move(*pkey);
    jwk.bits_ = static_cast<int>(size * 8);
  } else if (jwk.kty_ == "OKP") {
    jwk.crv_ = StringMember(o, "crv").value_or("");
    if (jwk.crv_ != "Ed25519") return Invalid("crv", StrCat("\"", jwk.crv_, "\" is not Ed25519"));
    auto x = Bytes(o, "x");
    if (!x.ok()) return x.status();
    if (x->size() != 32) return Invalid("x", "must be 32 bytes for Ed25519");
    jwk.x_ = std::string(o.at("x").get_string());
    EVP_PKEY* pkey = nullptr;
    if (with_private) {
      auto d = Bytes(o, "d");
      if (!d.ok()) return d.status();
      if (d->size() != 32) return Invalid("d", "must be 32 bytes for Ed25519");
      pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(d->data()), d->size());
    } else {
      pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(x->data()), x->size());
    }
    if (pkey == nullptr) return Invalid("x", "OpenSSL refused the key material");
    jwk.pkey_ = EvpPkeyPtr(pkey);
    jwk.bits_ = 256;
    if (with_private) {
      // The public half must be the one derived from d.
      unsigned char derived[32];
      size_t len = sizeof(derived);
      if (EVP_PKEY_get_raw_public_key(pkey, derived, &len) != 1 || len != 32 ||
          std::string_view(reinterpret_cast<char*>(derived), 32) != *x) {
        return Invalid("x", "does not match the private key d");
      }
    }
  } else {
    return Invalid("kty", StrCat("\"", jwk.kty_, "\" is not RSA, EC or OKP"));
  }
  if (jwk.kty_ != "OKP" && !PublicKeyChecks(jwk.pkey_.get())) {
    return Invalid("key", jwk.kty_ == "EC" ? StrCat("(x, y) is not a point on the curve ", jwk.crv_)
                                           : std::string("fails OpenSSL's public key checks"));
  }
  if (jwk.alg_ && !jwk.UsableWith(*FindAlg(*jwk.alg_))) {
    return Invalid("alg", StrCat("\"", *jwk.alg_, "\" does not fit a ", jwk.kty_, " key",
                                       jwk.crv_.empty() ? "" : StrCat(" on ", jwk.crv_)));
  }
  return jwk;
}

bool Jwk::UsableWith(const AlgSpec& alg) const {
  if (alg_ && *alg_ != alg.name) return false;
  switch (alg.family) {
    case KeyFamily::kRsa:
    case KeyFamily::kRsaPss:
      return kty_ == "RSA";
    case KeyFamily::kEc:
      return kty_ == "EC" && crv_ == alg.curve;
    case KeyFamily::kOkp:
      return kty_ == "OKP" && crv_ == alg.curve;
  }
  return false;
}

std::string Jwk::Thumbprint() const {
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
  std::string canonical;
  if (kty_ == "RSA") {
    canonical = StrCat(R"({"e":")", e_, R"(","kty":"RSA","n":")", n_, R"("})");
  } else if (kty_ == "EC") {
    canonical = StrCat(R"({"crv":")", crv_, R"(","kty":"EC","x":")", x_, R"(","y":")", y_, R"("})");
  } else {
    canonical = StrCat(R"({"crv":")", crv_, R"(","kty":"OKP","x":")", x_, R"("})");
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

boost::json::object Jwk::PublicJson() const {
  boost::json::object o;
  o["kty"] = kty_;
  if (kty_ == "RSA") {
    o["n"] = n_;
    o["e"] = e_;
  } else {
    o["crv"] = crv_;
    o["x"] = x_;
    if (kty_ == "EC") o["y"] = y_;
  }
  if (!kid_.empty()) o["kid"] = kid_;
  if (alg_) o["alg"] = *alg_;
  o["use"] = use_.value_or("sig");
  return o;
}

}  // namespace mcpauth::tv
