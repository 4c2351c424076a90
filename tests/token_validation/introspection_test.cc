// RFC 7662 introspection in the validation pipeline, with a fake endpoint and a
// frozen clock: what is sent (and never sent), how answers are read, what is
// remembered and for how long. The real authorization server (oidc-provider) is in
// tests/integration/introspection_e2e_test.cc.
#include "services/token_validation/introspection.h"

#include <gtest/gtest.h>

#include "services/common/strings.h"
#include "services/token_validation/validator.h"
#include "tests/fakes/fake_fetcher.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

using mcpauth::testing::FakeFetcher;

constexpr char kIssuer[] = "https://as.example.com";
constexpr char kEndpoint[] = "https://as.example.com/token/introspection";
constexpr char kResource[] = "https://mcp.example.com/mcp";
constexpr char kToken[] = "Qm9vZ2llLW9wYXF1ZS10b2tlbi0x_-~+/==";
const int64_t kNow = 1'700'000'000;

std::string ValidatorsYaml(std::string_view introspection) {
  return StrCat("resource: ", kResource, "\njwt_validators:\n  - issuer: ", kIssuer,
                "\n    jwks_uri: https://as.example.com/jwks\n    introspection: ", introspection, "\n");
}

class IntrospectionTest : public ::testing::Test {
 protected:
  explicit IntrospectionTest(std::string_view introspection =
                                 R"({endpoint: "https://as.example.com/token/introspection", client_id: "mcp auth",
                                     client_secret_file: /unused, cache_ttl: 60, inactive_cache_ttl: 10})")
      : clock_(absl::FromUnixSeconds(kNow)),
        config_(ParseSuiteConfig(YAML::Load(ValidatorsYaml(introspection)))),
        issuers_(IssuerRegistry::FromConfig(config_)) {
    fetcher_.Serve("https://as.example.com/jwks", testing::JwksOf({&key_}));
  }

  boost::json::object Active() {
    return {{"active", true}, {"iss", kIssuer}, {"sub", "alice"}, {"aud", kResource}, {"client_id", "cli"},
            {"scope", "read files:delete"}, {"iat", kNow}, {"exp", kNow + 600}, {"token_type", "Bearer"}};
  }
  void Answer(const boost::json::object& answer, long status = 200) {
    fetcher_.Serve(kEndpoint, boost::json::serialize(answer), status);
  }
  ValidationResult Validate(std::string_view token = kToken, std::string_view scheme = "Bearer") {
    return validator_.Validate({.token = token, .resource = kResource, .scheme = scheme});
  }
  Reason ReasonOf(std::string_view token = kToken) {
    ValidationResult r = Validate(token);
    EXPECT_TRUE(r.error().ok()) << r.error();
    return r.reason();
  }
  int Asked() { return fetcher_.Count(kEndpoint); }

  ManualClock clock_;
  FakeFetcher fetcher_;
  prometheus::Registry registry_;
  TokenValidationMetrics metrics_{registry_};
  SuiteConfig config_;
  IssuerRegistry issuers_;
  testing::TestKey key_ = testing::MakeKey("ES256", "as-es");
  JwksCache jwks_{JwksCacheOptions{}, &fetcher_, nullptr, &metrics_, &clock_};
  AuthorizationServerDirectory directory_{&fetcher_, nullptr, absl::Seconds(300), &registry_, &clock_};
  TokenCache cache_{1000, &clock_};
  Introspector introspector_{issuers_.Introspecting(), "s3:cr+t", &fetcher_, &directory_, &metrics_, &clock_};
  TokenValidator validator_{ValidatorOptions{.default_resource = kResource, .token_cache_ttl = absl::Seconds(300)},
                            &issuers_, &jwks_, &directory_, &cache_, &metrics_, &clock_, nullptr, &introspector_};
};

