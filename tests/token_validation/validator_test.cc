// The whole pipeline with a fake key source and a frozen clock: each test names the
// one reason it expects.
#include "services/token_validation/validator.h"

#include <gtest/gtest.h>

#include "services/common/strings.h"
#include "tests/fakes/fake_fetcher.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

using mcpauth::testing::FakeFetcher;
using testing::MakeKey;
using testing::Mint;

constexpr char kIssuerA[] = "https://a.example.com";
constexpr char kIssuerB[] = "https://b.example.com";
constexpr char kJwksA[] = "https://a.example.com/jwks";
constexpr char kJwksB[] = "https://b.example.com/jwks";
constexpr char kResource[] = "https://mcp.example.com/mcp";
const int64_t kNow = 1'700'000'000;

class ValidatorTest : public ::testing::Test {
 protected:
  ValidatorTest()
      : clock_(absl::FromUnixSeconds(kNow)),
        config_(ParseSuiteConfig(YAML::Load(StrCat(R"(
resource: https://mcp.example.com/mcp
authorization: {authorization_servers: [https://discovered.example.com]}
jwt_validators:
  - {issuer: https://a.example.com, jwks_uri: https://a.example.com/jwks, algorithms: [ES256, EdDSA, RS256]}
  - {issuer: https://b.example.com, jwks_uri: https://b.example.com/jwks, audience: [api://b]}
)")))),
        issuers_(IssuerRegistry::FromConfig(config_)) {
    fetcher_.Serve(kJwksA, testing::JwksOf({&a_es_, &a_ed_, &a_rs_}));
    fetcher_.Serve(kJwksB, testing::JwksOf({&b_es_}));
  }

  boost::json::object Claims(const std::string& issuer = kIssuerA) {
    return {{"iss", issuer}, {"sub", "alice"}, {"aud", kResource}, {"iat", kNow}, {"nbf", kNow},
            {"exp", kNow + 600}, {"scope", "read files:delete"}, {"jti", "j1"}, {"client_id", "cli"}};
  }

  ValidationResult Validate(const std::string& token, const std::string& resource = "") {
    return validator_.Validate({token, resource});
  }
  Reason ReasonOf(const std::string& token, const std::string& resource = "") {
    ValidationResult r = Validate(token, resource);
    EXPECT_TRUE(r.error().ok()) << r.error();
    return r.reason();
  }

  ManualClock clock_;
  FakeFetcher fetcher_;
  prometheus::Registry registry_;
  TokenValidationMetrics metrics_{registry_};
  SuiteConfig config_;
  IssuerRegistry issuers_;
  testing::TestKey a_es_ = MakeKey("ES256", "a-es");
  testing::TestKey a_ed_ = MakeKey("EdDSA", "a-ed");
  testing::TestKey a_rs_ = MakeKey("RS256", "a-rs");
  testing::TestKey b_es_ = MakeKey("ES256", "b-es");
  JwksCache jwks_{JwksCacheOptions{}, &fetcher_, nullptr, &metrics_, &clock_};
  AuthorizationServerDirectory directory_{&fetcher_, nullptr, absl::Seconds(300), &registry_, &clock_};
  TokenCache cache_{1000, &clock_};
  TokenValidator validator_{ValidatorOptions{.default_resource = kResource}, &issuers_, &jwks_, &directory_,
                            &cache_, &metrics_, &clock_};
};

TEST_F(ValidatorTest, ValidTokenYieldsThePrincipal) {
  ValidationResult r = Validate(Mint(a_es_, Claims()));
  ASSERT_TRUE(r.valid()) << ReasonText(r.reason());
  EXPECT_FALSE(r.cached());
  EXPECT_EQ(r.token()->claims.subject, std::optional<std::string>("alice"));
  EXPECT_EQ(r.token()->claims.scopes, (std::vector<std::string>{"read", "files:delete"}));
  EXPECT_EQ(r.token()->issuer->issuer, kIssuerA);
  EXPECT_NE(r.token()->claims_json.find("\"jti\":\"j1\""), std::string::npos);
}

TEST_F(ValidatorTest, EachAlgorithmOfTheIssuer) {
  EXPECT_EQ(ReasonOf(Mint(a_ed_, Claims())), v1::REASON_OK);
  EXPECT_EQ(ReasonOf(Mint(a_rs_, Claims())), v1::REASON_OK);
}

TEST_F(ValidatorTest, SecondValidationComesFromTheCacheAndIsRechecked) {
  const std::string token = Mint(a_es_, Claims());
  ASSERT_TRUE(Validate(token).valid());
  ValidationResult again = Validate(token);
  EXPECT_TRUE(again.valid());
  EXPECT_TRUE(again.cached());
  // The audience depends on the request, so it is checked on every hit.
  ValidationResult elsewhere = Validate(token, "https://other.example.com/mcp");
  EXPECT_TRUE(elsewhere.cached());
  EXPECT_EQ(elsewhere.reason(), v1::REASON_AUDIENCE_MISMATCH);
  // And expiry depends on the clock.
  clock_.Advance(absl::Seconds(600 + 60));
  ValidationResult expired = Validate(token);
  EXPECT_EQ(expired.reason(), v1::REASON_EXPIRED);
}

TEST_F(ValidatorTest, SizeLimits) {
  EXPECT_EQ(ReasonOf(""), v1::REASON_TOKEN_MISSING);
  EXPECT_EQ(ReasonOf(std::string(16 * 1024 + 1, 'a')), v1::REASON_TOKEN_TOO_LARGE);
}

TEST_F(ValidatorTest, IssuerRules) {
  boost::json::object no_iss = Claims();
  no_iss.erase("iss");
  EXPECT_EQ(ReasonOf(Mint(a_es_, no_iss)), v1::REASON_ISSUER_MISSING);
  EXPECT_EQ(ReasonOf(Mint(a_es_, Claims("https://evil.example.com"))), v1::REASON_ISSUER_UNKNOWN);
  EXPECT_EQ(ReasonOf(Mint(a_es_, Claims("https://a.example.com/"))), v1::REASON_ISSUER_UNKNOWN);
}

// Issuer mix-up: a token naming issuer B is checked only against B's keys, so A's
// signature does not verify even with a kid A knows.
TEST_F(ValidatorTest, IssuerMixUpIsRefused) {
  boost::json::object claims = Claims(kIssuerB);
  claims["aud"] = "api://b";
  EXPECT_EQ(ReasonOf(Mint(a_es_, claims)), v1::REASON_KID_UNKNOWN);
  EXPECT_EQ(ReasonOf(Mint(a_es_, claims, {{"kid", "b-es"}})), v1::REASON_SIGNATURE_INVALID);
  EXPECT_EQ(ReasonOf(Mint(b_es_, claims)), v1::REASON_OK);
}

TEST_F(ValidatorTest, PerIssuerAudienceOverridesTheResource) {
  boost::json::object claims = Claims(kIssuerB);
  EXPECT_EQ(ReasonOf(Mint(b_es_, claims)), v1::REASON_AUDIENCE_MISMATCH);
  claims["aud"] = "api://b";
  EXPECT_EQ(ReasonOf(Mint(b_es_, claims), kResource), v1::REASON_OK);
}

// Issue 14 item 5: with an issuer audience (api://b) and two routes, a token for
// the first route was accepted on the second. The issuer's audience now stands for
// the default resource only; another resource needs its own aud, or audiences the
// caller names for it.
TEST_F(ValidatorTest, AnIssuerAudienceVouchesOnlyForTheDefaultResource) {
  boost::json::object claims = Claims(kIssuerB);
  claims["aud"] = "api://b";
  const std::string for_default = Mint(b_es_, claims);
  const std::string route_b = "https://mcp.example.com/b";
  EXPECT_EQ(ReasonOf(for_default), v1::REASON_OK);
  EXPECT_EQ(ReasonOf(for_default, kResource), v1::REASON_OK);
  EXPECT_EQ(ReasonOf(for_default, route_b), v1::REASON_AUDIENCE_MISMATCH);
  // From the token cache too (the token was verified above).
  ValidationResult cached = Validate(for_default, route_b);
  EXPECT_TRUE(cached.cached());
  EXPECT_EQ(cached.reason(), v1::REASON_AUDIENCE_MISMATCH);
  // The route names the audience it accepts: then that is what counts, for the
  // default resource as well.
  const std::vector<std::string_view> api_b = {"api://b"};
  EXPECT_EQ(validator_.Validate({.token = for_default, .resource = route_b, .audiences = api_b}).reason(),
            v1::REASON_OK);
  const std::vector<std::string_view> api_c = {"api://c"};
  EXPECT_EQ(validator_.Validate({.token = for_default, .resource = kResource, .audiences = api_c}).reason(),
            v1::REASON_AUDIENCE_MISMATCH);
  // A token whose aud is the route's own URI is good there, issuer audience or not.
  claims["aud"] = route_b;
  claims["jti"] = "j2";
  EXPECT_EQ(ReasonOf(Mint(b_es_, claims), route_b), v1::REASON_OK);
}

TEST_F(ValidatorTest, RequestResourceIsTheAudience) {
  boost::json::object claims = Claims();
  claims["aud"] = "https://mcp.example.com/other";
  const std::string token = Mint(a_es_, claims);
  EXPECT_EQ(ReasonOf(token), v1::REASON_AUDIENCE_MISMATCH);
  EXPECT_EQ(ReasonOf(token, "https://mcp.example.com/other"), v1::REASON_OK);
}

TEST_F(ValidatorTest, AlgorithmPolicyPerIssuer) {
  auto ps = MakeKey("PS256", "a-ps");
  fetcher_.Serve(kJwksA, testing::JwksOf({&a_es_, &ps}));
  EXPECT_EQ(ReasonOf(Mint(ps, Claims())), v1::REASON_ALG_NOT_ALLOWED);
}

TEST_F(ValidatorTest, TypConfusion) {
  EXPECT_EQ(ReasonOf(Mint(a_es_, Claims(), {{"typ", "dpop+jwt"}})), v1::REASON_TYP_INVALID);
  EXPECT_EQ(ReasonOf(Mint(a_es_, Claims(), {{"typ", "JWT"}})), v1::REASON_OK);
}

TEST_F(ValidatorTest, TimeChecksRunBeforeAnyKeyIsFetched) {
  boost::json::object expired = Claims();
  expired["exp"] = kNow - 61;
  EXPECT_EQ(ReasonOf(Mint(a_es_, expired)), v1::REASON_EXPIRED);
  boost::json::object no_exp = Claims();
  no_exp.erase("exp");
  EXPECT_EQ(ReasonOf(Mint(a_es_, no_exp)), v1::REASON_EXP_MISSING);
  EXPECT_EQ(fetcher_.Total(), 0);
}

TEST_F(ValidatorTest, KeySelection) {
  auto no_kid = MakeKey("ES256", "");
  fetcher_.Serve(kJwksA, testing::JwksOf({&a_es_, &a_rs_, &no_kid}));
  // kid names a key of another type.
  EXPECT_EQ(ReasonOf(Mint(a_es_, Claims(), {{"kid", "a-rs"}})), v1::REASON_KEY_ALG_MISMATCH);
  // No kid: the keys that fit the algorithm are tried.
  EXPECT_EQ(ReasonOf(Mint(no_kid, Claims())), v1::REASON_OK);
  // Unknown, empty and hostile kids name nothing.
  EXPECT_EQ(ReasonOf(Mint(a_es_, Claims(), {{"kid", "nope"}})), v1::REASON_KID_UNKNOWN);
  EXPECT_EQ(ReasonOf(Mint(a_es_, Claims(), {{"kid", ""}})), v1::REASON_KID_UNKNOWN);
  EXPECT_EQ(ReasonOf(Mint(a_es_, Claims(), {{"kid", "../../etc/passwd"}})), v1::REASON_KID_UNKNOWN);
  EXPECT_EQ(ReasonOf(Mint(a_es_, Claims(), {{"kid", std::string(10 * 1024, 'k')}})), v1::REASON_KID_UNKNOWN);
}

TEST_F(ValidatorTest, NoKidAndNoFittingKey) {
  auto ed = MakeKey("EdDSA", "");
  fetcher_.Serve(kJwksA, testing::JwksOf({&a_es_}));
  EXPECT_EQ(ReasonOf(Mint(ed, Claims())), v1::REASON_NO_MATCHING_KEY);
}

TEST_F(ValidatorTest, RotatedKeyIsPickedUpThroughUnknownKidRefetch) {
  ASSERT_EQ(ReasonOf(Mint(a_es_, Claims())), v1::REASON_OK);
  auto rotated = MakeKey("ES256", "a-es-2");
  fetcher_.Serve(kJwksA, testing::JwksOf({&a_es_, &rotated}));
  clock_.Advance(absl::Seconds(31));
  EXPECT_EQ(ReasonOf(Mint(rotated, Claims())), v1::REASON_OK);
}

TEST_F(ValidatorTest, EmbeddedKeysAreNeverUsed) {
  auto attacker = MakeKey("ES256", "a-es");  // same kid as the real key
  boost::json::object header{{"jwk", attacker.public_jwk}, {"jku", "https://evil.example.com/jwks"},
                             {"x5u", "https://evil.example.com/cert"}};
  EXPECT_EQ(ReasonOf(Mint(attacker, Claims(), header)), v1::REASON_SIGNATURE_INVALID);
  EXPECT_EQ(fetcher_.Count("https://evil.example.com/jwks"), 0);
}

TEST_F(ValidatorTest, KeysUnavailableIsNotAnInvalidToken) {
  fetcher_.Fail(kJwksA);
  ValidationResult r = Validate(Mint(a_es_, Claims()));
  EXPECT_FALSE(r.error().ok());
  EXPECT_EQ(r.error().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(r.valid());
}

TEST_F(ValidatorTest, DiscoveredIssuerKeys) {
  auto d = MakeKey("ES256", "d1");
  fetcher_.Serve("https://discovered.example.com/.well-known/oauth-authorization-server",
                 R"({"issuer":"https://discovered.example.com","jwks_uri":"https://discovered.example.com/keys"})");
  fetcher_.Serve("https://discovered.example.com/keys", testing::JwksOf({&d}));
  EXPECT_EQ(ReasonOf(Mint(d, Claims("https://discovered.example.com"))), v1::REASON_OK);
}

TEST_F(ValidatorTest, DiscoveryFailureIsNotAnInvalidToken) {
  auto d = MakeKey("ES256", "d1");
  ValidationResult r = Validate(Mint(d, Claims("https://discovered.example.com")));
  EXPECT_FALSE(r.error().ok());
}

TEST_F(ValidatorTest, CacheEntriesAreCappedByTheKeyCacheLifetime) {
  boost::json::object long_lived = Claims();
  long_lived["exp"] = kNow + 86400;
  const std::string token = Mint(a_es_, long_lived);
  ASSERT_TRUE(Validate(token).valid());
  clock_.Advance(absl::Seconds(301));
  ValidationResult r = Validate(token);
  EXPECT_TRUE(r.valid());
  EXPECT_FALSE(r.cached());
}

// may_wait false answers whatever memory can (a cached token, a signature against
// keys held fresh) and otherwise says must_wait, having fetched nothing.
TEST_F(ValidatorTest, WithoutWaitingOnlyMemoryAnswers) {
  auto no_wait = [this](const std::string& token) {
    return validator_.Validate({.token = token, .may_wait = false});
  };
  const std::string first = Mint(a_es_, Claims());
  EXPECT_TRUE(no_wait(first).must_wait());  // keys never loaded
  EXPECT_EQ(fetcher_.Total(), 0);
  ASSERT_TRUE(Validate(first).valid());
  EXPECT_EQ(fetcher_.Count(kJwksA), 1);

  ValidationResult fresh = no_wait(Mint(a_rs_, Claims()));
  EXPECT_FALSE(fresh.must_wait());
  EXPECT_TRUE(fresh.valid());
  EXPECT_FALSE(fresh.cached());
  EXPECT_TRUE(no_wait(first).cached());
  // Refusals that need no keys are answered too.
  EXPECT_EQ(no_wait(Mint(a_es_, Claims(kIssuerB))).reason(), v1::REASON_AUDIENCE_MISMATCH);
  // An unknown kid would mean a refetch.
  EXPECT_TRUE(no_wait(Mint(MakeKey("ES256", "a-es-2"), Claims())).must_wait());
  // Keys past their lifetime would mean a refresh.
  clock_.Advance(absl::Seconds(301));
  EXPECT_TRUE(no_wait(Mint(a_es_, Claims())).must_wait());
  EXPECT_EQ(fetcher_.Count(kJwksA), 1);
}

TEST_F(ValidatorTest, WithoutWaitingDiscoveredKeysNeedDiscoveryInMemory) {
  auto d = MakeKey("ES256", "d1");
  fetcher_.Serve("https://discovered.example.com/.well-known/oauth-authorization-server",
                 R"({"issuer":"https://discovered.example.com","jwks_uri":"https://discovered.example.com/keys"})");
  fetcher_.Serve("https://discovered.example.com/keys", testing::JwksOf({&d}));
  const std::string token = Mint(d, Claims("https://discovered.example.com"));
  EXPECT_TRUE(validator_.Validate({.token = token, .may_wait = false}).must_wait());
  EXPECT_EQ(fetcher_.Total(), 0);
  ASSERT_EQ(ReasonOf(token), v1::REASON_OK);
  ValidationResult r = validator_.Validate({.token = Mint(d, Claims("https://discovered.example.com")), .may_wait = false});
  EXPECT_FALSE(r.must_wait());
  EXPECT_TRUE(r.valid());
}

TEST_F(ValidatorTest, ForgedSignatureFromAnotherKeyUnderTheRightKid) {
  auto attacker = MakeKey("ES256", "a-es");
  EXPECT_EQ(ReasonOf(Mint(attacker, Claims())), v1::REASON_SIGNATURE_INVALID);
  // and it is not cached: the real token still works and the forged one still fails
  EXPECT_EQ(ReasonOf(Mint(attacker, Claims())), v1::REASON_SIGNATURE_INVALID);
}

}  // namespace
}  // namespace mcpauth::tv
