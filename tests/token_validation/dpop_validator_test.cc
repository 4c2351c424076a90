// DPoP in the validation pipeline: the binding rules between scheme, cnf.jkt and
// proof, replay, nonces, fail-closed replay storage, the token cache never
// standing in for a proof, and the order of checks (cheap refutations first, the
// replay store written last). Each test names the one reason it expects.
#include <gtest/gtest.h>

#include "services/common/strings.h"
#include "services/token_validation/dpop_sign.h"
#include "services/token_validation/validator.h"
#include "tests/fakes/fake_fetcher.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

using mcpauth::testing::FakeFetcher;
using testing::MakeKey;

constexpr char kIssuer[] = "https://as.example.com";
constexpr char kJwks[] = "https://as.example.com/jwks";
constexpr char kResource[] = "https://mcp.example.com/mcp";
const int64_t kNow = 1'700'000'040;  // a nonce step boundary (60 s steps)

// Counts what reaches the replay store, over an in-process one.
class CountingReplayStore final : public DpopReplayStore {
 public:
  explicit CountingReplayStore(const Clock* clock) : inner_(1000, clock) {}
  absl::StatusOr<ReplayVerdict> FirstUse(std::string_view owner, std::string_view jkt, std::string_view jti,
                                         absl::Duration ttl) override {
    ++writes;
    last_ttl = ttl;
    last_owner = std::string(owner);
    if (down) return absl::UnavailableError("redis down");
    return inner_.FirstUse(owner, jkt, jti, ttl);
  }
  std::string_view kind() const override { return "counting"; }
  bool waits() const override { return remote; }
  bool remote = false;  // stands for Redis: callers that must not block may not ask
  int writes = 0;
  bool down = false;
  absl::Duration last_ttl;
  std::string last_owner;

 private:
  InProcessDpopReplayStore inner_;
};

struct Settings {
  bool required = false;
  bool nonces = false;
  std::vector<std::string> algorithms;
};

class DpopValidatorTest : public ::testing::Test {
 protected:
  DpopValidatorTest() { fetcher_.Serve(kJwks, testing::JwksOf({&as_key_})); }

  // (Re)builds the DPoP verifier and the validator with `settings`.
  void Configure(const Settings& settings) {
    AuthorizationConfig auth;
    auth.dpop_required = settings.required;
    auth.dpop_algorithms = settings.algorithms;
    nonces_ =
        settings.nonces ? std::make_unique<DpopNonces>(std::string(32, 's'), absl::Seconds(60), &clock_) : nullptr;
    dpop_ = std::make_unique<DpopVerifier>(DpopOptionsFromConfig(auth), &replay_, nonces_.get());
    validator_ = std::make_unique<TokenValidator>(ValidatorOptions{.default_resource = kResource}, &issuers_, &jwks_,
                                                  nullptr, &cache_, &metrics_, &clock_, dpop_.get());
  }
  void SetUp() override { Configure({}); }

  boost::json::object Claims() const {
    return {{"iss", kIssuer}, {"sub", "alice"},    {"aud", kResource},
            {"iat", kNow},    {"exp", kNow + 600}, {"jti", StrCat("t-", ++serial_)},
            {"scope", "read"}};
  }
  // A token bound to `client` (cnf.jkt).
  std::string BoundToken(const testing::TestKey& client) const {
    boost::json::object claims = Claims();
    claims["cnf"] = boost::json::object{{"jkt", client.private_key->Thumbprint()}};
    return testing::Mint(as_key_, claims);
  }
  std::string PlainToken() const { return testing::Mint(as_key_, Claims()); }

