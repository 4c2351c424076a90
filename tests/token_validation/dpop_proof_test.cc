// DPoP proof checks (RFC 9449 §4.3), one reason each, starting from RFC 9449's
// own example proof and the RFC 7638 example thumbprint.
#include "services/token_validation/dpop_proof.h"

#include <gtest/gtest.h>

#include <functional>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/dpop_sign.h"
#include "services/token_validation/signature.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

// RFC 9449 §7.1, figure 13: the proof for a protected resource request, with the
// access token of figure 12 (an opaque token; ath is over its ASCII bytes).
//   header  {"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC",
//            "x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
//            "y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}}
//   payload {"jti":"e1j3V_bKic8-LAEB","htm":"GET",
//            "htu":"https://resource.example.org/protectedresource",
//            "iat":1562262618,"ath":"fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"}
constexpr char kRfcProof[] =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0Rs"
    "cEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2"
    "In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90"
    "ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFF"
    "byJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
constexpr char kRfcAccessToken[] = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
constexpr char kRfcJkt[] = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
constexpr char kRfcAth[] = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";
constexpr char kRfcUri[] = "https://resource.example.org/protectedresource";
const absl::Time kRfcIat = absl::FromUnixSeconds(1562262618);

constexpr char kUri[] = "https://mcp.example.com/mcp";
constexpr char kToken[] = "an.access.token";
const int64_t kNow = 1'700'000'000;
const absl::Duration kLeeway = absl::Seconds(60);

DpopProof MustParse(std::string_view proof, const DpopProofPolicy& policy = {}) {
  DpopProof out;
  EXPECT_EQ(ParseDpopProof(proof, policy, out), v1::REASON_OK);
  return out;
}

// The whole proof check without a replay store: parse, request, signature.
Reason CheckAll(std::string_view proof, std::string_view method = "POST", std::string_view uri = kUri,
                std::string_view token = kToken, absl::Time now = absl::FromUnixSeconds(kNow),
                const DpopProofPolicy& policy = {}) {
  DpopProof parsed;
  if (Reason r = ParseDpopProof(proof, policy, parsed); r != v1::REASON_OK) return r;
  if (Reason r = CheckDpopAgainstRequest(parsed, {proof, method, uri}, token, now, kLeeway); r != v1::REASON_OK) {
    return r;
  }
  return VerifyDpopSignature(parsed);
}

TEST(Rfc9449, Figure13ProofIsValidForItsRequest) {
  const DpopProof proof = MustParse(kRfcProof);
  EXPECT_EQ(proof.jkt, kRfcJkt);
  EXPECT_EQ(proof.jti, "e1j3V_bKic8-LAEB");
  EXPECT_EQ(proof.htm, "GET");
  EXPECT_EQ(proof.htu, kRfcUri);
  EXPECT_EQ(proof.iat, 1562262618);
  EXPECT_EQ(proof.ath, std::optional<std::string>(kRfcAth));
  EXPECT_EQ(proof.jws.alg->name, "ES256");
  EXPECT_EQ(DpopAccessTokenHash(kRfcAccessToken), kRfcAth);
  EXPECT_EQ(CheckAll(kRfcProof, "GET", kRfcUri, kRfcAccessToken, kRfcIat), v1::REASON_OK);
}

