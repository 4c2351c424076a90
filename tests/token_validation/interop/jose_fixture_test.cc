// Token validation against tokens and keys made by an independent implementation,
// the npm `jose` library (tests/node/make_jose_fixtures.mjs). Each case in
// tokens.json carries the exact reason mcpauth must give; the validator is built
// from a suite config the way services/token_validation/main.cc builds it, with
// the clock frozen at the fixture's "now".
//
// The fixtures come from $MCPAUTH_JOSE_FIXTURES when set (the live ctest run
// regenerates them into the build tree), else from the checked-in copy in
// tests/token_validation/fixtures/jose.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "services/common/clock.h"
#include "services/common/suite_config.h"
#include "services/token_validation/issuers.h"
#include "services/token_validation/jwks_cache.h"
#include "services/token_validation/token_cache.h"
#include "services/token_validation/tv_metrics.h"
#include "services/token_validation/validator.h"
#include "tests/fakes/fake_fetcher.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::tv {
namespace {

struct JoseCase {
  std::string name;
  std::string description;
  std::string token;
  std::string expected_reason;  // enum name, e.g. "REASON_EXPIRED"
  // Set for valid tokens only.
  std::string expected_subject, expected_issuer, expected_client_id;
  std::vector<std::string> expected_scopes;
};

// gtest names the failing case instead of dumping its bytes.
void PrintTo(const JoseCase& c, std::ostream* os) { *os << c.name; }

struct Fixtures {
  std::string dir;
  std::string error;  // why loading failed; empty when it worked
  int64_t now = 0;
  std::string issuer, audience;
  std::vector<JoseCase> cases;
};

std::string FixturesDir() {
  if (const char* dir = std::getenv("MCPAUTH_JOSE_FIXTURES"); dir != nullptr && *dir != '\0') return dir;
  return MCPAUTH_SOURCE_DIR "/tests/token_validation/fixtures/jose";
}

std::string Str(const boost::json::object& o, const char* name) {
  const boost::json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

Fixtures LoadFixtures() {
  Fixtures f;
  f.dir = FixturesDir();
  const std::string tokens_path = f.dir + "/tokens.json";
  std::error_code missing;
  if (!std::filesystem::is_regular_file(tokens_path, missing)) {
    f.error = "cannot read " + tokens_path + " (run tests/node/make_jose_fixtures.mjs)";
    return f;
  }
  const std::string text = test::ReadFile(tokens_path);
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(text, ec);
  if (ec || !doc.is_object()) {
    f.error = f.dir + "/tokens.json: not a JSON object";
    return f;
  }
  const boost::json::object& top = doc.get_object();
  const boost::json::value* now = top.if_contains("now");
  const boost::json::value* cases = top.if_contains("cases");
  if (now == nullptr || !now->is_int64() || cases == nullptr || !cases->is_array()) {
    f.error = f.dir + "/tokens.json: needs an integer \"now\" and a \"cases\" array";
    return f;
  }
  f.now = now->get_int64();
  f.issuer = Str(top, "issuer");
  f.audience = Str(top, "audience");
  for (const boost::json::value& v : cases->get_array()) {
    if (!v.is_object()) {
      f.error = "a case is not a JSON object";
      return f;
    }
    const boost::json::object& o = v.get_object();
    JoseCase c{.name = Str(o, "name"),
               .description = Str(o, "description"),
               .token = Str(o, "token"),
               .expected_reason = Str(o, "expected_reason"),
               .expected_subject = Str(o, "expected_subject"),
               .expected_issuer = Str(o, "expected_issuer"),
               .expected_client_id = Str(o, "expected_client_id")};
    if (const boost::json::value* scopes = o.if_contains("expected_scopes"); scopes && scopes->is_array()) {
      for (const auto& s : scopes->get_array()) c.expected_scopes.emplace_back(s.as_string());
    }
    if (c.name.empty() || c.token.empty() || c.expected_reason.empty()) {
      f.error = "case \"" + c.name + "\" lacks a name, token or expected_reason";
      return f;
    }
    f.cases.push_back(std::move(c));
  }
  return f;
}

const Fixtures& GetFixtures() {
  static const Fixtures fixtures = LoadFixtures();
  return fixtures;
}

// Quotes `s` as a YAML double-quoted scalar.
std::string YamlQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// The token-validation service's object graph, as main.cc wires it, in process:
// no gRPC, no Redis, no network (the key set is a file).
class ValidatorHarness {
 public:
  explicit ValidatorHarness(const Fixtures& f)
      : config_(ParseSuiteConfig(YAML::Load("resource: https://mcp.example.com/mcp\n"
                                            "jwt_validators:\n"
                                            "  - issuer: https://issuer.jose.test\n"
                                            "    jwks_file: " +
                                            YamlQuote(f.dir + "/jwks.json") + "\n"))),
        issuers_(IssuerRegistry::FromConfig(config_)),
        clock_(absl::FromUnixSeconds(f.now)),
        registry_(std::make_shared<prometheus::Registry>()),
        metrics_(*registry_),
        jwks_(JwksCacheOptions{.ttl = config_.authorization.cache_ttl,
                               .refetch_interval = config_.token_validation.unknown_kid_refetch_interval,
                               .max_stale = config_.token_validation.jwks_max_stale},
              &fetcher_, /*shared=*/nullptr, &metrics_, &clock_),
        token_cache_(static_cast<size_t>(config_.token_validation.token_cache_size), &clock_),
        validator_(
            ValidatorOptions{.default_resource = config_.resource,
                             .max_token_bytes = static_cast<size_t>(config_.token_validation.max_token_bytes),
                             .token_cache_ttl = config_.authorization.cache_ttl},
            &issuers_, &jwks_, /*directory=*/nullptr, &token_cache_, &metrics_, &clock_) {}

  ValidationResult Validate(const std::string& token) { return validator_.Validate({.token = token}); }
  const SuiteConfig& config() const { return config_; }
  const testing::FakeFetcher& fetcher() const { return fetcher_; }

 private:
  SuiteConfig config_;
  IssuerRegistry issuers_;
  ManualClock clock_;
  std::shared_ptr<prometheus::Registry> registry_;
  TokenValidationMetrics metrics_;
  testing::FakeFetcher fetcher_;  // serves nothing: any HTTP fetch would fail and be counted
  JwksCache jwks_;
  TokenCache token_cache_;
  TokenValidator validator_;
};

std::string ReasonName(Reason r) { return v1::Reason_Name(r); }

// Every case the fixture must hold: a regenerated or edited set that silently lost
// cases would make passing meaningless.
std::vector<std::string> RequiredCases() {
  // clang-format off
  std::vector<std::string> names = {
      "valid-typ-JWT", "valid-no-typ", "valid-aud-array", "valid-exp-within-leeway", "valid-no-kid",
      "valid-no-kid-second-key", "valid-no-kid-EdDSA", "valid-scp-array", "valid-azp-as-client",
      "expired", "expired-at-leeway-boundary", "not-yet-valid", "iat-in-future", "exp-missing",
      "exp-string", "audience-mismatch", "audience-missing", "audience-not-strings", "issuer-unknown",
      "issuer-missing", "typ-dpop", "alg-HS256", "alg-none", "payload-array", "kid-unknown",
      "signature-wrong-key-ES256", "signature-wrong-key-RS256", "key-alg-mismatch"};
  // clang-format on
  for (const char* alg :
       {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}) {
    for (const char* prefix : {"valid-", "signature-last-char-flipped-", "signature-bit-flipped-"}) {
      names.push_back(std::string(prefix) + alg);
    }
  }
  return names;
}

TEST(JoseFixtures, LoadAndCoverEveryCase) {
  const Fixtures& f = GetFixtures();
  ASSERT_TRUE(f.error.empty()) << f.error;
  EXPECT_EQ(f.issuer, "https://issuer.jose.test");
  EXPECT_EQ(f.audience, "https://mcp.example.com/mcp");
  std::set<std::string> names;
  for (const JoseCase& c : f.cases) {
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate case " << c.name;
    v1::Reason parsed;
    EXPECT_TRUE(v1::Reason_Parse(c.expected_reason, &parsed))
        << c.name << ": \"" << c.expected_reason << "\" is not a mcpauth.v1.Reason";
  }
  for (const std::string& name : RequiredCases()) {
    EXPECT_TRUE(names.contains(name)) << "fixture lacks case " << name;
  }
}

TEST(JoseFixtures, ConfigMatchesTheFixture) {
  const Fixtures& f = GetFixtures();
  ASSERT_TRUE(f.error.empty()) << f.error;
  ValidatorHarness harness(f);
  ASSERT_EQ(harness.config().jwt_validators.size(), 1u);
  EXPECT_EQ(harness.config().jwt_validators[0].issuer, f.issuer);
  EXPECT_EQ(harness.config().resource, f.audience);
}

class JoseCaseTest : public ::testing::TestWithParam<JoseCase> {};

TEST_P(JoseCaseTest, GivesTheExpectedReason) {
  const JoseCase& c = GetParam();
  SCOPED_TRACE(c.name + ": " + c.description);
  v1::Reason expected;
  ASSERT_TRUE(v1::Reason_Parse(c.expected_reason, &expected)) << c.expected_reason;

  ValidatorHarness harness(GetFixtures());
  const ValidationResult result = harness.Validate(c.token);
  ASSERT_TRUE(result.error().ok()) << "could not decide: " << result.error();
  EXPECT_EQ(ReasonName(result.reason()), c.expected_reason);
  EXPECT_FALSE(result.cached());
  EXPECT_EQ(harness.fetcher().Total(), 0) << "a file key set must never be fetched over HTTP";

  if (expected == v1::REASON_OK) {
    ASSERT_TRUE(result.valid());
    ASSERT_NE(result.token(), nullptr);
    const JwtClaims& claims = result.token()->claims;
    EXPECT_EQ(claims.subject.value_or("<none>"), c.expected_subject);
    EXPECT_EQ(claims.issuer.value_or("<none>"), c.expected_issuer);
    EXPECT_EQ(claims.client_id.value_or("<none>"), c.expected_client_id);
    EXPECT_THAT(claims.scopes, ::testing::ElementsAreArray(c.expected_scopes));
    EXPECT_THAT(claims.audiences, ::testing::Contains(GetFixtures().audience));
    ASSERT_NE(result.token()->issuer, nullptr);
    EXPECT_EQ(result.token()->issuer->issuer, GetFixtures().issuer);
  } else {
    EXPECT_FALSE(result.valid());
    EXPECT_TRUE(result.token() == nullptr);
  }
}

std::vector<JoseCase> CasesOrEmpty() { return GetFixtures().cases; }

std::string CaseTestName(const ::testing::TestParamInfo<JoseCase>& info) {
  std::string name = info.param.name;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Jose, JoseCaseTest, ::testing::ValuesIn(CasesOrEmpty()), CaseTestName);
// Loading problems are reported by JoseFixtures.LoadAndCoverEveryCase, not here.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(JoseCaseTest);

const JoseCase* FindCase(const std::string& name) {
  for (const JoseCase& c : GetFixtures().cases) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

TEST(JoseFixtures, ValidTokenIsServedFromTheTokenCacheTheSecondTime) {
  const Fixtures& f = GetFixtures();
  ASSERT_TRUE(f.error.empty()) << f.error;
  for (const char* name : {"valid-ES256", "valid-PS512", "valid-EdDSA"}) {
    SCOPED_TRACE(name);
    const JoseCase* c = FindCase(name);
    ASSERT_NE(c, nullptr);
    ValidatorHarness harness(f);
    const ValidationResult first = harness.Validate(c->token);
    ASSERT_EQ(ReasonName(first.reason()), "REASON_OK");
    EXPECT_FALSE(first.cached());

    const ValidationResult second = harness.Validate(c->token);
    ASSERT_TRUE(second.error().ok()) << second.error();
    EXPECT_EQ(ReasonName(second.reason()), "REASON_OK");
    EXPECT_TRUE(second.cached());
    ASSERT_NE(second.token(), nullptr);
    EXPECT_EQ(second.token()->claims.subject.value_or(""), c->expected_subject);
    EXPECT_THAT(second.token()->claims.scopes, ::testing::ElementsAreArray(c->expected_scopes));
  }
}

TEST(JoseFixtures, InvalidTokenIsNeverCached) {
  const Fixtures& f = GetFixtures();
  ASSERT_TRUE(f.error.empty()) << f.error;
  const JoseCase* c = FindCase("signature-wrong-key-ES256");
  ASSERT_NE(c, nullptr);
  ValidatorHarness harness(f);
  for (int i = 0; i < 2; ++i) {
    const ValidationResult r = harness.Validate(c->token);
    EXPECT_EQ(ReasonName(r.reason()), "REASON_SIGNATURE_INVALID");
    EXPECT_FALSE(r.cached());
  }
}

}  // namespace
}  // namespace mcpauth::tv
