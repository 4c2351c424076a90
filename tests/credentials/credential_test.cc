// The pieces of mcpauth-credentials on their own: what a binding may say, how records
// are authenticated, and what makes a grant good — every rule with a case that breaks it.
#include "services/credentials/credential.h"

#include <gtest/gtest.h>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/credentials/grant.h"
#include "services/token_validation/keygen.h"

namespace mcpauth::credentials {
namespace {

boost::json::object Header() {
  return {{"mcpauth_iss", "https://login.example.com"},
          {"mcpauth_sub", "alice"},
          {"mcpauth_hosts", boost::json::array{"api.example.com", "API.Example.com:8443"}},
          {"mcpauth_inject", {{"kind", "bearer"}}},
          {"mcpauth_label", "github"}};
}

std::string Error(const boost::json::object& header) {
  auto b = ReadBinding(header);
  return b.ok() ? "ok" : std::string(b.status().message());
}

TEST(BindingTest, AGoodBindingRoundTrips) {
  auto b = ReadBinding(Header());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->Owner(), "https://login.example.com\nalice");
  EXPECT_EQ(b->hosts, (std::vector<std::string>{"api.example.com", "api.example.com:8443"}));
  EXPECT_TRUE(AllowsHost(*b, "API.example.COM"));
  EXPECT_TRUE(AllowsHost(*b, "api.example.com:8443"));
  EXPECT_FALSE(AllowsHost(*b, "api.example.com:444"));
  EXPECT_FALSE(AllowsHost(*b, "evil.api.example.com"));
  EXPECT_FALSE(AllowsHost(*b, "api.example.com.evil.test"));
  EXPECT_TRUE(AllowsResource(*b, "https://any.example.com/mcp"));  // no resources: any
  boost::json::object bound = Header();
  bound["mcpauth_resources"] = boost::json::array{"https://mcp.example.com/mcp"};
  auto for_one = ReadBinding(bound);
  ASSERT_TRUE(for_one.ok());
  EXPECT_TRUE(AllowsResource(*for_one, "https://mcp.example.com/mcp"));
  EXPECT_FALSE(AllowsResource(*for_one, "https://other.example.com/mcp"));
  auto again = ReadBinding(BindingHeader(*b));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->hosts, b->hosts);
  EXPECT_EQ(again->label, "github");
}

TEST(BindingTest, EveryMemberIsChecked) {
  struct Case {
    const char* name;
    std::function<void(boost::json::object&)> edit;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"no issuer", [](auto& h) { h.erase("mcpauth_iss"); }, "mcpauth_iss: is required"},
      {"CR/LF in the subject", [](auto& h) { h["mcpauth_sub"] = "alice\r\nX: y"; }, "mcpauth_sub: holds control characters"},
      {"a subject of the wrong type", [](auto& h) { h["mcpauth_sub"] = 7; }, "mcpauth_sub: must be a non-empty string"},
      {"no hosts", [](auto& h) { h["mcpauth_hosts"] = boost::json::array{}; }, "mcpauth_hosts: must be a non-empty array"},
      {"a wildcard host", [](auto& h) { h["mcpauth_hosts"] = boost::json::array{"*.example.com"}; }, "is not a host or host:port"},
      {"a host with a path", [](auto& h) { h["mcpauth_hosts"] = boost::json::array{"api.example.com/v1"}; }, "is not a host or host:port"},
      {"a host with a user", [](auto& h) { h["mcpauth_hosts"] = boost::json::array{"me@api.example.com"}; }, "is not a host or host:port"},
      {"a URL for a host", [](auto& h) { h["mcpauth_hosts"] = boost::json::array{"https://api.example.com"}; }, "is not a host or host:port"},
      {"an unknown injection", [](auto& h) { h["mcpauth_inject"] = {{"kind", "cookie"}}; }, "mcpauth_inject.kind: \"cookie\" is not bearer, header or query"},
      {"a header injection into Host", [](auto& h) { h["mcpauth_inject"] = {{"kind", "header"}, {"name", "Host"}}; }, "is not a header name the egress may set"},
      {"a header name with a space", [](auto& h) { h["mcpauth_inject"] = {{"kind", "header"}, {"name", "X Key"}}; }, "is not a header name the egress may set"},
      {"a query name with '&'", [](auto& h) { h["mcpauth_inject"] = {{"kind", "query"}, {"name", "a&b"}}; }, "is not a query parameter name"},
      {"a name with bearer", [](auto& h) { h["mcpauth_inject"] = {{"kind", "bearer"}, {"name", "x"}}; }, "is not used with kind bearer"},
      {"a label with upper case", [](auto& h) { h["mcpauth_label"] = "GitHub"; }, "mcpauth_label: must be 1 to 64 of a-z 0-9 - _"},
      {"a label with '='", [](auto& h) { h["mcpauth_label"] = "a=b"; }, "mcpauth_label: must be 1 to 64 of a-z 0-9 - _"},
      {"an expiry that is not a date", [](auto& h) { h["mcpauth_exp"] = "tomorrow"; }, "mcpauth_exp: must be a NumericDate"},
      {"a resource that is not a URI", [](auto& h) { h["mcpauth_resources"] = boost::json::array{"mcp"}; }, "mcpauth_resources: must hold absolute"},
      {"no resources in the list", [](auto& h) { h["mcpauth_resources"] = boost::json::array{}; }, "mcpauth_resources: must be a non-empty array"},
  };
  for (const Case& c : cases) {
    boost::json::object h = Header();
    c.edit(h);
    EXPECT_NE(Error(h).find(c.error), std::string::npos) << c.name << ": " << Error(h);
  }
}

