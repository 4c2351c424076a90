// The compact JWS parser and header checks. Tokens here are hand-built byte
// strings; only the parse step runs, so signatures need not be valid.
#include "services/token_validation/jws.h"

#include <gtest/gtest.h>

#include "services/common/base64url.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

using testing::Assemble;

Reason Parse(const std::string& token) {
  ParsedJws out;
  return ParseCompactJws(token, out);
}

Reason ParseHeader(const std::string& header_json) {
  return Parse(Assemble(header_json, R"({"iss":"x"})", std::string(64, 'x')));
}

TEST(Jws, AcceptsWellFormed) {
  ParsedJws out;
  ASSERT_EQ(ParseCompactJws(Assemble(R"({"alg":"ES256","kid":"k1","typ":"at+jwt"})", "{}", "sig"), out),
            v1::REASON_OK);
  EXPECT_EQ(out.alg->name, "ES256");
  EXPECT_EQ(out.kid, std::optional<std::string>("k1"));
  EXPECT_EQ(out.typ, std::optional<std::string>("at+jwt"));
  EXPECT_EQ(out.payload, "{}");
  EXPECT_EQ(out.signature, "sig");
}

TEST(Jws, Shape) {
  EXPECT_EQ(Parse(""), v1::REASON_TOKEN_MISSING);
  EXPECT_EQ(Parse("abc"), v1::REASON_JWT_MALFORMED);
  EXPECT_EQ(Parse("a.b"), v1::REASON_JWT_MALFORMED);
  EXPECT_EQ(Parse("a.b.c.d"), v1::REASON_JWT_MALFORMED);
  EXPECT_EQ(Parse("a.b.c.d.e"), v1::REASON_JWE_UNSUPPORTED);
  EXPECT_EQ(Parse(R"({"payload":"e30","signatures":[]})"), v1::REASON_JWS_JSON_UNSUPPORTED);
}

TEST(Jws, StrictBase64PerSegment) {
  const std::string h = Base64UrlEncode(R"({"alg":"ES256"})");
  const std::string p = Base64UrlEncode("{}");
  EXPECT_EQ(Parse(h + "=." + p + ".c2ln"), v1::REASON_HEADER_BAD_BASE64);
  EXPECT_EQ(Parse("." + p + ".c2ln"), v1::REASON_HEADER_BAD_BASE64);
  EXPECT_EQ(Parse(h + ".e30=.c2ln"), v1::REASON_PAYLOAD_BAD_BASE64);
  EXPECT_EQ(Parse(h + "." + p + ".c2ln+"), v1::REASON_SIGNATURE_BAD_BASE64);
  EXPECT_EQ(Parse(h + "." + p + ".c2lu"), v1::REASON_OK);
  EXPECT_EQ(Parse(h + "." + p + ".c2l"), v1::REASON_SIGNATURE_BAD_BASE64);  // non-canonical last bits
}

TEST(Jws, HeaderMustBeAnObjectWithoutDuplicates) {
  EXPECT_EQ(ParseHeader("[]"), v1::REASON_HEADER_BAD_JSON);
  EXPECT_EQ(ParseHeader("not json"), v1::REASON_HEADER_BAD_JSON);
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","alg":"none"})"), v1::REASON_DUPLICATE_MEMBER);
}

TEST(Jws, Algorithms) {
  EXPECT_EQ(ParseHeader(R"({"kid":"k"})"), v1::REASON_ALG_MISSING);
  EXPECT_EQ(ParseHeader(R"({"alg":256})"), v1::REASON_HEADER_PARAM_INVALID);
  for (const char* alg : {"none", "None", "NONE", "nOnE", "HS256", "HS384", "HS512", "ES256K", "RS1", "",
                          "es256", "Ed25519", "ES256 "}) {
    EXPECT_EQ(ParseHeader(std::string(R"({"alg":")") + alg + "\"}"), v1::REASON_ALG_UNSUPPORTED) << alg;
  }
  for (const char* alg : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}) {
    EXPECT_EQ(ParseHeader(std::string(R"({"alg":")") + alg + "\"}"), v1::REASON_OK) << alg;
  }
}

TEST(Jws, HeaderParameterTypes) {
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","kid":7})"), v1::REASON_HEADER_PARAM_INVALID);
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","typ":["at+jwt"]})"), v1::REASON_HEADER_PARAM_INVALID);
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","cty":{}})"), v1::REASON_HEADER_PARAM_INVALID);
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","b64":false})"), v1::REASON_HEADER_PARAM_INVALID);
}

TEST(Jws, CriticalExtensions) {
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","crit":["exp"],"exp":1})"), v1::REASON_CRIT_UNSUPPORTED);
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","crit":["b64"],"b64":false})"), v1::REASON_CRIT_UNSUPPORTED);
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","crit":[]})"), v1::REASON_HEADER_PARAM_INVALID);
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","crit":"exp"})"), v1::REASON_HEADER_PARAM_INVALID);
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","crit":[1]})"), v1::REASON_HEADER_PARAM_INVALID);
}

// Key-carrying header parameters are parsed past, never used (see validator tests).
TEST(Jws, KeyHeadersAreIgnoredNotRejected) {
  EXPECT_EQ(ParseHeader(R"({"alg":"ES256","jku":"https://evil/jwks","x5u":"https://evil/x","jwk":{"kty":"EC"}})"),
            v1::REASON_OK);
}

TEST(Jws, AccessTokenTypes) {
  for (const char* ok : {"at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT", "JWT", "jwt"}) {
    EXPECT_TRUE(IsAccessTokenTyp(std::string(ok))) << ok;
  }
  EXPECT_TRUE(IsAccessTokenTyp(std::nullopt));
  for (const char* bad : {"dpop+jwt", "application/dpop+jwt", "id_token+jwt", "logout+jwt", "JOSE", "", "at+jwt "}) {
    EXPECT_FALSE(IsAccessTokenTyp(std::string(bad))) << bad;
  }
}

}  // namespace
}  // namespace mcpauth::tv