TEST_F(IntrospectionTest, AnActiveTokenYieldsThePrincipalFromTheAnswer) {
  Answer(Active());
  ValidationResult r = Validate();
  ASSERT_TRUE(r.valid()) << ReasonText(r.reason()) << " " << r.error();
  EXPECT_EQ(r.token()->claims.subject, std::optional<std::string>("alice"));
  EXPECT_EQ(r.token()->claims.scopes, (std::vector<std::string>{"read", "files:delete"}));
  EXPECT_EQ(r.token()->claims.client_id, std::optional<std::string>("cli"));
  EXPECT_EQ(r.token()->issuer->issuer, kIssuer);
  EXPECT_EQ(r.token()->claims_json, boost::json::serialize(Active()));
  // Known active for cache_ttl (60 s), well before exp (600 s).
  EXPECT_EQ(r.token()->introspected_until, absl::FromUnixSeconds(kNow + 60));

  // RFC 7662 §2.1: a form POST with the token and the hint; RFC 6749 §2.3.1: the
  // client's id and secret each form-encoded, then Basic.
  ASSERT_EQ(fetcher_.Posts().size(), 1u);
  const HttpFormPost post = fetcher_.Posts()[0];
  EXPECT_EQ(post.url, kEndpoint);
  EXPECT_EQ(post.body, "token=Qm9vZ2llLW9wYXF1ZS10b2tlbi0x_-~%2B%2F%3D%3D&token_type_hint=access_token");
  EXPECT_EQ(post.authorization, "Basic bWNwJTIwYXV0aDpzMyUzQWNyJTJCdA==");  // "mcp%20auth:s3%3Acr%2Bt"
}

TEST_F(IntrospectionTest, AnActiveAnswerIsReusedUntilCacheTtlThenAskedAgain) {
  Answer(Active());
  ASSERT_TRUE(Validate().valid());
  clock_.Advance(absl::Seconds(59));
  ValidationResult again = Validate();
  EXPECT_TRUE(again.valid());
  EXPECT_TRUE(again.cached());
  EXPECT_EQ(Asked(), 1);
  // Revoked at the authorization server: refused once the answer is asked again.
  Answer({{"active", false}});
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(ReasonOf(), v1::REASON_TOKEN_INACTIVE);
  EXPECT_EQ(Asked(), 2);
}

TEST_F(IntrospectionTest, AnActiveAnswerIsNeverReusedPastTheTokensExp) {
  boost::json::object answer = Active();
  answer["exp"] = kNow + 20;
  Answer(answer);
  ValidationResult r = Validate();
  ASSERT_TRUE(r.valid());
  EXPECT_EQ(r.token()->introspected_until, absl::FromUnixSeconds(kNow + 20));
}

TEST_F(IntrospectionTest, AnAnswerWithoutExpIsGoodForCacheTtl) {
  boost::json::object answer = Active();
  answer.erase("exp");
  Answer(answer);
  ValidationResult r = Validate();
  ASSERT_TRUE(r.valid()) << ReasonText(r.reason());
  EXPECT_EQ(r.token()->claims.expires_at, std::optional<double>(kNow + 60));
}

TEST_F(IntrospectionTest, AnInactiveTokenIsRefusedAndRememberedForInactiveCacheTtl) {
  Answer({{"active", false}});
  EXPECT_EQ(ReasonOf(), v1::REASON_TOKEN_INACTIVE);
  EXPECT_EQ(ReasonOf(), v1::REASON_TOKEN_INACTIVE);
  EXPECT_EQ(Asked(), 1);
  clock_.Advance(absl::Seconds(11));
  Answer(Active());
  EXPECT_EQ(ReasonOf(), v1::REASON_OK);
  EXPECT_EQ(Asked(), 2);
}

TEST_F(IntrospectionTest, ARefreshTokenIsNotAnAccessToken) {
  // oidc-provider answers for a refresh token even when asked with the access_token hint.
  for (const char* type : {"refresh_token", "urn:ietf:params:oauth:token-type:refresh_token", "N_A", ""}) {
    boost::json::object answer = Active();
    answer["token_type"] = type;
    Answer(answer);
    EXPECT_EQ(ReasonOf(StrCat("tok-", type[0] == '\0' ? "empty" : "x", Asked())), v1::REASON_NOT_ACCESS_TOKEN)
        << type;
  }
  for (const char* type : {"bearer", "DPoP", "access_token", "urn:ietf:params:oauth:token-type:access_token"}) {
    boost::json::object answer = Active();
    answer["token_type"] = type;
    if (EqualsIgnoreCase(type, "DPoP")) continue;  // bound tokens: see TheAnswersBindingIsEnforced
    Answer(answer);
    EXPECT_EQ(ReasonOf(StrCat("ok-", Asked())), v1::REASON_OK) << type;
  }
  boost::json::object answer = Active();
  answer["token_type"] = 7;
  Answer(answer);
  EXPECT_EQ(ReasonOf("typed-7"), v1::REASON_CLAIM_WRONG_TYPE);
  // Ory Hydra says "Bearer" for a refresh token and tells them apart by token_use;
  // Keycloak by typ.
  answer = Active();
  answer["token_use"] = "refresh_token";
  Answer(answer);
  EXPECT_EQ(ReasonOf("hydra-refresh"), v1::REASON_NOT_ACCESS_TOKEN);
  answer = Active();
  answer["typ"] = "Refresh";
  Answer(answer);
  EXPECT_EQ(ReasonOf("keycloak-refresh"), v1::REASON_NOT_ACCESS_TOKEN);
  answer["typ"] = "Bearer";
  answer["token_use"] = "access_token";
  Answer(answer);
  EXPECT_EQ(ReasonOf("keycloak-access"), v1::REASON_OK);
}

