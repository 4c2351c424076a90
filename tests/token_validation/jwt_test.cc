#include "services/token_validation/jwt.h"

#include <gtest/gtest.h>

namespace mcpauth::tv {
namespace {

Reason Claims(const std::string& payload, JwtClaims* out = nullptr) {
  JwtClaims c;
  Reason r = ParseJwtClaims(payload, c);
  if (out) *out = c;
  return r;
}

TEST(JwtClaims, ExtractsRegisteredClaims) {
  JwtClaims c;
  ASSERT_EQ(Claims(R"({"iss":"https://as","sub":"alice","aud":["a","b"],"exp":1700000100,"nbf":1700000000,
                       "iat":1700000000,"jti":"j1","client_id":"c1","scope":"read  write","cnf":{"jkt":"abc"}})",
                   &c),
            v1::REASON_OK);
  EXPECT_EQ(c.issuer, std::optional<std::string>("https://as"));
  EXPECT_EQ(c.subject, std::optional<std::string>("alice"));
  EXPECT_EQ(c.audiences, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.expires_at, 1700000100.0);
  EXPECT_EQ(c.token_id, std::optional<std::string>("j1"));
  EXPECT_EQ(c.client_id, std::optional<std::string>("c1"));
  EXPECT_EQ(c.scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(c.confirmation_jkt, std::optional<std::string>("abc"));
}

TEST(JwtClaims, ScopesFromScpAndAzpFallback) {
  JwtClaims c;
  ASSERT_EQ(Claims(R"({"scp":["files:read","files:delete"],"azp":"spa"})", &c), v1::REASON_OK);
  EXPECT_EQ(c.scopes, (std::vector<std::string>{"files:read", "files:delete"}));
  EXPECT_EQ(c.client_id, std::optional<std::string>("spa"));
  ASSERT_EQ(Claims(R"({"scp":"a b"})", &c), v1::REASON_OK);
  EXPECT_EQ(c.scopes, (std::vector<std::string>{"a", "b"}));
}

TEST(JwtClaims, PayloadShape) {
  EXPECT_EQ(Claims("not json"), v1::REASON_PAYLOAD_BAD_JSON);
  EXPECT_EQ(Claims(""), v1::REASON_PAYLOAD_BAD_JSON);
  EXPECT_EQ(Claims("[1,2]"), v1::REASON_PAYLOAD_NOT_OBJECT);
  EXPECT_EQ(Claims("\"str\""), v1::REASON_PAYLOAD_NOT_OBJECT);
  EXPECT_EQ(Claims(R"({"sub":"alice","sub":"admin"})"), v1::REASON_DUPLICATE_MEMBER);
}

TEST(JwtClaims, WrongTypes) {
  for (const char* payload : {R"({"iss":1})", R"({"sub":{}})", R"({"aud":1})", R"({"aud":["a",2]})",
                              R"({"exp":"1700000000"})", R"({"exp":true})", R"({"nbf":[1]})", R"({"iat":null})",
                              R"({"exp":-1})", R"({"exp":1e300})", R"({"exp":253402300800})",
                              R"({"scope":["a"]})", R"({"scp":{"a":1}})", R"({"scp":[1]})", R"({"jti":5})",
                              R"({"client_id":5})", R"({"cnf":"x"})", R"({"cnf":{"jkt":1}})"}) {
    EXPECT_EQ(Claims(payload), v1::REASON_CLAIM_WRONG_TYPE) << payload;
  }
}

// Identity claims end up in headers and log lines: a CR/LF (or any control
// character) in them would let a token's author write headers of its own.
TEST(JwtClaims, ControlCharactersInIdentityClaimsAreRefused) {
  for (const char* payload : {R"({"sub":"alice\r\nX-MCP-Auth-Scopes: admin"})", R"({"sub":"a\u0000b"})",
                              R"({"iss":"https://as\n"})", R"({"client_id":"c\u007f"})", R"({"azp":"c\u001b"})",
                              R"({"scope":"read admin\r\nX-Injected: 1"})", R"({"scope":"read\tadmin"})",
                              R"({"scp":["files:read","x\ny"]})"}) {
    EXPECT_EQ(Claims(payload), v1::REASON_CLAIM_CONTROL_CHARACTERS) << payload;
  }
  // Other claims may hold them (they are never written as headers), and non-ASCII
  // subjects are fine.
  EXPECT_EQ(Claims(R"({"sub":"zoë","jti":"a\nb","name":"x\ty"})"), v1::REASON_OK);
}

JwtClaims Times(std::optional<double> exp, std::optional<double> nbf = {}, std::optional<double> iat = {}) {
  JwtClaims c;
  c.expires_at = exp;
  c.not_before = nbf;
  c.issued_at = iat;
  return c;
}

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

TEST(JwtTimes, ExpIsRequired) { EXPECT_EQ(CheckTimes(Times({}), kNow, absl::Seconds(60)), v1::REASON_EXP_MISSING); }

TEST(JwtTimes, ExpWithLeeway) {
  const absl::Duration leeway = absl::Seconds(60);
  EXPECT_EQ(CheckTimes(Times(1'700'000'001), kNow, absl::ZeroDuration()), v1::REASON_OK);
  EXPECT_EQ(CheckTimes(Times(1'700'000'000), kNow, absl::ZeroDuration()), v1::REASON_EXPIRED);
  EXPECT_EQ(CheckTimes(Times(1'699'999'941), kNow, leeway), v1::REASON_OK);
  EXPECT_EQ(CheckTimes(Times(1'699'999'940), kNow, leeway), v1::REASON_EXPIRED);
  EXPECT_EQ(CheckTimes(Times(0), kNow, leeway), v1::REASON_EXPIRED);
}

TEST(JwtTimes, NotBeforeAndIssuedAtWithLeeway) {
  const absl::Duration leeway = absl::Seconds(60);
  const double exp = 1'700'003'600;
  EXPECT_EQ(CheckTimes(Times(exp, 1'700'000'060), kNow, leeway), v1::REASON_OK);
  EXPECT_EQ(CheckTimes(Times(exp, 1'700'000'061), kNow, leeway), v1::REASON_NOT_YET_VALID);
  EXPECT_EQ(CheckTimes(Times(exp, {}, 1'700'000'060), kNow, leeway), v1::REASON_OK);
  EXPECT_EQ(CheckTimes(Times(exp, {}, 1'700'000'061), kNow, leeway), v1::REASON_IAT_IN_FUTURE);
}

TEST(JwtAudience, StringOrArrayExactMatch) {
  JwtClaims c;
  EXPECT_EQ(CheckAudience(c, {"https://mcp.example.com/mcp"}), v1::REASON_AUDIENCE_MISSING);
  ASSERT_EQ(Claims(R"({"aud":[]})", &c), v1::REASON_OK);
  EXPECT_EQ(CheckAudience(c, {"https://mcp.example.com/mcp"}), v1::REASON_AUDIENCE_MISSING);
  ASSERT_EQ(Claims(R"({"aud":"https://mcp.example.com/mcp"})", &c), v1::REASON_OK);
  EXPECT_EQ(CheckAudience(c, {"https://mcp.example.com/mcp"}), v1::REASON_OK);
  EXPECT_EQ(CheckAudience(c, {"https://mcp.example.com/mcp/"}), v1::REASON_AUDIENCE_MISMATCH);
  EXPECT_EQ(CheckAudience(c, {"https://MCP.example.com/mcp"}), v1::REASON_AUDIENCE_MISMATCH);
  ASSERT_EQ(Claims(R"({"aud":["https://other","https://mcp.example.com/mcp"]})", &c), v1::REASON_OK);
  EXPECT_EQ(CheckAudience(c, {"https://mcp.example.com/mcp"}), v1::REASON_OK);
  ASSERT_EQ(Claims(R"({"aud":"https://mcp.example.com"})", &c), v1::REASON_OK);
  EXPECT_EQ(CheckAudience(c, {"https://mcp.example.com/mcp"}), v1::REASON_AUDIENCE_MISMATCH);
}

}  // namespace
}  // namespace mcpauth::tv