TEST(Rfc9449, Figure13ProofAgainstOtherRequests) {
  EXPECT_EQ(CheckAll(kRfcProof, "POST", kRfcUri, kRfcAccessToken, kRfcIat), v1::REASON_DPOP_HTM_MISMATCH);
  EXPECT_EQ(CheckAll(kRfcProof, "get", kRfcUri, kRfcAccessToken, kRfcIat), v1::REASON_DPOP_HTM_MISMATCH);
  EXPECT_EQ(CheckAll(kRfcProof, "GET", "https://resource.example.org/other", kRfcAccessToken, kRfcIat),
            v1::REASON_DPOP_HTU_MISMATCH);
  // Normalization: the same resource written differently still matches.
  EXPECT_EQ(
      CheckAll(kRfcProof, "GET", "HTTPS://Resource.Example.ORG:443/protectedresource?page=2", kRfcAccessToken, kRfcIat),
      v1::REASON_OK);
  EXPECT_EQ(CheckAll(kRfcProof, "GET", kRfcUri, "another-token", kRfcIat), v1::REASON_DPOP_ATH_MISMATCH);
  // The acceptance window is ±60 s around iat.
  EXPECT_EQ(CheckAll(kRfcProof, "GET", kRfcUri, kRfcAccessToken, kRfcIat + absl::Seconds(60)), v1::REASON_OK);
  EXPECT_EQ(CheckAll(kRfcProof, "GET", kRfcUri, kRfcAccessToken, kRfcIat - absl::Seconds(60)), v1::REASON_OK);
  EXPECT_EQ(CheckAll(kRfcProof, "GET", kRfcUri, kRfcAccessToken, kRfcIat + absl::Seconds(61)),
            v1::REASON_DPOP_IAT_OUT_OF_WINDOW);
  EXPECT_EQ(CheckAll(kRfcProof, "GET", kRfcUri, kRfcAccessToken, kRfcIat - absl::Seconds(61)),
            v1::REASON_DPOP_IAT_OUT_OF_WINDOW);
  // Checked at the token endpoint (no access token presented), ath is not looked at.
  EXPECT_EQ(CheckAll(kRfcProof, "GET", kRfcUri, "", kRfcIat), v1::REASON_OK);
}

TEST(Rfc9449, EveryBitFlipOfTheFigure13SignatureIsRefused) {
  const std::string_view proof = kRfcProof;
  const size_t dot = proof.rfind('.');
  const std::string signature = *Base64UrlDecode(proof.substr(dot + 1));
  for (size_t bit = 0; bit < signature.size() * 8; ++bit) {
    std::string flipped = signature;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    const std::string tampered = StrCat(proof.substr(0, dot + 1), Base64UrlEncode(flipped));
    ASSERT_EQ(CheckAll(tampered, "GET", kRfcUri, kRfcAccessToken, kRfcIat), v1::REASON_DPOP_PROOF_INVALID)
        << "bit " << bit;
  }
}

TEST(Rfc9449, Figure13ProofWithAlgorithmPolicy) {
  DpopProofPolicy es256_only{.algorithms = {FindAlg("ES256")}};
  DpopProof out;
  EXPECT_EQ(ParseDpopProof(kRfcProof, es256_only, out), v1::REASON_OK);
  DpopProofPolicy eddsa_only{.algorithms = {FindAlg("EdDSA"), FindAlg("PS256")}};
  EXPECT_EQ(ParseDpopProof(kRfcProof, eddsa_only, out), v1::REASON_DPOP_ALG_UNSUPPORTED);
}

