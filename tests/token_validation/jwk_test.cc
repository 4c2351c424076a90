#include "services/token_validation/jwk.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

using ::testing::HasSubstr;
using testing::MakeKey;

absl::StatusOr<Jwk> ParsePublic(const std::string& json) {
  boost::json::value v;
  EXPECT_EQ(ParseStrictJson(json, v), JsonParseError::kNone) << json;
  return Jwk::Parse(v.as_object(), JwkPrivacy::kPublicOnly);
}

std::string ErrorOf(const boost::json::object& o) {
  auto r = Jwk::Parse(o, JwkPrivacy::kPublicOnly);
  return r.ok() ? "(accepted)" : std::string(r.status().message());
}

TEST(Jwk, EachKeyTypeParsesAndFitsItsAlgorithms) {
  struct Case {
    const char* alg;
    std::vector<const char*> fits;
    std::vector<const char*> does_not_fit;
  };
  // Keys carry their own alg, so only that one fits; without alg, any of the family fits.
  for (const Case& c : std::vector<Case>{{"ES256", {"ES256"}, {"ES384", "RS256", "EdDSA"}},
                                         {"ES384", {"ES384"}, {"ES256", "ES512"}},
                                         {"ES512", {"ES512"}, {"ES256"}},
                                         {"RS256", {"RS256"}, {"PS256", "RS384", "ES256"}},
                                         {"PS256", {"PS256"}, {"RS256"}},
                                         {"EdDSA", {"EdDSA"}, {"ES256", "RS256"}}}) {
    auto key = MakeKey(c.alg, "k");
    auto parsed = Jwk::Parse(key.public_jwk, JwkPrivacy::kPublicOnly);
    ASSERT_TRUE(parsed.ok()) << c.alg << ": " << parsed.status();
    for (const char* a : c.fits) EXPECT_TRUE(parsed->UsableWith(*FindAlg(a))) << c.alg << " with " << a;
    for (const char* a : c.does_not_fit) EXPECT_FALSE(parsed->UsableWith(*FindAlg(a))) << c.alg << " with " << a;
  }
}

TEST(Jwk, WithoutAlgTheFamilyDecides) {
  auto key = MakeKey("RS256", "k");
  key.public_jwk.erase("alg");
  auto parsed = Jwk::Parse(key.public_jwk, JwkPrivacy::kPublicOnly);
  ASSERT_TRUE(parsed.ok());
  for (const char* a : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}) EXPECT_TRUE(parsed->UsableWith(*FindAlg(a)));
  EXPECT_FALSE(parsed->UsableWith(*FindAlg("ES256")));
}

TEST(Jwk, RefusesPrivateMaterialInVerificationKeys) {
  auto key = MakeKey("ES256", "k");
  boost::json::object with_d = key.public_jwk;
  with_d["d"] = "AAAA";
  EXPECT_THAT(ErrorOf(with_d), HasSubstr("private key material"));
  boost::json::object with_k = key.public_jwk;
  with_k["k"] = "AAAA";
  EXPECT_THAT(ErrorOf(with_k), HasSubstr("private key material"));
}

TEST(Jwk, RefusesSymmetricAndUnknownTypes) {
  EXPECT_THAT(ErrorOf({{"kty", "oct"}, {"k", "c2VjcmV0"}}), HasSubstr("symmetric keys"));
  EXPECT_THAT(ErrorOf({{"kty", "DSA"}}), HasSubstr("is not RSA, EC or OKP"));
  EXPECT_THAT(ErrorOf({{"crv", "P-256"}}), HasSubstr("kty"));
}

TEST(Jwk, UseAndKeyOps) {
  auto key = MakeKey("ES256", "k");
  boost::json::object enc = key.public_jwk;
  enc["use"] = "enc";
  EXPECT_THAT(ErrorOf(enc), HasSubstr("\"enc\" is not \"sig\""));
  boost::json::object ops = key.public_jwk;
  ops["key_ops"] = boost::json::array{"encrypt"};
  EXPECT_THAT(ErrorOf(ops), HasSubstr("does not allow verify"));
  ops["key_ops"] = boost::json::array{"verify"};
  EXPECT_EQ(ErrorOf(ops), "(accepted)");
}