  struct ProofSpec {
    std::string htm = "POST";
    std::string htu = kResource;
    int64_t iat = kNow;
    std::string jti;  // empty: random
    std::optional<std::string> nonce;
  };
  std::string Proof(const testing::TestKey& client, const std::string& token, ProofSpec spec) const {
    auto proof = MakeDpopProof(*client.private_key, {.htm = spec.htm,
                                                     .htu = spec.htu,
                                                     .iat = spec.iat,
                                                     .jti = spec.jti,
                                                     .access_token = token,
                                                     .nonce = spec.nonce});
    EXPECT_TRUE(proof.ok()) << proof.status();
    return proof.value_or("");
  }
  std::string Proof(const std::string& token) const { return Proof(client_, token, {}); }

  ValidationResult Validate(const std::string& token, std::string_view scheme, const std::string& proof,
                            std::string_view method = "POST", std::string_view uri = kResource) {
    return validator_->Validate(
        {.token = token, .resource = "", .scheme = scheme, .dpop = {.proof = proof, .method = method, .uri = uri}});
  }
  Reason ReasonOf(const std::string& token, std::string_view scheme, const std::string& proof,
                  std::string_view method = "POST", std::string_view uri = kResource) {
    ValidationResult r = Validate(token, scheme, proof, method, uri);
    EXPECT_TRUE(r.error().ok()) << r.error();
    return r.reason();
  }

  mutable int serial_ = 0;
  ManualClock clock_{absl::FromUnixSeconds(kNow)};
  FakeFetcher fetcher_;
  prometheus::Registry registry_;
  TokenValidationMetrics metrics_{registry_};
  SuiteConfig config_ = ParseSuiteConfig(YAML::Load(
      StrCat("resource: ", kResource, "\njwt_validators: [{issuer: ", kIssuer, ", jwks_uri: ", kJwks, "}]")));
  IssuerRegistry issuers_ = IssuerRegistry::FromConfig(config_);
  testing::TestKey as_key_ = MakeKey("ES256", "as-1");
  testing::TestKey client_ = MakeKey("ES256", "");
  testing::TestKey other_client_ = MakeKey("ES256", "");
  JwksCache jwks_{JwksCacheOptions{}, &fetcher_, nullptr, &metrics_, &clock_};
  TokenCache cache_{1000, &clock_};
  CountingReplayStore replay_{&clock_};
  std::unique_ptr<DpopNonces> nonces_;
  std::unique_ptr<DpopVerifier> dpop_;
  std::unique_ptr<TokenValidator> validator_;
};

TEST_F(DpopValidatorTest, BoundTokenWithAValidProof) {
  const std::string token = BoundToken(client_);
  ValidationResult r = Validate(token, "DPoP", Proof(token));
  ASSERT_TRUE(r.valid()) << ReasonText(r.reason());
  EXPECT_EQ(r.token()->claims.confirmation_jkt, client_.private_key->Thumbprint());
  EXPECT_TRUE(r.dpop_proof_checked);
  EXPECT_EQ(r.dpop_nonce, "");  // nonces are off
  EXPECT_EQ(replay_.writes, 1);
  // Scheme names are case-insensitive; without a scheme, the proof and the binding decide.
  EXPECT_EQ(ReasonOf(token, "dpop", Proof(token)), v1::REASON_OK);
  EXPECT_EQ(ReasonOf(token, "", Proof(token)), v1::REASON_OK);
  // Every algorithm the proof may use.
  for (const char* alg : {"ES384", "ES512", "RS256", "PS256", "EdDSA"}) {
    const testing::TestKey key = MakeKey(alg, "");
    const std::string bound = BoundToken(key);
    EXPECT_EQ(ReasonOf(bound, "DPoP", Proof(key, bound, {})), v1::REASON_OK) << alg;
  }
}