// RFC 7638 §3.1: the example RSA key and its thumbprint.
TEST(Rfc7638, ExampleThumbprint) {
  boost::json::value key;
  ASSERT_EQ(ParseStrictJson(R"({"kty":"RSA",
      "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      "e":"AQAB","alg":"RS256","kid":"2011-04-29"})",
                            key),
            JsonParseError::kNone);
  auto jwk = Jwk::Parse(key.get_object(), JwkPrivacy::kPublicOnly);
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  EXPECT_EQ(jwk->Thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

// Proofs made with our own signer, so every header and claim can be varied.
class DpopProofTest : public ::testing::Test {
 protected:
  boost::json::object Header(const testing::TestKey& key) const {
    return {{"typ", "dpop+jwt"}, {"alg", std::string(key.alg->name)}, {"jwk", key.public_jwk}};
  }
  boost::json::object Header() const { return Header(es_); }
  boost::json::object Claims() const {
    return {{"jti", "jti-1"}, {"htm", "POST"}, {"htu", kUri}, {"iat", kNow}, {"ath", DpopAccessTokenHash(kToken)}};
  }
  // Signs exactly this header and payload with `key`.
  static std::string Sign(const testing::TestKey& key, const boost::json::object& header, const std::string& payload) {
    const std::string input = StrCat(Base64UrlEncode(ToJson(header)), ".", Base64UrlEncode(payload));
    auto sig = tv::Sign(*key.alg, *key.private_key, input);
    EXPECT_TRUE(sig.ok()) << sig.status();
    return StrCat(input, ".", Base64UrlEncode(sig.value_or("")));
  }
  std::string Proof(const boost::json::object& header, const boost::json::object& claims) const {
    return Sign(es_, header, ToJson(claims));
  }
  std::string Proof() const { return Proof(Header(), Claims()); }
  template <typename Edit>
  std::string WithClaims(Edit edit) const {
    boost::json::object c = Claims();
    edit(c);
    return Proof(Header(), c);
  }
  template <typename Edit>
  std::string WithHeader(Edit edit) const {
    boost::json::object h = Header();
    edit(h);
    return Proof(h, Claims());
  }

  testing::TestKey es_ = testing::MakeKey("ES256", "client-es");
  testing::TestKey other_es_ = testing::MakeKey("ES256", "other");
};

TEST_F(DpopProofTest, ValidProofPassesEveryCheck) {
  EXPECT_EQ(CheckAll(Proof()), v1::REASON_OK);
  const DpopProof parsed = MustParse(Proof());
  EXPECT_EQ(parsed.jkt, es_.private_key->Thumbprint());
  EXPECT_EQ(parsed.nonce, std::nullopt);
}

TEST_F(DpopProofTest, EveryAlgorithmFamily) {
  for (const char* alg : {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}) {
    const testing::TestKey key = testing::MakeKey(alg, "k");
    const std::string proof = Sign(key, Header(key), ToJson(Claims()));
    EXPECT_EQ(CheckAll(proof), v1::REASON_OK) << alg;
    EXPECT_EQ(MustParse(proof).jkt, key.private_key->Thumbprint()) << alg;
  }
}

TEST_F(DpopProofTest, MadeByOurSigner) {
  auto proof = MakeDpopProof(*es_.private_key, {.htm = "POST",
                                                .htu = "https://mcp.example.com/mcp?ignored=1#x",
                                                .iat = kNow,
                                                .access_token = std::string(kToken),
                                                .nonce = std::string("n-1")});
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(CheckAll(*proof), v1::REASON_OK);
  const DpopProof parsed = MustParse(*proof);
  EXPECT_EQ(parsed.htu, kUri);
  EXPECT_EQ(parsed.nonce, std::optional<std::string>("n-1"));
  EXPECT_EQ(parsed.jti.size(), 22u);  // 16 random bytes
  EXPECT_NE(MustParse(*MakeDpopProof(*es_.private_key, {.htm = "GET", .htu = kUri, .iat = kNow})).jti, parsed.jti);
  // A public key cannot sign.
  auto public_only = Jwk::Parse(es_.public_jwk, JwkPrivacy::kPublicOnly);
  ASSERT_TRUE(public_only.ok());
  EXPECT_FALSE(MakeDpopProof(*public_only, {.htm = "GET", .htu = kUri, .iat = kNow}).ok());
}

TEST_F(DpopProofTest, ExactlyOneProof) {
  // Two DPoP header fields, combined as HTTP combines them.
  EXPECT_EQ(CheckAll(StrCat(Proof(), ", ", Proof())), v1::REASON_DPOP_MULTIPLE_PROOFS);
  EXPECT_EQ(CheckAll(StrCat(Proof(), ",")), v1::REASON_DPOP_MULTIPLE_PROOFS);
}

TEST_F(DpopProofTest, MalformedProofs) {
  for (const std::string& bad :
       {std::string("x"), std::string("a.b"), std::string("a.b.c"), StrCat(Proof(), ".x.y"),  // five parts: JWE
        std::string("{\"payload\":\"x\"}"), StrCat(" ", Proof()), std::string(16 * 1024 + 1, 'a')}) {
    EXPECT_EQ(CheckAll(bad), v1::REASON_DPOP_PROOF_INVALID) << bad.substr(0, 40);
  }
  // A header with a crit extension nobody understands.
  EXPECT_EQ(CheckAll(WithHeader([](auto& h) {
              h["crit"] = boost::json::array{"exp"};
              h["exp"] = 1;
            })),
            v1::REASON_DPOP_PROOF_INVALID);
}

TEST_F(DpopProofTest, TypMustBeDpopJwt) {
  EXPECT_EQ(CheckAll(WithHeader([](auto& h) { h.erase("typ"); })), v1::REASON_DPOP_TYP_INVALID);
  for (const char* typ : {"JWT", "at+jwt", "jwt", "dpop", "dpop+jwt ", "application/jwt"}) {
    EXPECT_EQ(CheckAll(WithHeader([&](auto& h) { h["typ"] = typ; })), v1::REASON_DPOP_TYP_INVALID) << typ;
  }
  EXPECT_EQ(CheckAll(WithHeader([](auto& h) { h["typ"] = 7; })), v1::REASON_DPOP_PROOF_INVALID);
  // Media types compare case-insensitively, "application/" optional (RFC 7515 §4.1.9).
  for (const char* typ : {"DPoP+JWT", "application/dpop+jwt"}) {
    EXPECT_EQ(CheckAll(WithHeader([&](auto& h) { h["typ"] = typ; })), v1::REASON_OK) << typ;
  }
}

TEST_F(DpopProofTest, AlgMustBeAsymmetricSupportedAndAllowed) {
  // alg none with an empty signature, and a MAC.
  const std::string header_none =
      ToJson(boost::json::object{{"typ", "dpop+jwt"}, {"alg", "none"}, {"jwk", es_.public_jwk}});
  EXPECT_EQ(CheckAll(StrCat(Base64UrlEncode(header_none), ".", Base64UrlEncode(ToJson(Claims())), ".")),
            v1::REASON_DPOP_ALG_UNSUPPORTED);
  const std::string header_hs =
      ToJson(boost::json::object{{"typ", "dpop+jwt"}, {"alg", "HS256"}, {"jwk", es_.public_jwk}});
  EXPECT_EQ(CheckAll(testing::Assemble(header_hs, ToJson(Claims()), std::string(32, 'm'))),
            v1::REASON_DPOP_ALG_UNSUPPORTED);
  EXPECT_EQ(CheckAll(WithHeader([](auto& h) { h.erase("alg"); })), v1::REASON_DPOP_ALG_UNSUPPORTED);
  EXPECT_EQ(CheckAll(WithHeader([](auto& h) { h["alg"] = "ES256K"; })), v1::REASON_DPOP_ALG_UNSUPPORTED);
  // Supported, but not in authorization.dpop_algorithms.
  const DpopProofPolicy rsa_only{.algorithms = {FindAlg("RS256"), FindAlg("PS256")}};
  EXPECT_EQ(CheckAll(Proof(), "POST", kUri, kToken, absl::FromUnixSeconds(kNow), rsa_only),
            v1::REASON_DPOP_ALG_UNSUPPORTED);
  const DpopProofPolicy es256{.algorithms = {FindAlg("ES256")}};
  EXPECT_EQ(CheckAll(Proof(), "POST", kUri, kToken, absl::FromUnixSeconds(kNow), es256), v1::REASON_OK);
}

TEST_F(DpopProofTest, JwkMustBePresentPublicAndFitTheAlg) {
  EXPECT_EQ(CheckAll(WithHeader([](auto& h) { h.erase("jwk"); })), v1::REASON_DPOP_JWK_INVALID);
  EXPECT_EQ(CheckAll(WithHeader([](auto& h) { h["jwk"] = "not an object"; })), v1::REASON_DPOP_JWK_INVALID);
  // Every private member is refused, even a stray one on an otherwise public key.
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    EXPECT_EQ(CheckAll(WithHeader([&](auto& h) { h["jwk"].as_object()[member] = "AQAB"; })),
              v1::REASON_DPOP_JWK_INVALID)
        << member;
  }
  // The whole private key, as a careless client might send it.
  boost::json::object private_jwk = es_.public_jwk;
  private_jwk["d"] = "AAAA";
  EXPECT_EQ(CheckAll(WithHeader([&](auto& h) { h["jwk"] = private_jwk; })), v1::REASON_DPOP_JWK_INVALID);
  // A symmetric key, a key of another type than alg, a point off the curve.
  EXPECT_EQ(CheckAll(WithHeader([](auto& h) {
              h["jwk"] = boost::json::object{{"kty", "oct"}, {"k", "c2VjcmV0"}};
            })),
            v1::REASON_DPOP_JWK_INVALID);
  const testing::TestKey rsa = testing::MakeKey("RS256", "rsa");
  EXPECT_EQ(CheckAll(WithHeader([&](auto& h) { h["jwk"] = rsa.public_jwk; })), v1::REASON_DPOP_JWK_INVALID);
  EXPECT_EQ(
      CheckAll(WithHeader([](auto& h) { h["jwk"].as_object()["y"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; })),
      v1::REASON_DPOP_JWK_INVALID);
  // The key's own alg must be the header's.
  EXPECT_EQ(CheckAll(WithHeader([](auto& h) { h["jwk"].as_object()["alg"] = "ES384"; })), v1::REASON_DPOP_JWK_INVALID);
}

TEST_F(DpopProofTest, SignatureMustVerifyWithTheHeaderKey) {
  // Signed by one key, carrying another's public key.
  const std::string forged = Sign(other_es_, Header(es_), ToJson(Claims()));
  DpopProof parsed = MustParse(forged);
  EXPECT_EQ(parsed.jkt, es_.private_key->Thumbprint());
  EXPECT_EQ(CheckAll(forged), v1::REASON_DPOP_PROOF_INVALID);
  // Payload changed after signing.
  const std::string good = Proof();
  const size_t first = good.find('.'), second = good.rfind('.');
  boost::json::object changed = Claims();
  changed["htm"] = "DELETE";
  const std::string altered = StrCat(good.substr(0, first + 1), Base64UrlEncode(ToJson(changed)), good.substr(second));
  EXPECT_EQ(CheckAll(altered, "DELETE"), v1::REASON_DPOP_PROOF_INVALID);
}

TEST_F(DpopProofTest, ClaimsMustBePresentAndTyped) {
  for (const char* name : {"jti", "htm", "htu", "iat"}) {
    EXPECT_EQ(CheckAll(WithClaims([&](auto& c) { c.erase(name); })), v1::REASON_DPOP_PROOF_INVALID) << name;
    EXPECT_EQ(CheckAll(WithClaims([&](auto& c) { c[name] = boost::json::array{}; })), v1::REASON_DPOP_PROOF_INVALID)
        << name;
  }
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["iat"] = std::to_string(kNow); })), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["iat"] = -1; })), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["ath"] = 5; })), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["nonce"] = true; })), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["jti"] = ""; })), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["jti"] = std::string(513, 'j'); })), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["jti"] = std::string(512, 'j'); })), v1::REASON_OK);
  // A payload that is not an object, and one with a repeated member.
  EXPECT_EQ(CheckAll(Sign(es_, Header(), "[1,2]")), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(CheckAll(Sign(es_, Header(),
                          StrCat(R"({"jti":"a","jti":"b","htm":"POST","htu":")", kUri, R"(","iat":)", kNow,
                                 R"(,"ath":")", DpopAccessTokenHash(kToken), R"("})"))),
            v1::REASON_DPOP_PROOF_INVALID);
  // A fractional iat is a NumericDate too.
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["iat"] = kNow + 0.5; })), v1::REASON_OK);
}

