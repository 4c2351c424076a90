// DPoP against proofs made by independent implementations: the npm `dpop` package
// (RFC 9449's client side) and `jose`, with access tokens bound by jose
// (tests/node/make_dpop_fixtures.mjs). Each case in cases.json is one request with
// the exact reason mcpauth must give; the validator is wired as
// services/token_validation/main.cc wires it, with the clock frozen at the
// fixture's "now" and, for cases that say so, server nonces on with the fixture's
// secret (the script computes its nonces itself, from the construction documented
// in dpop_nonce.h).
//
// The fixtures come from $MCPAUTH_DPOP_FIXTURES when set (the live ctest run
// regenerates them into the build tree), else from the checked-in copy in
// tests/token_validation/fixtures/dpop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "services/common/clock.h"
#include "services/common/strings.h"
#include "services/common/suite_config.h"
#include "services/token_validation/dpop_verifier.h"
#include "services/token_validation/issuers.h"
#include "services/token_validation/jwks_cache.h"
#include "services/token_validation/token_cache.h"
#include "services/token_validation/tv_metrics.h"
#include "services/token_validation/validator.h"
#include "tests/fakes/fake_fetcher.h"

namespace mcpauth::tv {
namespace {

struct DpopCase {
  std::string name, description;
  std::string token, scheme, proof, method, uri;
  bool nonces = false;
  std::string expected_reason;  // enum name
  std::string expected_jkt;     // valid cases: the client key's thumbprint as npm dpop/jose computed it
  std::string expected_nonce;   // nonce challenges: the nonce the script computed for "now"
};

void PrintTo(const DpopCase& c, std::ostream* os) { *os << c.name; }

struct Fixtures {
  std::string dir, error;
  int64_t now = 0;
  std::string issuer, resource, nonce_secret;
  int64_t leeway_seconds = 0, nonce_lifetime_seconds = 0;
  std::vector<DpopCase> cases;
};

std::string FixturesDir() {
  if (const char* dir = std::getenv("MCPAUTH_DPOP_FIXTURES"); dir != nullptr && *dir != '\0') return dir;
  return MCPAUTH_SOURCE_DIR "/tests/token_validation/fixtures/dpop";
}

std::string Str(const boost::json::object& o, const char* name) {
  const boost::json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t Int(const boost::json::object& o, const char* name) {
  const boost::json::value* v = o.if_contains(name);
  return v != nullptr && v->is_int64() ? v->get_int64() : 0;
}

Fixtures LoadFixtures() {
  Fixtures f;
  f.dir = FixturesDir();
  std::ifstream in(f.dir + "/cases.json", std::ios::binary);
  if (!in) {
    f.error = "cannot read " + f.dir + "/cases.json (run tests/node/make_dpop_fixtures.mjs)";
    return f;
  }
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(text.str(), ec);
  if (ec || !doc.is_object() || !doc.get_object().if_contains("cases") || !doc.get_object().at("cases").is_array()) {
    f.error = f.dir + "/cases.json: not an object with a \"cases\" array";
    return f;
  }
  const boost::json::object& top = doc.get_object();
  f.now = Int(top, "now");
  f.issuer = Str(top, "issuer");
  f.resource = Str(top, "resource");
  f.nonce_secret = Str(top, "nonce_secret");
  f.leeway_seconds = Int(top, "leeway_seconds");
  f.nonce_lifetime_seconds = Int(top, "nonce_lifetime_seconds");
  for (const boost::json::value& v : top.at("cases").get_array()) {
    if (!v.is_object()) {
      f.error = "a case is not a JSON object";
      return f;
    }
    const boost::json::object& o = v.get_object();
    const boost::json::value* nonces = o.if_contains("nonces");
    DpopCase c{.name = Str(o, "name"),
               .description = Str(o, "description"),
               .token = Str(o, "token"),
               .scheme = Str(o, "scheme"),
               .proof = Str(o, "proof"),
               .method = Str(o, "method"),
               .uri = Str(o, "uri"),
               .nonces = nonces != nullptr && nonces->is_bool() && nonces->get_bool(),
               .expected_reason = Str(o, "expected_reason"),
               .expected_jkt = Str(o, "expected_jkt"),
               .expected_nonce = Str(o, "expected_nonce")};
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

std::string YamlQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// The service's object graph as main.cc wires it, in process: the DPoP options
// from the `authorization` section, an in-process replay store (no `redis`), and
// nonces from the fixture's secret when `nonces` is on.
class Harness {
 public:
  Harness(const Fixtures& f, bool nonces)
      : config_(ParseSuiteConfig(YAML::Load(StrCat(
            "resource: ", f.resource, "\n", "authorization: {dpop_leeway: ", f.leeway_seconds,
            ", dpop_nonce: ", nonces ? "true" : "false", ", dpop_nonce_lifetime: ", f.nonce_lifetime_seconds, "}\n",
            "jwt_validators:\n  - issuer: ", f.issuer, "\n    jwks_file: ", YamlQuote(f.dir + "/jwks.json"), "\n")))),
        issuers_(IssuerRegistry::FromConfig(config_)),
        clock_(absl::FromUnixSeconds(f.now)),
        metrics_(registry_),
        jwks_(JwksCacheOptions{}, &fetcher_, nullptr, &metrics_, &clock_),
        token_cache_(1000, &clock_),
        replay_(1000, &clock_),
        nonces_(nonces
                    ? std::make_unique<DpopNonces>(f.nonce_secret, config_.authorization.dpop_nonce_lifetime, &clock_)
                    : nullptr),
        dpop_(DpopOptionsFromConfig(config_.authorization), &replay_, nonces_.get()),
        validator_(ValidatorOptions{.default_resource = config_.resource}, &issuers_, &jwks_, nullptr, &token_cache_,
                   &metrics_, &clock_, &dpop_) {}

  ValidationResult Validate(const DpopCase& c) {
    return validator_.Validate(
        {.token = c.token, .scheme = c.scheme, .dpop = {.proof = c.proof, .method = c.method, .uri = c.uri}});
  }

 private:
  SuiteConfig config_;
  IssuerRegistry issuers_;
  ManualClock clock_;
  prometheus::Registry registry_;
  TokenValidationMetrics metrics_;
  testing::FakeFetcher fetcher_;  // serves nothing: the key set is a file
  JwksCache jwks_;
  TokenCache token_cache_;
  InProcessDpopReplayStore replay_;
  std::unique_ptr<DpopNonces> nonces_;
  DpopVerifier dpop_;
  TokenValidator validator_;
};

TEST(DpopFixtures, LoadAndCoverEveryCase) {
  const Fixtures& f = GetFixtures();
  ASSERT_TRUE(f.error.empty()) << f.error;
  EXPECT_EQ(f.issuer, "https://issuer.dpop.test");
  EXPECT_EQ(f.resource, "https://mcp.example.com/mcp");
  std::set<std::string> names;
  std::set<std::string> reasons;
  for (const DpopCase& c : f.cases) {
    names.insert(c.name);
    reasons.insert(c.expected_reason);
  }
  for (const char* name : {"valid-dpop-ES256",
                           "valid-dpop-RS256",
                           "valid-dpop-PS256",
                           "valid-jose-ES384",
                           "valid-jose-ES512",
                           "valid-jose-PS384",
                           "valid-jose-EdDSA",
                           "valid-get-with-query",
                           "valid-htu-normalized",
                           "valid-iat-at-window-edge",
                           "valid-scheme-unspecified",
                           "alg-Ed25519-fully-specified",
                           "bound-token-as-bearer",
                           "proof-missing",
                           "scheme-confusion",
                           "jkt-mismatch",
                           "plain-bearer",
                           "htm-mismatch",
                           "htu-mismatch",
                           "htu-other-origin",
                           "iat-too-old",
                           "iat-in-future",
                           "ath-other-token",
                           "ath-missing",
                           "multiple-proofs",
                           "typ-jwt",
                           "typ-missing",
                           "alg-none",
                           "alg-HS256",
                           "jwk-missing",
                           "jwk-private",
                           "jwk-wrong-type",
                           "jti-missing",
                           "iat-string",
                           "signature-wrong-key",
                           "signature-bit-flipped",
                           "payload-altered",
                           "nonce-current",
                           "nonce-previous-step",
                           "nonce-missing",
                           "nonce-stale"}) {
    EXPECT_TRUE(names.count(name)) << "fixture lacks case " << name;
  }
  // Every DPoP reason a request can produce without a replay (tested below), a
  // replay store outage (integration test) or a replay store under pressure
  // (dpop_replay_test) is covered.
  const auto* descriptor = v1::Reason_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto reason = static_cast<Reason>(descriptor->value(i)->number());
    if (!IsDpopReason(reason) || reason == v1::REASON_DPOP_REPLAYED || reason == v1::REASON_DPOP_REQUIRED ||
        reason == v1::REASON_DPOP_PROOF_QUOTA) {
      continue;
    }
    EXPECT_TRUE(reasons.count(descriptor->value(i)->name())) << "no case expects " << descriptor->value(i)->name();
  }
}

class DpopCaseTest : public ::testing::TestWithParam<DpopCase> {};

TEST_P(DpopCaseTest, GivesTheExpectedReason) {
  const DpopCase& c = GetParam();
  SCOPED_TRACE(c.description);
  Harness harness(GetFixtures(), c.nonces);
  const ValidationResult r = harness.Validate(c);
  ASSERT_TRUE(r.error().ok()) << r.error();
  EXPECT_EQ(v1::Reason_Name(r.reason()), c.expected_reason);
  if (c.expected_reason == "REASON_OK") {
    ASSERT_NE(r.token(), nullptr);
    EXPECT_EQ(r.token()->claims.subject.value_or(""), "user-1234");
    if (!c.expected_jkt.empty()) {
      EXPECT_EQ(r.token()->claims.confirmation_jkt.value_or(""), c.expected_jkt);
    }
  } else {
    EXPECT_EQ(r.token(), nullptr);
  }
  if (!c.expected_nonce.empty()) {
    EXPECT_EQ(r.dpop_nonce, c.expected_nonce);
  }
  if (c.nonces && c.scheme == "DPoP") {
    EXPECT_FALSE(r.dpop_nonce.empty());
  }
}

std::vector<DpopCase> CasesOrEmpty() { return GetFixtures().cases; }

std::string CaseTestName(const ::testing::TestParamInfo<DpopCase>& info) {
  std::string name = info.param.name;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Dpop, DpopCaseTest, ::testing::ValuesIn(CasesOrEmpty()), CaseTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DpopCaseTest);

// A proof made by npm dpop is accepted once; the second presentation is a replay,
// also when the token cache answers for the token.
TEST(DpopFixtures, EveryValidProofIsAcceptedOnlyOnce) {
  const Fixtures& f = GetFixtures();
  ASSERT_TRUE(f.error.empty()) << f.error;
  int valid = 0;
  for (const DpopCase& c : f.cases) {
    if (c.expected_reason != "REASON_OK" || c.proof.empty()) continue;
    SCOPED_TRACE(c.name);
    ++valid;
    Harness harness(f, c.nonces);
    const ValidationResult first = harness.Validate(c);
    ASSERT_TRUE(first.valid()) << v1::Reason_Name(first.reason());
    const ValidationResult second = harness.Validate(c);
    ASSERT_TRUE(second.error().ok());
    EXPECT_EQ(v1::Reason_Name(second.reason()), "REASON_DPOP_REPLAYED");
    EXPECT_TRUE(second.cached());
  }
  EXPECT_GE(valid, 10);
}

}  // namespace
}  // namespace mcpauth::tv
