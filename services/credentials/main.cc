// mcpauth-credentials --config FILE
#include <memory>

#include "services/common/cache_stores.h"
#include "services/common/grpc_server.h"
#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/service_main.h"
#include "services/common/strings.h"
#include "services/common/suite_config.h"
#include "services/credentials/egress.h"
#include "services/credentials/service.h"

namespace mcpauth::credentials {
namespace {

// Credentials without Redis live in process memory: never evicted (a store of
// record, not a cache), and gone on restart.
constexpr size_t kInProcessCapacity = 10'000'000;

int Run(const SuiteConfig& config) {
  log::SetLevel(config.log_level);
  const CredentialsSection& section = config.credentials;
  if (!section.enabled) {
    throw ConfigError("credentials: the section is missing (mcpauth-credentials needs key_files, "
                      "record_secret_file and grant_keys_file)");
  }
  const Vault vault = Vault::FromFiles(section.key_files, "credentials.key_files");
  const std::string record_secret = ReadConfigFile(section.record_secret_file, "credentials.record_secret_file");
  if (record_secret.size() < 32) {
    throw ConfigError("credentials.record_secret_file: the secret must be at least 32 bytes "
                      "(use e.g. `openssl rand -base64 48`)");
  }
  auto grant_keys = tv::ParseJwks(ReadConfigFile(section.grant_keys_file, "credentials.grant_keys_file"));
  if (!grant_keys.ok() || grant_keys->keys.empty()) {
    throw ConfigError(StrCat("credentials.grant_keys_file: not a key set with a usable public key",
                             grant_keys.ok() ? "" : StrCat(" (", grant_keys.status().message(), ")")));
  }

  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics_endpoint = MetricsEndpoint::Start(section.metrics_listen, registry);
  if (!metrics_endpoint.ok()) {
    log::Error("cannot start metrics endpoint", {{"error", std::string(metrics_endpoint.status().message())}});
    return 1;
  }
  CredentialsMetrics metrics(*registry);
  auto stores = OpenCacheStores(config.redis, registry.get());
  if (!stores.ok()) throw ConfigError(std::string("redis.url: ") + std::string(stores.status().message()));
  InProcessStore memory(kInProcessCapacity);
  KeyValueStore* kv = stores->shared ? stores->shared.get() : &memory;
  if (!stores->shared) {
    log::Warn("redis not configured; credentials are kept in this process's memory only: they are lost on "
              "restart, and each replica has its own (configure redis for a store of record)");
  }
  CredentialStore store(kv, record_secret);
  std::unique_ptr<OutboundClient> outbound = MakeCurlOutbound(
      {.timeout = section.egress_timeout, .max_response_bytes = static_cast<size_t>(section.max_response_bytes)});
  Egress egress(&vault, &store, kv, &*grant_keys, outbound.get(), &metrics);
  EgressServer egress_server({.listen = section.egress_listen,
                              .max_connections = section.max_connections,
                              .max_body_bytes = section.max_request_bytes,
                              .idle_timeout = section.egress_idle_timeout},
                             [&egress](const EgressRequest& r) { return egress.Handle(r); });
  if (absl::Status s = egress_server.Start(); !s.ok()) {
    log::Error("cannot start the egress port", {{"listen", section.egress_listen}, {"error", std::string(s.message())}});
    return 1;
  }
  log::Info("credentials service", {{"egress_listen", section.egress_listen},
                                    {"sealing_key", std::string(StringMember(vault.PublicJwk(), "kid").value_or(""))},
                                    {"keys", static_cast<int64_t>(section.key_files.size())},
                                    {"grant_keys", static_cast<int64_t>(grant_keys->keys.size())},
                                    {"store", stores->shared ? "redis" : "memory"}});

  CredentialsService service(&vault, &store, &metrics);
  const int rc = RunGrpcServer(GrpcServerOptions{.listen = section.listen,
                                                 .tls = section.tls,
                                                 .health_listen = section.health_listen,
                                                 .config_key = "credentials",
                                                 .health_service_names = {"mcpauth.v1.Credentials"},
                                                 .shutdown_grace = section.shutdown_grace,
                                                 .before_shutdown = [&egress_server] { egress_server.Stop(); }},
                               {&service});
  egress_server.Stop();
  return rc;
}

}  // namespace
}  // namespace mcpauth::credentials

int main(int argc, char** argv) {
  mcpauth::BlockTerminationSignals();
  mcpauth::log::SetService("credentials");
  return mcpauth::RunServiceMain("mcpauth-credentials", argc, argv, &mcpauth::credentials::Run);
}