TEST_F(DpopProofTest, HtmMustEqualTheMethod) {
  EXPECT_EQ(CheckAll(Proof(), "GET"), v1::REASON_DPOP_HTM_MISMATCH);
  EXPECT_EQ(CheckAll(Proof(), "post"), v1::REASON_DPOP_HTM_MISMATCH);  // methods are case-sensitive
  EXPECT_EQ(CheckAll(Proof(), ""), v1::REASON_DPOP_HTM_MISMATCH);
}

TEST_F(DpopProofTest, HtuMustEqualTheRequestUri) {
  EXPECT_EQ(CheckAll(Proof(), "POST", "https://mcp.example.com/other"), v1::REASON_DPOP_HTU_MISMATCH);
  EXPECT_EQ(CheckAll(Proof(), "POST", "https://mcp.example.com:8443/mcp"), v1::REASON_DPOP_HTU_MISMATCH);
  EXPECT_EQ(CheckAll(Proof(), "POST", "http://mcp.example.com/mcp"), v1::REASON_DPOP_HTU_MISMATCH);
  EXPECT_EQ(CheckAll(Proof(), "POST", ""), v1::REASON_DPOP_HTU_MISMATCH);
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["htu"] = "/mcp"; })), v1::REASON_DPOP_HTU_MISMATCH);
  // Query and fragment of the request are ignored; equivalent spellings match.
  EXPECT_EQ(CheckAll(Proof(), "POST", "https://MCP.example.com:443/./mcp?sessionId=1"), v1::REASON_OK);
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["htu"] = "https://mcp.example.com/%6dcp"; })), v1::REASON_OK);
}