TEST(Jwk, AlgMustFitTheKey) {
  auto key = MakeKey("ES256", "k");
  boost::json::object o = key.public_jwk;
  o["alg"] = "ES384";
  EXPECT_THAT(ErrorOf(o), HasSubstr("does not fit"));
  o["alg"] = "HS256";
  EXPECT_THAT(ErrorOf(o), HasSubstr("not a supported signature algorithm"));
}

TEST(Jwk, EcCoordinatesMustBeFullSizeAndOnTheCurve) {
  auto key = MakeKey("ES256", "k");
  boost::json::object o = key.public_jwk;
  const std::string x = *Base64UrlDecode(std::string(o["x"].as_string()));
  o["x"] = Base64UrlEncode(x.substr(1));
  EXPECT_THAT(ErrorOf(o), HasSubstr("x: must be 32 bytes"));
  std::string off_curve = x;
  off_curve[31] ^= 1;
  o["x"] = Base64UrlEncode(off_curve);
  EXPECT_THAT(ErrorOf(o), HasSubstr("not a point on the curve"));
  o = key.public_jwk;
  o["crv"] = "secp256k1";
  EXPECT_THAT(ErrorOf(o), HasSubstr("is not P-256, P-384 or P-521"));
}

TEST(Jwk, RsaWeakKeysAreRefused) {
  auto key = MakeKey("RS256", "k");
  boost::json::object o = key.public_jwk;
  o["e"] = Base64UrlEncode(std::string("\x01", 1));
  EXPECT_THAT(ErrorOf(o), HasSubstr("odd exponent greater than 1"));
  o["e"] = Base64UrlEncode(std::string("\x01\x00\x00", 3));
  EXPECT_THAT(ErrorOf(o), HasSubstr("odd exponent"));
  // A 1024-bit modulus: the top half of the real one.
  const std::string n = *Base64UrlDecode(std::string(key.public_jwk.at("n").as_string()));
  std::string short_n = n.substr(0, 128);
  short_n.back() |= 1;
  o = key.public_jwk;
  o["n"] = Base64UrlEncode(short_n);
  EXPECT_THAT(ErrorOf(o), HasSubstr("1024-bit RSA keys are too weak"));
}

TEST(Jwk, MembersMustBeCanonicalBase64Url) {
  auto key = MakeKey("EdDSA", "k");
  boost::json::object o = key.public_jwk;
  o["x"] = std::string(o["x"].as_string()) + "=";
  EXPECT_THAT(ErrorOf(o), HasSubstr("x: not canonical base64url"));
  o["x"] = 5;
  EXPECT_THAT(ErrorOf(o), HasSubstr("x: not a string"));
  o = key.public_jwk;
  o["kid"] = 5;
  EXPECT_THAT(ErrorOf(o), HasSubstr("kid: not a string"));
}

TEST(Jwk, ThumbprintIsStableAndIgnoresOptionalMembers) {
  auto key = MakeKey("ES256", "k1");
  auto a = Jwk::Parse(key.public_jwk, JwkPrivacy::kPublicOnly);
  boost::json::object renamed = key.public_jwk;
  renamed["kid"] = "other";
  renamed.erase("alg");
  auto b = Jwk::Parse(renamed, JwkPrivacy::kPublicOnly);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->Thumbprint(), b->Thumbprint());
  EXPECT_EQ(a->Thumbprint().size(), 43u);
  EXPECT_NE(a->Thumbprint(), MakeKey("ES256", "k1").private_key->Thumbprint());
}

TEST(Jwk, PrivateKeysParseForSigning) {
  auto key = MakeKey("EdDSA", "k");
  EXPECT_TRUE(key.private_key->has_private());
  EXPECT_FALSE(ParsePublic(ToJson(key.public_jwk))->has_private());
}

}  // namespace
}  // namespace mcpauth::tv