TEST_F(DpopValidatorTest, AProofForAReplayStoreThatWaitsMustWait) {
  const std::string token = BoundToken(client_);
  ASSERT_EQ(ReasonOf(token, "DPoP", Proof(token)), v1::REASON_OK);  // keys loaded, token cached
  replay_.remote = true;
  ValidationResult r = validator_->Validate(
      {.token = token, .scheme = "DPoP", .dpop = {.proof = Proof(token), .method = "POST", .uri = kResource},
       .may_wait = false});
  EXPECT_TRUE(r.must_wait());
  EXPECT_EQ(replay_.writes, 1);
  // Without a proof there is nothing to ask the store: a cached bearer token is answered.
  const std::string plain = PlainToken();
  ASSERT_TRUE(Validate(plain, "Bearer", "").valid());
  r = validator_->Validate({.token = plain, .scheme = "Bearer", .may_wait = false});
  EXPECT_FALSE(r.must_wait());
  EXPECT_TRUE(r.cached());
}

TEST_F(DpopValidatorTest, BoundTokenPresentedAsBearerIsRefused) {
  const std::string token = BoundToken(client_);
  EXPECT_EQ(ReasonOf(token, "Bearer", ""), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
  // Not even with a valid proof next to it.
  EXPECT_EQ(ReasonOf(token, "Bearer", Proof(token)), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
  EXPECT_EQ(ReasonOf(token, "bearer", ""), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
  EXPECT_EQ(ReasonErrorCode(v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER), "invalid_token");
}

TEST_F(DpopValidatorTest, BoundTokenWithoutAProofIsRefused) {
  const std::string token = BoundToken(client_);
  EXPECT_EQ(ReasonOf(token, "DPoP", ""), v1::REASON_DPOP_PROOF_MISSING);
  EXPECT_EQ(ReasonOf(token, "", ""), v1::REASON_DPOP_PROOF_MISSING);
  EXPECT_EQ(ReasonErrorCode(v1::REASON_DPOP_PROOF_MISSING), "invalid_dpop_proof");
}

TEST_F(DpopValidatorTest, DpopSchemeWithAnUnboundTokenIsRefused) {
  const std::string token = PlainToken();
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(token)), v1::REASON_DPOP_SCHEME_CONFUSION);
  EXPECT_EQ(ReasonOf(token, "", Proof(token)), v1::REASON_DPOP_SCHEME_CONFUSION);
  EXPECT_EQ(ReasonErrorCode(v1::REASON_DPOP_SCHEME_CONFUSION), "invalid_token");
  EXPECT_EQ(replay_.writes, 0);
}

TEST_F(DpopValidatorTest, ProofByAnotherKeyIsABadBinding) {
  const std::string token = BoundToken(client_);
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(other_client_, token, {})), v1::REASON_DPOP_JKT_MISMATCH);
  EXPECT_EQ(ReasonErrorCode(v1::REASON_DPOP_JKT_MISMATCH), "invalid_token");
  EXPECT_EQ(replay_.writes, 0);
}

TEST_F(DpopValidatorTest, PlainBearerTokens) {
  const std::string token = PlainToken();
  EXPECT_EQ(ReasonOf(token, "Bearer", ""), v1::REASON_OK);
  EXPECT_EQ(ReasonOf(token, "", ""), v1::REASON_OK);
  // A proof next to a Bearer token is not looked at.
  EXPECT_EQ(ReasonOf(token, "Bearer", "garbage"), v1::REASON_OK);
  EXPECT_FALSE(Validate(token, "Bearer", "garbage").dpop_proof_checked);
  EXPECT_EQ(ReasonOf(token, "Basic", ""), v1::REASON_SCHEME_UNSUPPORTED);
  EXPECT_EQ(ReasonErrorCode(v1::REASON_SCHEME_UNSUPPORTED), "invalid_request");
}