TEST_F(DpopProofTest, IatMustBeWithinTheWindow) {
  for (int64_t offset : {-60, -1, 0, 1, 60}) {
    EXPECT_EQ(CheckAll(WithClaims([&](auto& c) { c["iat"] = kNow + offset; })), v1::REASON_OK) << offset;
  }
  for (int64_t offset : {int64_t{-61}, int64_t{61}, int64_t{-3600}, int64_t{3600}, -kNow}) {
    EXPECT_EQ(CheckAll(WithClaims([&](auto& c) { c["iat"] = kNow + offset; })), v1::REASON_DPOP_IAT_OUT_OF_WINDOW)
        << offset;
  }
}

TEST_F(DpopProofTest, AthMustHashThePresentedToken) {
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c.erase("ath"); })), v1::REASON_DPOP_ATH_MISMATCH);
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["ath"] = DpopAccessTokenHash("another.token.x"); })),
            v1::REASON_DPOP_ATH_MISMATCH);
  // The hex digest, or padded base64url, is not base64url(SHA-256).
  EXPECT_EQ(CheckAll(WithClaims([](auto& c) { c["ath"] = DpopAccessTokenHash(kToken) + "="; })),
            v1::REASON_DPOP_ATH_MISMATCH);
  EXPECT_EQ(CheckAll(Proof(), "POST", kUri, "an.access.tokeN"), v1::REASON_DPOP_ATH_MISMATCH);
}