TEST(RecordTest, OnlyTheRecordSecretMakesARecordThatReadsBack) {
  const CredentialRecord record{.handle = NewHandle(), .sealed = "a.b.c.d.e", .created_at = 1700000000};
  EXPECT_EQ(record.handle.size(), 2u + 22u);
  const std::string stored = SerializeRecord(record, "record-secret-of-at-least-32-bytes!");
  auto read = ParseRecord(stored, record.handle, "record-secret-of-at-least-32-bytes!");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->sealed, "a.b.c.d.e");
  EXPECT_FALSE(ParseRecord(stored, record.handle, "another-secret-of-at-least-32-bytes").ok());
  EXPECT_EQ(ParseRecord(stored, "h_other", "record-secret-of-at-least-32-bytes!").status().message(),
            "the stored record belongs to another handle");
  boost::json::value v;
  ASSERT_EQ(ParseStrictJson(stored, v), JsonParseError::kNone);
  v.as_object()["sealed"] = "x.y.z.w.v";
  EXPECT_FALSE(ParseRecord(ToJson(v), record.handle, "record-secret-of-at-least-32-bytes!").ok());
  EXPECT_FALSE(ParseRecord("not json", record.handle, "record-secret-of-at-least-32-bytes!").ok());
  EXPECT_NE(NewHandle(), NewHandle());
}

class GrantTest : public ::testing::Test {
 protected:
  static tv::Jwk Key(const std::string& kid, const char* alg = "ES256") {
    return *tv::Jwk::Parse(*tv::GeneratePrivateJwk(*tv::FindAlg(alg), kid), tv::JwkPrivacy::kAllowPrivate);
  }
  GrantTest() : key_(Key("gw-1")) {
    keys_ = *tv::ParseJwks(ToJson(boost::json::object{{"keys", boost::json::array{key_.PublicJson()}}}));
  }
  Grant Good() const {
    return {.token_issuer = "https://login.example.com", .subject = "alice", .client_id = "cli", .resource = "https://mcp.example.com/mcp", .jti = "",
            .issued_at = now_, .expires_at = now_ + absl::Seconds(60), .max_uses = 3};
  }
  GrantCheck Check(const std::string& token, absl::Duration later = absl::ZeroDuration()) const {
    return VerifyGrant(token, keys_, now_ + later);
  }
  // A grant with its claims replaced, signed by the gateway's key.
  std::string Signed(const boost::json::object& claims, const std::string& typ = kGrantTyp) const {
    return *tv::SignCompact(*tv::FindAlg("ES256"), key_, {{"typ", typ}}, ToJson(claims));
  }

  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  tv::Jwk key_;
  tv::KeySet keys_;
};

TEST_F(GrantTest, AGrantSpeaksForItsOwnerUntilItExpires) {
  const std::string token = *MintGrant(key_, Good());
  const GrantCheck ok = Check(token);
  ASSERT_EQ(ok.refusal, GrantRefusal::kNone) << ok.detail;
  EXPECT_EQ(ok.grant.Owner(), "https://login.example.com\nalice");
  EXPECT_EQ(ok.grant.client_id, "cli");
  EXPECT_EQ(ok.grant.max_uses, 3);
  EXPECT_EQ(ok.grant.jti.size(), 22u);
  EXPECT_EQ(Check(token, absl::Seconds(64)).refusal, GrantRefusal::kNone);  // 5 s of leeway
  EXPECT_EQ(Check(token, absl::Seconds(66)).refusal, GrantRefusal::kExpired);
  EXPECT_EQ(Check(token, -absl::Seconds(10)).refusal, GrantRefusal::kNotYetValid);
}

TEST_F(GrantTest, WhatIsNotTheGatewaysGrantIsRefused) {
  const std::string token = *MintGrant(key_, Good());
  // Another key with the same kid; a bit of the signature; an unsigned token.
  EXPECT_EQ(Check(*MintGrant(Key("gw-1"), Good())).refusal, GrantRefusal::kSignature);
  std::string bent = token;
  bent[bent.size() - 5] = bent[bent.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Check(bent).refusal, GrantRefusal::kSignature);
  EXPECT_EQ(Check("eyJhbGciOiJub25lIn0.e30.").refusal, GrantRefusal::kMalformed);
  EXPECT_EQ(Check(*MintGrant(Key("gw-2"), Good())).refusal, GrantRefusal::kSignature);
  // An access token or a DPoP proof signed by the same key is not a grant.
  boost::json::value claims;
  const size_t dot = token.find('.');
  const std::string payload = *Base64UrlDecode(std::string_view(token).substr(dot + 1, token.find('.', dot + 1) - dot - 1));
  ASSERT_EQ(ParseStrictJson(payload, claims), JsonParseError::kNone);
  EXPECT_EQ(Check(Signed(claims.get_object(), "at+jwt")).refusal, GrantRefusal::kMalformed);
  // Each claim matters.
  for (const char* name : {"iss", "aud", "token_iss", "sub", "resource", "jti", "iat", "exp", "max_uses"}) {
    boost::json::object c = claims.get_object();
    c.erase(name);
    EXPECT_EQ(Check(Signed(c)).refusal, GrantRefusal::kMalformed) << name;
  }
  boost::json::object other_audience = claims.get_object();
  other_audience["aud"] = "mcpauth-token-validation";
  EXPECT_EQ(Check(Signed(other_audience)).refusal, GrantRefusal::kMalformed);
  boost::json::object zero_uses = claims.get_object();
  zero_uses["max_uses"] = 0;
  EXPECT_EQ(Check(Signed(zero_uses)).refusal, GrantRefusal::kMalformed);
  EXPECT_EQ(Check(Signed(claims.get_object())).refusal, GrantRefusal::kNone);  // the edits, not the re-signing
}

}  // namespace
}  // namespace mcpauth::credentials
