// What DPoP adds to token validation, for docs/benchmarks.md (issue 3). Same
// machine, same pipeline as services/token_validation/main.cc wires it, tokens
// signed with ES256 by the authorization server:
//
//   BM_Bearer/uncached         a plain bearer token never seen before
//   BM_Dpop/uncached/inproc    a DPoP-bound token never seen before + a fresh ES256
//                              proof; replay store in process
//   BM_Dpop/uncached/redis     the same, replay store in a real redis-server on
//                              loopback (one SET NX PX round trip per proof)
//   BM_Bearer/cached           the token cache answers
//   BM_Dpop/cached/inproc|redis the token cache answers for the token; the proof is
//                              still parsed, checked, verified and recorded
//   BM_DpopProofSteps          the proof's parse (header key built, or from the
//                              proof-key cache) and signature check, apart
//   BM_RedisSetIfAbsent        one SET NX PX round trip through our Redis client
//
// Every proof is used once (a replay would be refused): proofs are made ahead in
// batches, outside the timed region. Target (issue 3): BM_Dpop/uncached/redis ≤
// 2.5 × BM_Bearer/uncached. Not a test: nothing here asserts a time.
#include <benchmark/benchmark.h>

#include "services/common/redis_client.h"
#include "services/common/strings.h"
#include "services/token_validation/dpop_sign.h"
#include "services/token_validation/validator.h"
#include "tests/fakes/fake_fetcher.h"
#include "tests/support/redis_server_process.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

constexpr int64_t kNow = 1'700'000'000;
constexpr char kIssuer[] = "https://as.example.com";
constexpr char kJwks[] = "https://as.example.com/jwks";
constexpr char kResource[] = "https://mcp.example.com/mcp";
constexpr int kTokens = 64;
constexpr int kProofBatch = 2048;

// One redis-server for the whole run, started on first use.
RedisClient* SharedRedis() {
  static test::RedisServerProcess* server = nullptr;
  static RedisClient* client = nullptr;
  static prometheus::Registry registry;
  if (client == nullptr) {
    server = new test::RedisServerProcess();
    if (!server->Start().ok()) return nullptr;
    auto options = ParseRedisUrl(server->Url());
    if (!options.ok()) return nullptr;
    client = new RedisClient(*options, &registry);
    std::atexit([] { server->Stop(); });
  }
  return client;
}

struct Pipeline {
  Pipeline(size_t token_cache_size, DpopReplayStore* replay)
      : clock(absl::FromUnixSeconds(kNow)),
        config(ParseSuiteConfig(YAML::Load(
            StrCat("resource: ", kResource, "\njwt_validators: [{issuer: ", kIssuer, ", jwks_uri: ", kJwks, "}]")))),
        issuers(IssuerRegistry::FromConfig(config)),
        metrics(registry),
        jwks(JwksCacheOptions{}, &fetcher, nullptr, &metrics, &clock),
        cache(token_cache_size, &clock),
        dpop(DpopOptionsFromConfig(config.authorization), replay, nullptr),
        validator(ValidatorOptions{.default_resource = kResource}, &issuers, &jwks, nullptr, &cache, &metrics, &clock,
                  &dpop) {
    fetcher.Serve(kJwks, testing::JwksOf({&as_key}));
  }
  ManualClock clock;
  mcpauth::testing::FakeFetcher fetcher;
  SuiteConfig config;
  IssuerRegistry issuers;
  prometheus::Registry registry;
  TokenValidationMetrics metrics;
  JwksCache jwks;
  TokenCache cache;
  DpopVerifier dpop;
  TokenValidator validator;
  testing::TestKey as_key = testing::MakeKey("ES256", "as");
  testing::TestKey client = testing::MakeKey("ES256", "");
};

std::string TokenFor(const Pipeline& p, int i, bool bound) {
  boost::json::object claims{{"iss", kIssuer},     {"sub", "alice"},  {"aud", kResource},       {"iat", kNow},
                             {"exp", kNow + 3600}, {"scope", "read"}, {"jti", StrCat("at-", i)}};
  if (bound) claims["cnf"] = boost::json::object{{"jkt", p.client.private_key->Thumbprint()}};
  return testing::Mint(p.as_key, claims);
}

// range(0): 0 uncached, 1 cached.
void BM_Bearer(benchmark::State& state) {
  const bool cached = state.range(0) == 1;
  InProcessDpopReplayStore replay;
  Pipeline p(cached ? 10000 : 0, &replay);
  std::vector<std::string> tokens;
  for (int i = 0; i < kTokens; ++i) tokens.push_back(TokenFor(p, i, /*bound=*/false));
  for (const auto& t : tokens) (void)p.validator.Validate({.token = t, .scheme = "Bearer"});
  size_t i = 0;
  for (auto _ : state) {
    ValidationResult r = p.validator.Validate({.token = tokens[i++ % tokens.size()], .scheme = "Bearer"});
    if (!r.valid() || r.cached() != cached) state.SkipWithError("unexpected result");
  }
  state.SetLabel(cached ? "cached" : "uncached");
}

