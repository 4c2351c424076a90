// mcpauth-metadata --config FILE
#include <memory>

#include "services/common/cache_stores.h"
#include "services/common/discovery.h"
#include "services/common/grpc_server.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/service_main.h"
#include "services/common/strings.h"
#include "services/common/suite_config.h"
#include "services/metadata/policy_scopes_reloader.h"
#include "services/metadata/service.h"

namespace mcpauth::metadata {
namespace {

const absl::Duration kPolicyPollInterval = absl::Seconds(1);

int Run(const SuiteConfig& config) {
  log::SetLevel(config.log_level);
  const MetadataSection& section = config.metadata;
  std::unique_ptr<PolicyScopesReloader> policy_reloader;
  std::shared_ptr<const MetadataSnapshot> snapshot;
  auto registry = std::make_shared<prometheus::Registry>();
  MetadataMetrics metrics(*registry, config.Resources());
  if (config.policy_file.empty()) {
    snapshot = std::make_shared<const MetadataSnapshot>(SnapshotFromConfig(config));
  } else {
    // The required scopes follow policy_file, as scope-policy's decisions do.
    policy_reloader = std::make_unique<PolicyScopesReloader>(config, &metrics);
    snapshot = std::make_shared<const MetadataSnapshot>(policy_reloader->Initial());
    log::Info(
        "required scopes from the policy file, followed for changes",
        {{"file", PolicyFilePath(config)}, {"required_scopes", StrJoin(policy_reloader->required_scopes(), " ")}});
  }
  for (const ResourceDocument& doc : snapshot->resources.documents()) {
    log::Info("protected resource", {{"resource", doc.resource},
                                     {"metadata_url", doc.metadata_url},
                                     {"paths", StrJoin(doc.well_known_paths, " ")}});
  }

  auto metrics_endpoint = MetricsEndpoint::Start(section.metrics_listen, registry);
  if (!metrics_endpoint.ok()) {
    log::Error("cannot start metrics endpoint", {{"error", std::string(metrics_endpoint.status().message())}});
    return 1;
  }
  auto stores = OpenCacheStores(config.redis, registry.get());
  if (!stores.ok()) throw ConfigError(StrCat("redis.url: ", stores.status().message()));

  CurlFetcher fetcher;
  AuthorizationServerDirectory directory(&fetcher, stores->cache(), config.authorization.cache_ttl, registry.get());
  // Discovery runs in the background: a dead authorization server never delays start-up.
  DiscoveryRefresher refresher(&directory, IssuersToDiscover(config));
  refresher.Start();

  MetadataService service(snapshot, &directory, KnownIssuers(config), &metrics);
  if (policy_reloader) policy_reloader->Start(&service, kPolicyPollInterval);
  const int exit_code = RunGrpcServer(GrpcServerOptions{.listen = section.listen,
                                                        .health_service_names = {"mcpauth.v1.Metadata"},
                                                        .shutdown_grace = section.shutdown_grace},
                                      {&service});
  if (policy_reloader) policy_reloader->Stop();  // before the service it feeds goes
  return exit_code;
}

}  // namespace
}  // namespace mcpauth::metadata

int main(int argc, char** argv) {
  mcpauth::BlockTerminationSignals();
  mcpauth::log::SetService("metadata");
  return mcpauth::RunServiceMain("mcpauth-metadata", argc, argv, &mcpauth::metadata::Run);
}
