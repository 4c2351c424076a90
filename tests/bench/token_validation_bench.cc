// Costs of token validation, for docs/benchmarks.md:
//   BM_Verify/ALG            — the signature check alone (our OpenSSL call path)
//   BM_ValidateUncached/ALG  — the whole pipeline for a token not seen before
//   BM_ValidateCached/ALG    — the whole pipeline when the token cache answers
// Compare BM_Verify/ES256 with `openssl speed -seconds 3 ecdsap256` on the same machine.
#include <benchmark/benchmark.h>

#include "services/common/strings.h"
#include "services/token_validation/signature.h"
#include "services/token_validation/validator.h"
#include "tests/fakes/fake_fetcher.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

const char* const kAlgs[] = {"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"};
constexpr int64_t kNow = 1'700'000'000;
constexpr char kIssuer[] = "https://as.example.com";
constexpr char kJwks[] = "https://as.example.com/jwks";
constexpr char kResource[] = "https://mcp.example.com/mcp";

void BM_Verify(benchmark::State& state) {
  const auto key = testing::MakeKey(kAlgs[state.range(0)], "k");
  const std::string input = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9";
  const std::string sig = *Sign(*key.alg, *key.private_key, input);
  for (auto _ : state) benchmark::DoNotOptimize(VerifySignature(*key.alg, *key.private_key, input, sig));
  state.SetLabel(kAlgs[state.range(0)]);
}

// The validator as the service builds it, keys served by a fake fetcher.
struct Pipeline {
  explicit Pipeline(const testing::TestKey& key, size_t cache_size)
      : clock(absl::FromUnixSeconds(kNow)),
        config(ParseSuiteConfig(YAML::Load(StrCat("resource: ", kResource, "\njwt_validators: [{issuer: ", kIssuer,
                                                  ", jwks_uri: ", kJwks, "}]")))),
        issuers(IssuerRegistry::FromConfig(config)),
        metrics(registry),
        jwks(JwksCacheOptions{}, &fetcher, nullptr, &metrics, &clock),
        cache(cache_size, &clock),
        validator(ValidatorOptions{.default_resource = kResource}, &issuers, &jwks, nullptr, &cache, &metrics,
                  &clock) {
    fetcher.Serve(kJwks, testing::JwksOf({&key}));
  }
  ManualClock clock;
  mcpauth::testing::FakeFetcher fetcher;
  SuiteConfig config;
  IssuerRegistry issuers;
  prometheus::Registry registry;
  TokenValidationMetrics metrics;
  JwksCache jwks;
  TokenCache cache;
  TokenValidator validator;
};

std::string TokenFor(const testing::TestKey& key, int i) {
  return testing::Mint(key, {{"iss", kIssuer}, {"sub", "alice"}, {"aud", kResource}, {"iat", kNow},
                             {"exp", kNow + 3600}, {"scope", "read files:delete"}, {"jti", StrCat("jti-", i)},
                             {"client_id", "bench"}});
}

void BM_ValidateUncached(benchmark::State& state) {
  const auto key = testing::MakeKey(kAlgs[state.range(0)], "k");
  Pipeline p(key, /*cache_size=*/0);
  std::vector<std::string> tokens;
  for (int i = 0; i < 64; ++i) tokens.push_back(TokenFor(key, i));
  size_t i = 0;
  for (auto _ : state) {
    ValidationResult r = p.validator.Validate({tokens[i++ % tokens.size()], ""});
    if (!r.valid()) state.SkipWithError("token did not validate");
  }
  state.SetLabel(kAlgs[state.range(0)]);
}

void BM_ValidateCached(benchmark::State& state) {
  const auto key = testing::MakeKey(kAlgs[state.range(0)], "k");
  Pipeline p(key, /*cache_size=*/10000);
  const std::string token = TokenFor(key, 0);
  (void)p.validator.Validate({token, ""});
  for (auto _ : state) {
    ValidationResult r = p.validator.Validate({token, ""});
    if (!r.cached()) state.SkipWithError("token cache did not answer");
  }
  state.SetLabel(kAlgs[state.range(0)]);
}

BENCHMARK(BM_Verify)->DenseRange(0, 5);
BENCHMARK(BM_ValidateUncached)->DenseRange(0, 5);
BENCHMARK(BM_ValidateCached)->DenseRange(0, 5);

}  // namespace
}  // namespace mcpauth::tv

BENCHMARK_MAIN();
