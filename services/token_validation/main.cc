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
#include "services/token_validation/service.h"

namespace mcpauth::tv {
namespace {

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
  TokenValidator validator(ValidatorOptions{.default_resource = config.resource,
                                            .max_token_bytes = static_cast<size_t>(section.max_token_bytes),
                                            .token_cache_ttl = config.authorization.cache_ttl},
                           &issuers, &jwks, &directory, &token_cache, &metrics);
  for (const auto& issuer : issuers.issuers()) {
    log::Info("trusting issuer", {{"issuer", issuer->issuer},
                                  {"keys", issuer->jwks_source.empty() ? "discovery" : issuer->jwks_source}});
  }
  std::jthread warm_up([&validator] { validator.Prefetch(); });

  TokenValidationService service(&validator, &metrics);
  return RunGrpcServer(GrpcServerOptions{.listen = section.listen,
                                         .health_service_names = {"mcpauth.v1.TokenValidation"},
                                         .shutdown_grace = section.shutdown_grace},
                       {&service});
}

}  // namespace
}  // namespace mcpauth::tv

int main(int argc, char** argv) {
  mcpauth::BlockTerminationSignals();
  mcpauth::log::SetService("token-validation");
  return mcpauth::RunServiceMain("mcpauth-token-validation", argc, argv, &mcpauth::tv::Run);
}