// range(0): 0 uncached, 1 cached; range(1): 0 in-process replay store, 1 Redis.
void BM_Dpop(benchmark::State& state) {
  const bool cached = state.range(0) == 1;
  const bool redis = state.range(1) == 1;
  state.SetLabel(StrCat(cached ? "cached" : "uncached", "/", redis ? "redis" : "inproc"));
  InProcessDpopReplayStore in_process(10'000'000);
  std::unique_ptr<RedisStore> redis_store;
  std::unique_ptr<SharedDpopReplayStore> shared;
  if (redis) {
    RedisClient* client = SharedRedis();
    if (client == nullptr) {
      state.SkipWithError("redis-server could not be started");
      return;
    }
    redis_store = std::make_unique<RedisStore>(client);
    shared = std::make_unique<SharedDpopReplayStore>(redis_store.get());
  }
  Pipeline p(cached ? 10000 : 0, redis ? static_cast<DpopReplayStore*>(shared.get()) : &in_process);
  std::vector<std::string> tokens;
  for (int i = 0; i < kTokens; ++i) tokens.push_back(TokenFor(p, i, /*bound=*/true));
  // Unique jtis across runs too: Redis keeps what earlier runs recorded.
  static int run = 0;
  ++run;
  auto proof_for = [&](int token_index, const std::string& jti) {
    return *MakeDpopProof(*p.client.private_key, {.htm = "POST",
                                                  .htu = kResource,
                                                  .iat = kNow,
                                                  .jti = StrCat("r", run, "-", jti),
                                                  .access_token = tokens[token_index]});
  };
  if (cached) {
    for (int i = 0; i < kTokens; ++i) {
      const std::string proof = proof_for(i, StrCat("warm-", i));
      (void)p.validator.Validate(
          {.token = tokens[i], .scheme = "DPoP", .dpop = {.proof = proof, .method = "POST", .uri = kResource}});
    }
  }
  // Proof k of a batch is for tokens[k % kTokens].
  int64_t serial = 0;
  std::vector<std::string> proofs;
  auto refill = [&] {
    proofs.clear();
    for (int k = 0; k < kProofBatch; ++k) proofs.push_back(proof_for(k % kTokens, StrCat(serial++)));
  };
  refill();
  size_t next = 0;
  for (auto _ : state) {
    if (next == proofs.size()) {
      state.PauseTiming();
      refill();
      next = 0;
      state.ResumeTiming();
    }
    ValidationResult r = p.validator.Validate({.token = tokens[next % kTokens],
                                               .scheme = "DPoP",
                                               .dpop = {.proof = proofs[next], .method = "POST", .uri = kResource}});
    ++next;
    if (!r.valid() || r.cached() != cached) {
      state.SkipWithError(StrCat("unexpected result: ", ReasonLabel(r.reason()), " ", r.error().message()).c_str());
      break;
    }
  }
}

// The proof's own steps, apart: parse (JWS, header key members, claims,
// thumbprint; no key built) (range 0), and the signature with the header key built
// anew (range 1) or found in the proof-key cache (range 2).
void BM_DpopProofSteps(benchmark::State& state) {
  const testing::TestKey client = testing::MakeKey("ES256", "");
  const std::string proof =
      *MakeDpopProof(*client.private_key, {.htm = "POST", .htu = kResource, .iat = kNow, .access_token = "t"});
  const DpopProofPolicy policy;
  DpopKeyCache keys;
  DpopProof parsed;
  (void)ParseDpopProof(proof, policy, parsed);
  (void)VerifyDpopSignature(parsed, &keys);
  const int64_t step = state.range(0);
  for (auto _ : state) {
    if (step == 0) {
      DpopProof out;
      benchmark::DoNotOptimize(ParseDpopProof(proof, policy, out));
    } else {
      benchmark::DoNotOptimize(VerifyDpopSignature(parsed, step == 2 ? &keys : nullptr));
    }
  }
  state.SetLabel(step == 0 ? "parse" : step == 1 ? "verify, key built" : "verify, key cached");
}

// One SET NX PX round trip through the suite's Redis client, as the replay store
// makes it (the Redis share of BM_Dpop/…/redis).
void BM_RedisSetIfAbsent(benchmark::State& state) {
  RedisClient* client = SharedRedis();
  if (client == nullptr) {
    state.SkipWithError("redis-server could not be started");
    return;
  }
  static int run = 0;
  ++run;
  int64_t i = 0;
  for (auto _ : state) {
    auto r = client->SetIfAbsent(StrCat("mcpauth:v1:bench:", run, ":", i++), "1", absl::Seconds(60));
    if (!r.ok() || !*r) state.SkipWithError("SET NX failed");
  }
}

BENCHMARK(BM_DpopProofSteps)->DenseRange(0, 2);
BENCHMARK(BM_RedisSetIfAbsent);
BENCHMARK(BM_Bearer)->Arg(0)->Arg(1);
BENCHMARK(BM_Dpop)->Args({0, 0})->Args({0, 1})->Args({1, 0})->Args({1, 1});

}  // namespace
}  // namespace mcpauth::tv

BENCHMARK_MAIN();