TEST_F(DpopValidatorTest, DpopRequiredRefusesPlainBearerTokens) {
  Configure({.required = true});
  const std::string plain = PlainToken();
  EXPECT_EQ(ReasonOf(plain, "Bearer", ""), v1::REASON_DPOP_REQUIRED);
  EXPECT_EQ(ReasonOf(plain, "", ""), v1::REASON_DPOP_REQUIRED);
  EXPECT_EQ(ReasonErrorCode(v1::REASON_DPOP_REQUIRED), "invalid_token");
  EXPECT_EQ(ReasonOf(plain, "DPoP", Proof(plain)), v1::REASON_DPOP_SCHEME_CONFUSION);
  const std::string bound = BoundToken(client_);
  EXPECT_EQ(ReasonOf(bound, "DPoP", Proof(bound)), v1::REASON_OK);
  EXPECT_EQ(ReasonOf(bound, "Bearer", ""), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
}

TEST_F(DpopValidatorTest, EachProofCheckThroughThePipeline) {
  const std::string token = BoundToken(client_);
  EXPECT_EQ(ReasonOf(token, "DPoP", StrCat(Proof(token), ", ", Proof(token))), v1::REASON_DPOP_MULTIPLE_PROOFS);
  EXPECT_EQ(ReasonOf(token, "DPoP", "not-a-jwt"), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(ReasonOf(token, "DPoP", token), v1::REASON_DPOP_TYP_INVALID);  // the access token as its own proof
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(token), "GET"), v1::REASON_DPOP_HTM_MISMATCH);
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(token), "POST", "https://mcp.example.com/other"),
            v1::REASON_DPOP_HTU_MISMATCH);
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(client_, token, {.iat = kNow - 61})), v1::REASON_DPOP_IAT_OUT_OF_WINDOW);
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(client_, token, {.iat = kNow + 61})), v1::REASON_DPOP_IAT_OUT_OF_WINDOW);
  // ath over another token.
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(client_, BoundToken(client_), {})), v1::REASON_DPOP_ATH_MISMATCH);
  // Signed by another key than the one in its header.
  const std::string good = Proof(token);
  const std::string forged =
      StrCat(good.substr(0, good.rfind('.') + 1),
             Proof(other_client_, token, {}).substr(Proof(other_client_, token, {}).rfind('.') + 1));
  EXPECT_EQ(ReasonOf(token, "DPoP", forged), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(replay_.writes, 0);
}

TEST_F(DpopValidatorTest, DpopAlgorithmsPolicy) {
  Configure({.algorithms = {"EdDSA"}});
  const std::string token = BoundToken(client_);  // an ES256 client key
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(token)), v1::REASON_DPOP_ALG_UNSUPPORTED);
  const testing::TestKey ed = MakeKey("EdDSA", "");
  const std::string ed_token = BoundToken(ed);
  EXPECT_EQ(ReasonOf(ed_token, "DPoP", Proof(ed, ed_token, {})), v1::REASON_OK);
  AuthorizationConfig bad;
  bad.dpop_algorithms = {"ES256", "HS256"};
  EXPECT_THROW(DpopOptionsFromConfig(bad), ConfigError);
  bad.dpop_algorithms = {"ES257"};
  EXPECT_THROW(DpopOptionsFromConfig(bad), ConfigError);
}

TEST_F(DpopValidatorTest, EachProofIsAcceptedOnce) {
  const std::string token = BoundToken(client_);
  const std::string proof = Proof(client_, token, {.jti = "jti-once"});
  EXPECT_EQ(ReasonOf(token, "DPoP", proof), v1::REASON_OK);
  EXPECT_EQ(ReasonOf(token, "DPoP", proof), v1::REASON_DPOP_REPLAYED);
  EXPECT_EQ(ReasonErrorCode(v1::REASON_DPOP_REPLAYED), "invalid_dpop_proof");
  // Still refused until the proof could no longer be accepted anyway.
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(ReasonOf(token, "DPoP", proof), v1::REASON_DPOP_REPLAYED);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ReasonOf(token, "DPoP", proof), v1::REASON_DPOP_IAT_OUT_OF_WINDOW);
  // The same jti from another key is another proof.
  const std::string other_token = BoundToken(other_client_);
  EXPECT_EQ(ReasonOf(other_token, "DPoP", Proof(other_client_, other_token, {.iat = kNow + 61, .jti = "jti-once"})),
            v1::REASON_OK);
  // Remembered for 3 × leeway: the proof's whole ±leeway window plus other replicas' clock skew.
  EXPECT_EQ(replay_.last_ttl, absl::Seconds(180));
}

