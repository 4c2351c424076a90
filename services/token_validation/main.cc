// mcpauth-token-validation --config FILE
#include <cstdio>
#include <cstring>
#include <thread>

#include "services/common/cache_stores.h"
#include "services/common/grpc_server.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/suite_config.h"
#include "services/common/service_main.h"
#include "services/common/strings.h"
#include "services/token_validation/service.h"

namespace mcpauth::tv {
namespace {

struct DpopComponents {
  std::unique_ptr<DpopReplayStore> replay;
  std::unique_ptr<DpopNonces> nonces;
  std::unique_ptr<DpopVerifier> verifier;
};

// DPoP from authorization.dpop_*: the replay store follows `redis` (shared, and
// never falling back to in-process: Redis down means DPoP requests cannot be
// decided), nonces need a secret every replica shares.
DpopComponents MakeDpop(const SuiteConfig& config, const CacheStores& stores, prometheus::Registry* registry) {
  const AuthorizationConfig& auth = config.authorization;
  DpopComponents dpop;
  DpopOptions options = DpopOptionsFromConfig(auth);
  if (stores.shared) {
    dpop.replay = std::make_unique<SharedDpopReplayStore>(stores.shared.get());
  } else {
    dpop.replay = std::make_unique<InProcessDpopReplayStore>();
    log::Warn("redis not configured; DPoP proof replay (jti) is detected per replica only: a proof refused "
              "here as a replay can still be accepted once by each other replica");
  }
  if (auth.dpop_nonce) {
    std::string secret;
    if (!auth.dpop_nonce_secret_file.empty()) {
      secret = ReadConfigFile(auth.dpop_nonce_secret_file, "authorization.dpop_nonce_secret_file");
      if (secret.size() < kMinDpopNonceSecretBytes) {
        throw ConfigError(StrCat("authorization.dpop_nonce_secret_file: the secret must be at least ",
                                 kMinDpopNonceSecretBytes, " bytes (use e.g. `openssl rand -base64 32`)"));
      }
    } else {
      secret = DpopNonces::RandomSecret();
      log::Warn("authorization.dpop_nonce_secret_file not set; DPoP nonces use a random per-process secret, so "
                "a nonce issued by one replica is refused by the others (set the same secret file on all)");
    }
    dpop.nonces = std::make_unique<DpopNonces>(std::move(secret), auth.dpop_nonce_lifetime);
  }
  dpop.verifier =
      std::make_unique<DpopVerifier>(std::move(options), dpop.replay.get(), dpop.nonces.get(), registry);
  std::string algorithms;
  for (const AlgSpec* alg : dpop.verifier->options().proof.algorithms) {
    StrAppend(algorithms, algorithms.empty() ? "" : " ", alg->name);
  }
  log::Info("dpop settings", {{"required", auth.dpop_required},
                              {"algorithms", algorithms.empty() ? std::string("all supported") : algorithms},
                              {"leeway_seconds", absl::ToInt64Seconds(auth.dpop_leeway)},
                              {"nonces", auth.dpop_nonce},
                              {"replay_store", dpop.replay->kind()}});
  return dpop;
}

// The introspecting issuer's client, with its secret read now (a missing or empty
// file stops start-up, naming the key).
std::unique_ptr<Introspector> MakeIntrospector(const SuiteConfig& config, const IssuerRegistry& issuers,
                                               HttpFetcher* fetcher, AuthorizationServerDirectory* directory,
                                               TokenValidationMetrics* metrics) {
  const TrustedIssuer* issuer = issuers.Introspecting();
  if (issuer == nullptr) return nullptr;
  std::string key;
  for (const JwtValidatorConfig& v : config.jwt_validators) {
    if (v.issuer == issuer->issuer) key = StrCat(v.path, ".introspection.client_secret_file");
  }
  std::string secret = ReadConfigFile(issuer->introspection.client_secret_file, key);
  if (secret.empty()) throw ConfigError(StrCat(key, ": the file is empty"));
  log::Info("introspecting opaque tokens",
            {{"issuer", issuer->issuer},
             {"endpoint", issuer->introspection.endpoint.empty() ? std::string("discovery")
                                                                 : issuer->introspection.endpoint},
             {"cache_ttl_seconds", absl::ToInt64Seconds(issuer->introspection.cache_ttl)},
             {"inactive_cache_ttl_seconds", absl::ToInt64Seconds(issuer->introspection.inactive_cache_ttl)}});
  return std::make_unique<Introspector>(issuer, std::move(secret), fetcher, directory, metrics);
}

int Run(const SuiteConfig& config) {
  log::SetLevel(config.log_level);
  const TokenValidationSection& section = config.token_validation;
  IssuerRegistry issuers = IssuerRegistry::FromConfig(config);

  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics_endpoint = MetricsEndpoint::Start(section.metrics_listen, registry);
  if (!metrics_endpoint.ok()) {
    log::Error("cannot start metrics endpoint", {{"error", std::string(metrics_endpoint.status().message())}});
    return 1;
  }
  TokenValidationMetrics metrics(*registry);
  auto stores = OpenCacheStores(config.redis, registry.get());
  if (!stores.ok()) throw ConfigError(std::string("redis.url: ") + std::string(stores.status().message()));

  CurlFetcher fetcher(CurlFetcherOptions{.connect_timeout = std::min(section.fetch_timeout, absl::Seconds(2)),
                                         .total_timeout = section.fetch_timeout});
  AuthorizationServerDirectory directory(&fetcher, stores->cache(), config.authorization.cache_ttl,
                                         registry.get());
  JwksCache jwks(JwksCacheOptions{.ttl = config.authorization.cache_ttl,
                                  .refetch_interval = section.unknown_kid_refetch_interval,
                                  .max_stale = section.jwks_max_stale},
                 &fetcher, stores->cache(), &metrics);
  TokenCache token_cache(static_cast<size_t>(section.token_cache_size));
  DpopComponents dpop = MakeDpop(config, *stores, registry.get());
  std::unique_ptr<Introspector> introspector = MakeIntrospector(config, issuers, &fetcher, &directory, &metrics);
  TokenValidator validator(ValidatorOptions{.default_resource = config.resource,
                                            .max_token_bytes = static_cast<size_t>(section.max_token_bytes),
                                            .token_cache_ttl = config.authorization.cache_ttl},
                           &issuers, &jwks, &directory, &token_cache, &metrics, SystemClock::Get(),
                           dpop.verifier.get(), introspector.get());
  for (const auto& issuer : issuers.issuers()) {
    log::Info("trusting issuer", {{"issuer", issuer->issuer},
                                  {"keys", issuer->jwks_source.empty() ? "discovery" : issuer->jwks_source}});
  }
  std::jthread warm_up([&validator] { validator.Prefetch(); });

  TokenValidationService service(&validator, &metrics);
  return RunGrpcServer(GrpcServerOptions{.listen = section.listen,
                                         .tls = section.tls,
                                         .health_listen = section.health_listen,
                                         .config_key = "token_validation",
                                         .health_service_names = {"mcpauth.v1.TokenValidation"},
                                         .shutdown_grace = section.shutdown_grace,
                                         .before_shutdown = [&service] { service.EndStreams(); }},
                       {&service});
}

}  // namespace
}  // namespace mcpauth::tv

int main(int argc, char** argv) {
  mcpauth::BlockTerminationSignals();
  mcpauth::log::SetService("token-validation");
  return mcpauth::RunServiceMain("mcpauth-token-validation", argc, argv, &mcpauth::tv::Run);
}