TEST_F(IntrospectionTest, TheAnswersClaimsAreCheckedAsAJwtsAre) {
  struct Case {
    const char* name;
    std::function<void(boost::json::object&)> edit;
    Reason want;
  };
  const std::vector<Case> cases = {
      {"another issuer", [](auto& a) { a["iss"] = "https://evil.example.com"; }, v1::REASON_ISSUER_UNKNOWN},
      {"no issuer: the introspecting one", [](auto& a) { a.erase("iss"); }, v1::REASON_OK},
      {"no audience", [](auto& a) { a.erase("aud"); }, v1::REASON_AUDIENCE_MISSING},
      {"another audience", [](auto& a) { a["aud"] = "https://other.example.com/mcp"; },
       v1::REASON_AUDIENCE_MISMATCH},
      {"expired", [](auto& a) { a["exp"] = kNow - 120; }, v1::REASON_EXPIRED},
      {"not yet valid", [](auto& a) { a["nbf"] = kNow + 600; }, v1::REASON_NOT_YET_VALID},
      {"CR/LF in sub", [](auto& a) { a["sub"] = "alice\r\nX-MCP-Auth-Scopes: admin"; },
       v1::REASON_CLAIM_CONTROL_CHARACTERS},
      {"scope of the wrong type", [](auto& a) { a["scope"] = boost::json::array{"admin"}; },
       v1::REASON_CLAIM_WRONG_TYPE},
  };
  int n = 0;
  for (const Case& c : cases) {
    boost::json::object answer = Active();
    c.edit(answer);
    Answer(answer);
    EXPECT_EQ(ReasonOf(StrCat("case", ++n)), c.want) << c.name;
  }
}