TEST_F(DpopValidatorTest, CachedTokenStillNeedsAFreshValidProof) {
  const std::string token = BoundToken(client_);
  const std::string first = Proof(token);
  ValidationResult r = Validate(token, "DPoP", first);
  ASSERT_TRUE(r.valid());
  EXPECT_FALSE(r.cached());
  r = Validate(token, "DPoP", Proof(token));
  EXPECT_TRUE(r.valid());
  EXPECT_TRUE(r.cached());
  // The cache answers for the token only.
  r = Validate(token, "DPoP", first);
  EXPECT_TRUE(r.cached());
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_REPLAYED);
  EXPECT_EQ(r.token(), nullptr);
  EXPECT_EQ(ReasonOf(token, "DPoP", ""), v1::REASON_DPOP_PROOF_MISSING);
  EXPECT_EQ(ReasonOf(token, "", ""), v1::REASON_DPOP_PROOF_MISSING);
  EXPECT_EQ(ReasonOf(token, "Bearer", ""), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(other_client_, token, {})), v1::REASON_DPOP_JKT_MISMATCH);
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(token), "GET"), v1::REASON_DPOP_HTM_MISMATCH);
  const std::string good = Proof(token);
  const std::string other = Proof(other_client_, token, {});
  EXPECT_EQ(ReasonOf(token, "DPoP", StrCat(good.substr(0, good.rfind('.')), other.substr(other.rfind('.')))),
            v1::REASON_DPOP_PROOF_INVALID);
  r = Validate(token, "DPoP", Proof(token));
  EXPECT_TRUE(r.valid());
  EXPECT_TRUE(r.cached());
}

TEST_F(DpopValidatorTest, ReplayStoreDownCannotBeDecided) {
  const std::string token = BoundToken(client_);
  ASSERT_TRUE(Validate(token, "DPoP", Proof(token)).valid());  // the token is cached too
  replay_.down = true;
  for (int i = 0; i < 3; ++i) {
    ValidationResult r = Validate(token, "DPoP", Proof(token));
    EXPECT_FALSE(r.valid());
    EXPECT_EQ(r.error().code(), absl::StatusCode::kUnavailable) << r.error();
    EXPECT_EQ(r.token(), nullptr);
  }
  // Requests that need no replay store are still answered.
  EXPECT_EQ(ReasonOf(PlainToken(), "Bearer", ""), v1::REASON_OK);
  EXPECT_EQ(ReasonOf(token, "Bearer", ""), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(token), "GET"), v1::REASON_DPOP_HTM_MISMATCH);
  replay_.down = false;
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(token)), v1::REASON_OK);
}

