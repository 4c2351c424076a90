// mcpauth-metadata --config FILE
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "services/common/cache_stores.h"
#include "services/common/discovery.h"
#include "services/common/grpc_server.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/service_main.h"
#include "services/common/strings.h"
#include "services/common/suite_config.h"
#include "services/metadata/service.h"
#include "services/scope_policy/policy_follower.h"

namespace mcpauth::metadata {
namespace {

// How long start-up waits for scope-policy's first snapshot before serving without
// the server-level scopes (they follow as soon as it answers).
const absl::Duration kFirstPolicyWait = absl::Seconds(5);

// With policy_file, the server-level scopes — the challenges' scope parameter, and
// scopes_supported unless metadata.scopes_supported pins it — are those of the
// policy scope-policy has in force, followed on its WatchPolicy stream: the same
// versioned stream the gateway follows, so the two never disagree for long and
// nothing here reads policy_file.
class ServerScopesFollower {
 public:
  ServerScopesFollower(const SuiteConfig& config, MetadataService* service, MetadataMetrics* metrics)
      : config_(config), service_(service), metrics_(metrics) {}

  void Start() {
    follower_.Start(CreateServiceChannel(config_.scope_policy, "scope_policy"),
                    [this](const v1::PolicySnapshot& snapshot) { Take(snapshot); });
  }
  // True when the first snapshot arrived within `timeout`.
  bool WaitForFirst(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return first_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return received_; });
  }
  void Stop() { follower_.Stop(); }

 private:
  void Take(const v1::PolicySnapshot& snapshot) {
    std::vector<std::string> scopes(snapshot.policy().required_scopes().begin(),
                                    snapshot.policy().required_scopes().end());
    if (!received_once_ || scopes != scopes_) {
      try {
        service_->ReplaceSnapshot(std::make_shared<const MetadataSnapshot>(SnapshotFromConfig(config_, scopes)));
        metrics_->CountPolicyReload("success");
        log::Info("server-level scopes from scope-policy",
                  {{"policy_version", static_cast<int64_t>(snapshot.version())}, {"required_scopes", StrJoin(scopes, " ")}});
        scopes_ = std::move(scopes);
        received_once_ = true;
      } catch (const ConfigError& e) {
        metrics_->CountPolicyReload("invalid");
        log::Error("policy from scope-policy cannot make a snapshot; keeping the one in force", {{"error", e.what()}});
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      received_ = true;
    }
    first_.notify_all();
  }

  const SuiteConfig& config_;
  MetadataService* service_;
  MetadataMetrics* metrics_;
  sp::PolicyFollower follower_;
  std::vector<std::string> scopes_;  // follower thread only
  bool received_once_ = false;       // follower thread only
  std::mutex mu_;
  std::condition_variable first_;
  bool received_ = false;
};

int Run(const SuiteConfig& config) {
  log::SetLevel(config.log_level);
  const MetadataSection& section = config.metadata;
  auto registry = std::make_shared<prometheus::Registry>();
  MetadataMetrics metrics(*registry, config.Resources());
  // Without policy_file the policy is in this file; with it, scope-policy's scopes
  // come in on its stream.
  auto snapshot = std::make_shared<const MetadataSnapshot>(SnapshotFromConfig(config));
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
  std::optional<ServerScopesFollower> scopes;
  if (!config.policy_file.empty()) {
    scopes.emplace(config, &service, &metrics);
    scopes->Start();
    if (!scopes->WaitForFirst(kFirstPolicyWait)) {
      log::Warn("scope-policy has not answered; serving without server-level scopes until it does",
                {{"scope_policy", config.scope_policy.address}});
    }
  }
  const int exit_code = RunGrpcServer(GrpcServerOptions{.listen = section.listen,
                                                        .tls = section.tls,
                                                        .health_listen = section.health_listen,
                                                        .config_key = "metadata",
                                                        .health_service_names = {"mcpauth.v1.Metadata"},
                                                        .shutdown_grace = section.shutdown_grace},
                                      {&service});
  if (scopes) scopes->Stop();  // before the service it feeds goes
  return exit_code;
}

}  // namespace
}  // namespace mcpauth::metadata

int main(int argc, char** argv) {
  mcpauth::BlockTerminationSignals();
  mcpauth::log::SetService("metadata");
  return mcpauth::RunServiceMain("mcpauth-metadata", argc, argv, &mcpauth::metadata::Run);
}