TEST_F(IntrospectionTest, TheAnswersBindingIsEnforced) {
  boost::json::object answer = Active();
  answer["token_type"] = "DPoP";
  answer["cnf"] = {{"jkt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}};
  Answer(answer);
  EXPECT_EQ(Validate(kToken, "Bearer").reason(), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
  EXPECT_EQ(Validate(kToken, "DPoP").reason(), v1::REASON_DPOP_PROOF_MISSING);
}

TEST_F(IntrospectionTest, AnUnusableAnswerCannotBeDecidedAndIsNotRemembered) {
  const std::vector<std::pair<std::string, long>> answers = {
      {"not json", 200},
      {"[]", 200},
      {R"({"active":"true"})", 200},
      {R"({"sub":"alice"})", 200},
      {R"({"active":false,"active":true})", 200},
      {R"({"active":true})", 500},
      {R"({"error":"invalid_client"})", 401},
  };
  for (const auto& [body, status] : answers) {
    fetcher_.Serve(kEndpoint, body, status);
    const int before = Asked();
    ValidationResult r = Validate();
    EXPECT_FALSE(r.decided()) << body;
    EXPECT_EQ(r.error().code(), absl::StatusCode::kUnavailable) << body;
    Validate();
    EXPECT_EQ(Asked(), before + 2) << "not remembered: " << body;
  }
  fetcher_.Fail(kEndpoint);
  EXPECT_EQ(Validate().error().code(), absl::StatusCode::kUnavailable);
}

TEST_F(IntrospectionTest, OnlyOpaqueTokensAreSentAndJwtsStayJwts) {
  Answer(Active());
  // A JWT of the issuer is verified with its keys, never sent.
  boost::json::object claims = Active();
  claims.erase("active");
  claims.erase("token_type");
  EXPECT_EQ(ReasonOf(testing::Mint(key_, claims)), v1::REASON_OK);
  // JWS- and JWE-shaped strings, and anything outside RFC 6750's b64token, are judged
  // here and never shown to the authorization server.
  for (std::string token : {std::string("a.b.c"), std::string("a.b.c.d.e"), std::string("tok en"),
                            std::string("tok%20en"), std::string("tok\"en"), std::string("tok\r\nen"),
                            std::string("==="), std::string("tok=en")}) {
    ValidationResult r = Validate(token);
    EXPECT_TRUE(r.decided()) << token;
    EXPECT_FALSE(r.valid()) << token;
  }
  EXPECT_TRUE(fetcher_.Posts().empty());
  // Two segments (Ory-style "ory_at_x.y") are opaque.
  EXPECT_EQ(ReasonOf("ory_at_abc.def"), v1::REASON_OK);
  EXPECT_EQ(fetcher_.Posts().size(), 1u);
}

TEST_F(IntrospectionTest, WithoutWaitingOnlyRememberedAnswersDecide) {
  Answer(Active());
  ValidationResult r = validator_.Validate({.token = kToken, .resource = kResource, .may_wait = false});
  EXPECT_TRUE(r.must_wait());
  EXPECT_EQ(Asked(), 0);
  ASSERT_TRUE(Validate().valid());
  EXPECT_TRUE(validator_.Validate({.token = kToken, .resource = kResource, .may_wait = false}).valid());
}

class IntrospectionByDiscoveryTest : public IntrospectionTest {
 protected:
  IntrospectionByDiscoveryTest()
      : IntrospectionTest(R"({client_id: mcpauth, client_secret_file: /unused, auth_method: client_secret_post})") {}
};

TEST_F(IntrospectionByDiscoveryTest, TheEndpointIsDiscoveredAndPostCarriesTheCredentials) {
  fetcher_.Serve("https://as.example.com/.well-known/oauth-authorization-server",
                 R"({"issuer":"https://as.example.com","introspection_endpoint":"https://as.example.com/token/introspection"})");
  Answer(Active());
  ASSERT_TRUE(Validate().valid());
  ASSERT_EQ(fetcher_.Posts().size(), 1u);
  EXPECT_EQ(fetcher_.Posts()[0].url, kEndpoint);
  EXPECT_EQ(fetcher_.Posts()[0].authorization, "");
  EXPECT_EQ(fetcher_.Posts()[0].body, StrCat("token=Qm9vZ2llLW9wYXF1ZS10b2tlbi0x_-~%2B%2F%3D%3D&token_type_hint=access_token"
                                             "&client_id=mcpauth&client_secret=s3%3Acr%2Bt"));
}

TEST_F(IntrospectionByDiscoveryTest, ADiscoveredEndpointOnAnotherOriginIsNotUsed) {
  // The client secret and every token would go there (a shared cache could have been
  // given this document): only an endpoint configured by name may be elsewhere.
  fetcher_.Serve("https://as.example.com/.well-known/oauth-authorization-server",
                 R"({"issuer":"https://as.example.com","introspection_endpoint":"https://evil.example.com/introspect"})");
  fetcher_.Serve("https://evil.example.com/introspect", boost::json::serialize(Active()));
  ValidationResult r = Validate();
  EXPECT_FALSE(r.decided());
  EXPECT_NE(r.error().message().find("is not on the issuer's origin"), std::string::npos) << r.error();
  EXPECT_TRUE(fetcher_.Posts().empty());
}

TEST_F(IntrospectionByDiscoveryTest, AnIssuerPublishingNoEndpointCannotDecide) {
  fetcher_.Serve("https://as.example.com/.well-known/oauth-authorization-server",
                 R"({"issuer":"https://as.example.com"})");
  ValidationResult r = Validate();
  EXPECT_FALSE(r.decided());
  EXPECT_NE(r.error().message().find("publishes no introspection_endpoint"), std::string::npos) << r.error();
}

TEST(IntrospectionConfigTest, MistakesNameTheKey) {
  auto error_of = [](std::string_view introspection, std::string_view more = "") {
    try {
      ParseSuiteConfig(YAML::Load(StrCat(ValidatorsYaml(introspection), more)));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("{client_secret_file: /s}").find("jwt_validators[0].introspection.client_id: is required"),
            std::string::npos);
  EXPECT_NE(error_of("{client_id: c}").find("jwt_validators[0].introspection.client_secret_file: is required"),
            std::string::npos);
  EXPECT_NE(error_of("{client_id: c, client_secret_file: /s, auth_method: private_key_jwt}")
                .find("jwt_validators[0].introspection.auth_method"),
            std::string::npos);
  EXPECT_NE(error_of("{client_id: c, client_secret_file: /s, endpoint: http://as.example.com/i}")
                .find("jwt_validators[0].introspection.endpoint"),
            std::string::npos);
  EXPECT_NE(error_of("{client_id: c, client_secret_file: /s, cache: 5}").find("jwt_validators[0].introspection.cache"),
            std::string::npos);
  EXPECT_NE(error_of("{client_id: c, client_secret_file: /s}",
                     "  - {issuer: https://b.example.com, introspection: {client_id: c, client_secret_file: /s}}\n")
                .find("jwt_validators[1].introspection: jwt_validators[0] already introspects"),
            std::string::npos);
}

}  // namespace
}  // namespace mcpauth::tv