TEST_F(DpopValidatorTest, ServerNonces) {
  Configure({.nonces = true});
  const std::string token = BoundToken(client_);
  // The first request has no nonce: use_dpop_nonce with a fresh one.
  ValidationResult r = Validate(token, "DPoP", Proof(token));
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_NONCE_REQUIRED);
  EXPECT_EQ(ReasonErrorCode(r.reason()), "use_dpop_nonce");
  ASSERT_FALSE(r.dpop_nonce.empty());
  EXPECT_TRUE(nonces_->Accepts(r.dpop_nonce));
  const std::string nonce = r.dpop_nonce;
  EXPECT_EQ(replay_.writes, 0);
  // Retried with it: accepted, and the answer carries the current nonce.
  r = Validate(token, "DPoP", Proof(client_, token, {.nonce = nonce}));
  EXPECT_TRUE(r.valid()) << ReasonText(r.reason());
  EXPECT_EQ(r.dpop_nonce, nonce);
  // The previous step's nonce still works.
  clock_.Advance(absl::Seconds(60));
  r = Validate(token, "DPoP", Proof(client_, token, {.iat = kNow + 60, .nonce = nonce}));
  EXPECT_TRUE(r.valid()) << ReasonText(r.reason());
  EXPECT_NE(r.dpop_nonce, nonce);  // the client is handed the next one
  // Two steps on it is stale.
  clock_.Advance(absl::Seconds(60));
  r = Validate(token, "DPoP", Proof(client_, token, {.iat = kNow + 120, .nonce = nonce}));
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_NONCE_REQUIRED);
  EXPECT_NE(r.dpop_nonce, nonce);
  EXPECT_TRUE(nonces_->Accepts(r.dpop_nonce));
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(client_, token, {.iat = kNow + 120, .nonce = "made-up"})),
            v1::REASON_DPOP_NONCE_REQUIRED);
  // Other DPoP refusals carry a nonce too; plain Bearer answers do not.
  r = Validate(token, "DPoP", "");
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_PROOF_MISSING);
  EXPECT_FALSE(r.dpop_nonce.empty());
  r = Validate(PlainToken(), "Bearer", "");
  EXPECT_TRUE(r.valid());
  EXPECT_EQ(r.dpop_nonce, "");
}

TEST_F(DpopValidatorTest, CheapRefutationsComeFirst) {
  // An unknown issuer key is not fetched for a proof that names the wrong method.
  const std::string token = BoundToken(client_);
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(token), "GET"), v1::REASON_DPOP_HTM_MISMATCH);
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(other_client_, token, {})), v1::REASON_DPOP_JKT_MISMATCH);
  EXPECT_EQ(ReasonOf(token, "Bearer", ""), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
  EXPECT_EQ(fetcher_.Total(), 0);
  // An expired token with a proof whose signature is bad: the token's (cheap) time
  // check answers before the proof's signature is verified.
  boost::json::object expired = Claims();
  expired["exp"] = kNow - 3600;
  expired["cnf"] = boost::json::object{{"jkt", client_.private_key->Thumbprint()}};
  const std::string expired_token = testing::Mint(as_key_, expired);
  EXPECT_EQ(ReasonOf(expired_token, "DPoP", Proof(expired_token)), v1::REASON_EXPIRED);
  EXPECT_EQ(fetcher_.Total(), 0);
  // A token whose signature fails is refused before the replay store is touched.
  std::string tampered = BoundToken(client_);
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ReasonOf(tampered, "DPoP", Proof(tampered)), v1::REASON_SIGNATURE_INVALID);
  EXPECT_EQ(replay_.writes, 0);
  // Only a proof that passed everything else reaches it.
  EXPECT_EQ(ReasonOf(token, "DPoP", Proof(token)), v1::REASON_OK);
  EXPECT_EQ(replay_.writes, 1);
}

TEST_F(DpopValidatorTest, DefaultVerifierStillProtectsBoundTokens) {
  // A validator built without a DPoP verifier (as older callers build it).
  TokenValidator plain(ValidatorOptions{.default_resource = kResource}, &issuers_, &jwks_, nullptr, &cache_, &metrics_,
                       &clock_);
  const std::string token = BoundToken(client_);
  EXPECT_EQ(plain.Validate({.token = token}).reason(), v1::REASON_DPOP_PROOF_MISSING);
  EXPECT_EQ(plain.Validate({.token = token, .scheme = "Bearer"}).reason(), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
  const std::string proof = Proof(token);
  EXPECT_EQ(plain.Validate({.token = token, .scheme = "DPoP", .dpop = {proof, "POST", kResource}}).reason(),
            v1::REASON_OK);
  EXPECT_EQ(plain.Validate({.token = token, .scheme = "DPoP", .dpop = {proof, "POST", kResource}}).reason(),
            v1::REASON_DPOP_REPLAYED);
  EXPECT_EQ(plain.Validate({.token = PlainToken()}).reason(), v1::REASON_OK);
}

}  // namespace
}  // namespace mcpauth::tv