// Keys are remembered by their thumbprint and the algorithm, so a client that
// spells its key differently in every proof (a new kid each time: found by review,
// 20x the CPU per proof with an RSA-4096 key) still finds it built.
TEST_F(DpopProofTest, BuiltKeysAreRememberedByThumbprint) {
  DpopKeyCache keys(64);
  DpopProof first, second, other;
  // A parsed proof points into its text: the texts outlive them.
  const std::string proof = Proof();
  ASSERT_EQ(ParseDpopProof(proof, {}, first), v1::REASON_OK);
  const std::string id = StrCat(es_.private_key->Thumbprint(), " ES256");
  EXPECT_EQ(keys.Find(id), nullptr);  // parsing builds no key
  ASSERT_EQ(VerifyDpopSignature(first, &keys), v1::REASON_OK);
  const std::shared_ptr<const Jwk> built = keys.Find(id);
  ASSERT_NE(built, nullptr);
  ASSERT_EQ(ParseDpopProof(proof, {}, second), v1::REASON_OK);
  ASSERT_EQ(VerifyDpopSignature(second, &keys), v1::REASON_OK);
  EXPECT_EQ(keys.Find(id), built);
  EXPECT_EQ(second.jkt, es_.private_key->Thumbprint());
  // Another spelling of the same key (a kid, a use) is the same entry.
  DpopProof renamed_proof;
  boost::json::object renamed = es_.public_jwk;
  renamed["kid"] = "renamed";
  renamed["use"] = "sig";
  const std::string renamed_text = WithHeader([&](auto& h) { h["jwk"] = renamed; });
  ASSERT_EQ(ParseDpopProof(renamed_text, {}, renamed_proof), v1::REASON_OK);
  ASSERT_EQ(VerifyDpopSignature(renamed_proof, &keys), v1::REASON_OK);
  EXPECT_EQ(keys.Find(id), built);
  EXPECT_EQ(renamed_proof.jkt, first.jkt);
  // What a spelling adds is checked on each proof, cached key or not.
  for (auto edit : std::vector<std::function<void(boost::json::object&)>>{
           [](auto& jwk) { jwk["alg"] = "ES384"; }, [](auto& jwk) { jwk["use"] = "enc"; },
           [](auto& jwk) { jwk["key_ops"] = boost::json::array{"encrypt"}; }}) {
    boost::json::object jwk = es_.public_jwk;
    edit(jwk);
    EXPECT_EQ(ParseDpopProof(WithHeader([&](auto& h) { h["jwk"] = jwk; }), {}, other), v1::REASON_DPOP_JWK_INVALID)
        << ToJson(jwk);
  }
  // A cached key does not make a proof for another alg acceptable.
  const std::string header_rs =
      ToJson(boost::json::object{{"typ", "dpop+jwt"}, {"alg", "RS256"}, {"jwk", es_.public_jwk}});
  EXPECT_EQ(ParseDpopProof(testing::Assemble(header_rs, ToJson(Claims()), std::string(256, 's')), {}, other),
            v1::REASON_DPOP_JWK_INVALID);
  // A private key is refused before anything else, whatever it holds.
  boost::json::object private_jwk = es_.public_jwk;
  private_jwk["d"] = "AAAA";
  EXPECT_EQ(ParseDpopProof(WithHeader([&](auto& h) { h["jwk"] = private_jwk; }), {}, other),
            v1::REASON_DPOP_JWK_INVALID);
  // Bounded: old keys leave. With one entry per shard, the first new key that lands
  // in this key's shard pushes it out; which one that is depends on the hash, so
  // keys are added until it happens (1,000 misses in a row has odds of 1e-28).
  DpopKeyCache small(1);
  ASSERT_EQ(VerifyDpopSignature(first, &small), v1::REASON_OK);
  ASSERT_NE(small.Find(id), nullptr);
  for (int i = 0; i < 1000 && small.Find(id) != nullptr; ++i) {
    const testing::TestKey k = testing::MakeKey("EdDSA", "");
    const std::string signed_by_k = Sign(k, Header(k), ToJson(Claims()));
    ASSERT_EQ(ParseDpopProof(signed_by_k, {}, other), v1::REASON_OK);
    ASSERT_EQ(VerifyDpopSignature(other, &small), v1::REASON_OK);
  }
  EXPECT_EQ(small.Find(id), nullptr);
}

