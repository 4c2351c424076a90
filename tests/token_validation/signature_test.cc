#include "services/token_validation/signature.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>

#include <gtest/gtest.h>

#include "services/common/jws_algorithms.h"
#include "services/token_validation/alg.h"

#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

using testing::MakeKey;

const char* const kAllAlgs[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                "ES256", "ES384", "ES512", "EdDSA"};

TEST(Signature, TheJoseTableHoldsEveryNamedAlgorithmAndNoOther) {
  std::vector<std::string_view> table;
  for (const AlgSpec* alg : SupportedAlgs()) table.push_back(alg->name);
  std::vector<std::string_view> named(kJwsAlgorithms.begin(), kJwsAlgorithms.end());
  std::sort(table.begin(), table.end());
  std::sort(named.begin(), named.end());
  EXPECT_EQ(table, named);
  for (std::string_view name : {"none", "NONE", "HS256", "HS512"}) {
    EXPECT_TRUE(IsForbiddenJwsAlg(name)) << name;
    EXPECT_EQ(FindAlg(name), nullptr) << name;
  }
}

TEST(Signature, SignThenVerifyEveryAlgorithm) {
  for (const char* name : kAllAlgs) {
    auto key = MakeKey(name, "k");
    auto sig = Sign(*key.alg, *key.private_key, "header.payload");
    ASSERT_TRUE(sig.ok()) << name;
    EXPECT_EQ(VerifySignature(*key.alg, *key.private_key, "header.payload", *sig), v1::REASON_OK) << name;
    EXPECT_EQ(VerifySignature(*key.alg, *key.private_key, "header.payloaD", *sig), v1::REASON_SIGNATURE_INVALID)
        << name;
  }
}

// Every single-bit change of a valid signature is rejected.
TEST(Signature, EveryBitFlipIsRejected) {
  for (const char* name : {"ES256", "EdDSA", "PS256"}) {
    auto key = MakeKey(name, "k");
    const std::string sig = *Sign(*key.alg, *key.private_key, "header.payload");
    for (size_t bit = 0; bit < sig.size() * 8; ++bit) {
      std::string flipped = sig;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      ASSERT_NE(VerifySignature(*key.alg, *key.private_key, "header.payload", flipped), v1::REASON_OK)
          << name << " bit " << bit;
    }
  }
}

TEST(Signature, WrongLengthsAreMalformed) {
  for (const char* name : kAllAlgs) {
    auto key = MakeKey(name, "k");
    const std::string sig = *Sign(*key.alg, *key.private_key, "x");
    EXPECT_EQ(VerifySignature(*key.alg, *key.private_key, "x", sig.substr(1)), v1::REASON_SIGNATURE_MALFORMED) << name;
    EXPECT_EQ(VerifySignature(*key.alg, *key.private_key, "x", sig + "0"), v1::REASON_SIGNATURE_MALFORMED) << name;
    EXPECT_EQ(VerifySignature(*key.alg, *key.private_key, "x", ""), v1::REASON_SIGNATURE_MALFORMED) << name;
  }
}

std::string Order(int nid) {
  EC_GROUP* g = EC_GROUP_new_by_curve_name(nid);
  std::string out(32, '\0');
  BN_bn2binpad(EC_GROUP_get0_order(g), reinterpret_cast<unsigned char*>(out.data()), 32);
  EC_GROUP_free(g);
  return out;
}

// RFC 7518 §3.4 with the range check of 1 ≤ r, s < n (the "psychic signatures"
// class: r = s = 0 must never verify).
TEST(Signature, EcdsaOutOfRangeValues) {
  auto key = MakeKey("ES256", "k");
  const std::string zero(32, '\0');
  const std::string n = Order(NID_X9_62_prime256v1);
  const std::string sig = *Sign(*key.alg, *key.private_key, "x");
  EXPECT_EQ(VerifySignature(*key.alg, *key.private_key, "x", zero + zero), v1::REASON_SIGNATURE_INVALID);
  EXPECT_EQ(VerifySignature(*key.alg, *key.private_key, "x", sig.substr(0, 32) + zero), v1::REASON_SIGNATURE_INVALID);
  EXPECT_EQ(VerifySignature(*key.alg, *key.private_key, "x", n + sig.substr(32)), v1::REASON_SIGNATURE_INVALID);
  EXPECT_EQ(VerifySignature(*key.alg, *key.private_key, "x", sig.substr(0, 32) + n), v1::REASON_SIGNATURE_INVALID);
}

// The same signature in DER (what OpenSSL produces natively) is not JWS.
TEST(Signature, EcdsaDerEncodingIsRefused) {
  auto key = MakeKey("ES256", "k");
  const std::string raw = *Sign(*key.alg, *key.private_key, "x");
  ECDSA_SIG* s = ECDSA_SIG_new();
  ECDSA_SIG_set0(s, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(s, &der);
  std::string der_sig(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(s);
  EXPECT_NE(VerifySignature(*key.alg, *key.private_key, "x", der_sig), v1::REASON_OK);
}

TEST(Signature, KeyMustFitTheAlgorithm) {
  auto rsa = MakeKey("RS256", "k");
  auto ec = MakeKey("ES256", "k");
  const std::string sig = *Sign(*rsa.alg, *rsa.private_key, "x");
  EXPECT_EQ(VerifySignature(*FindAlg("PS256"), *rsa.private_key, "x", sig), v1::REASON_KEY_ALG_MISMATCH);
  EXPECT_EQ(VerifySignature(*FindAlg("ES256"), *rsa.private_key, "x", sig), v1::REASON_KEY_ALG_MISMATCH);
  EXPECT_EQ(VerifySignature(*FindAlg("ES384"), *ec.private_key, "x", sig), v1::REASON_KEY_ALG_MISMATCH);
}

TEST(Signature, PssAndPkcs1AreNotInterchangeable) {
  auto key = MakeKey("RS256", "k");
  boost::json::object no_alg = key.public_jwk;
  no_alg.erase("alg");
  auto pub = Jwk::Parse(no_alg, JwkPrivacy::kPublicOnly);
  ASSERT_TRUE(pub.ok());
  const std::string pkcs1 = *Sign(*FindAlg("RS256"), *key.private_key, "x");
  EXPECT_EQ(VerifySignature(*FindAlg("RS256"), *pub, "x", pkcs1), v1::REASON_OK);
  EXPECT_EQ(VerifySignature(*FindAlg("PS256"), *pub, "x", pkcs1), v1::REASON_SIGNATURE_INVALID);
  EXPECT_EQ(VerifySignature(*FindAlg("RS384"), *pub, "x", pkcs1), v1::REASON_SIGNATURE_INVALID);
}

TEST(Signature, SigningNeedsAPrivateKey) {
  auto key = MakeKey("ES256", "k");
  auto pub = Jwk::Parse(key.public_jwk, JwkPrivacy::kPublicOnly);
  EXPECT_FALSE(Sign(*key.alg, *pub, "x").ok());
}

}  // namespace
}  // namespace mcpauth::tv