// Issue 14 item 3: a 16384-bit RSA modulus in a proof header (with alg ES256) cost
// ~0.8 s of CPU to build and check before anything cheap refused the proof. Keys
// are now judged by their members first: kty and crv against alg, coordinate sizes,
// an RSA modulus of at most 4096 bits. A key that fits by its members is built only
// after the request checks, so a proof with the wrong htm never builds its key.
TEST_F(DpopProofTest, KeysAreJudgedByTheirMembersBeforeTheyAreBuilt) {
  auto rsa_jwk = [](size_t modulus_bytes, char first_byte) {
    std::string n(modulus_bytes, '\xff');
    n.front() = first_byte;
    return boost::json::object{{"kty", "RSA"}, {"e", "AQAB"}, {"n", Base64UrlEncode(n)}};
  };
  auto rsa_proof = [&](const boost::json::object& jwk) {
    return testing::Assemble(ToJson(boost::json::object{{"typ", "dpop+jwt"}, {"alg", "RS256"}, {"jwk", jwk}}),
                             ToJson(Claims()), std::string(256, 's'));
  };
  DpopProof out;
  // 16384 bits, under ES256 and under RS256.
  EXPECT_EQ(ParseDpopProof(WithHeader([&](auto& h) { h["jwk"] = rsa_jwk(2048, '\xff'); }), {}, out),
            v1::REASON_DPOP_JWK_INVALID);
  EXPECT_EQ(ParseDpopProof(rsa_proof(rsa_jwk(2048, '\xff')), {}, out), v1::REASON_DPOP_JWK_INVALID);
  // 4097 bits is over; 4096 passes the member check (whether it builds is later).
  EXPECT_EQ(ParseDpopProof(rsa_proof(rsa_jwk(513, '\x01')), {}, out), v1::REASON_DPOP_JWK_INVALID);
  EXPECT_EQ(ParseDpopProof(rsa_proof(rsa_jwk(512, '\xff')), {}, out), v1::REASON_OK);
  // A public exponent over 32 bits (as costly to verify with as a private key).
  boost::json::object big_e = rsa_jwk(512, '\xff');
  big_e["e"] = Base64UrlEncode(std::string(5, '\x01'));
  EXPECT_EQ(ParseDpopProof(rsa_proof(big_e), {}, out), v1::REASON_DPOP_JWK_INVALID);
  // Below 2048 bits, and a modulus with a leading zero byte, by its members too.
  EXPECT_EQ(ParseDpopProof(rsa_proof(rsa_jwk(255, '\xff')), {}, out), v1::REASON_DPOP_JWK_INVALID);
  EXPECT_EQ(ParseDpopProof(rsa_proof(rsa_jwk(300, '\0')), {}, out), v1::REASON_DPOP_JWK_INVALID);
  // EC coordinates of the wrong size, an OKP key under ES256.
  EXPECT_EQ(ParseDpopProof(WithHeader([](auto& h) { h["jwk"].as_object()["x"] = Base64UrlEncode(std::string(33, 'x')); }),
                           {}, out),
            v1::REASON_DPOP_JWK_INVALID);
  const testing::TestKey ed = testing::MakeKey("EdDSA", "");
  EXPECT_EQ(ParseDpopProof(WithHeader([&](auto& h) { h["jwk"] = ed.public_jwk; }), {}, out),
            v1::REASON_DPOP_JWK_INVALID);
  // A point off the curve fits by its members: the wrong htm is what is reported,
  // so the key was not built to refuse it; with the right htm, building refuses it.
  DpopKeyCache keys(8);
  const std::string off_curve =
      WithHeader([](auto& h) { h["jwk"].as_object()["y"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; });
  EXPECT_EQ(CheckAll(off_curve, "GET"), v1::REASON_DPOP_HTM_MISMATCH);
  ASSERT_EQ(ParseDpopProof(off_curve, {}, out), v1::REASON_OK);
  EXPECT_EQ(VerifyDpopSignature(out, &keys), v1::REASON_DPOP_JWK_INVALID);
  EXPECT_EQ(keys.Find(StrCat(out.jkt, " ES256")), nullptr);
}

TEST_F(DpopProofTest, CheapChecksComeBeforeTheSignature) {
  // A proof signed by the wrong key that also names the wrong method: the method
  // is what is reported, so the signature was never needed to refuse it.
  const std::string forged = Sign(other_es_, Header(es_), ToJson(Claims()));
  EXPECT_EQ(CheckAll(forged, "GET"), v1::REASON_DPOP_HTM_MISMATCH);
  EXPECT_EQ(CheckAll(forged, "POST", "https://mcp.example.com/x"), v1::REASON_DPOP_HTU_MISMATCH);
}

}  // namespace
}  // namespace mcpauth::tv
