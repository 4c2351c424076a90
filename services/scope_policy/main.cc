// mcpauth-scope-policy --config FILE
//
// The policy comes from the suite's file (authorization.required_scopes and
// scope_strategy, tools, resources, prompts, policy), or from `policy_file` (a
// path relative to the config file's directory, or absolute), which is watched
// and reloaded when its content changes.
#include <filesystem>

#include "proto/enum_label.h"
#include "services/common/file_watcher.h"
#include "services/common/grpc_server.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/service_main.h"
#include "services/common/strings.h"
#include "services/common/suite_config.h"
#include "services/scope_policy/policy_reloader.h"
#include "services/scope_policy/service.h"

namespace mcpauth::sp {
namespace {

const absl::Duration kPolicyPollInterval = absl::Seconds(1);

std::string ResolvePolicyPath(const std::string& policy_file, const std::string& config_path) {
  std::filesystem::path path(policy_file);
  if (path.is_absolute() || config_path.empty()) return policy_file;
  return (std::filesystem::path(config_path).parent_path() / path).lexically_normal().string();
}

int Run(const SuiteConfig& config) {
  log::SetLevel(config.log_level);
  const ServiceSection& section = config.scope_policy;

  std::unique_ptr<FileWatcher> watcher;
  std::shared_ptr<const CompiledPolicy> initial;
  if (config.policy_file.empty()) {
    auto compiled = CompiledPolicy::Compile(config.policy);
    if (!compiled.ok()) throw ConfigError(std::string(compiled.status().message()));
    initial = *std::move(compiled);
  } else {
    const std::string path = ResolvePolicyPath(config.policy_file, config.source_path);
    watcher = std::make_unique<FileWatcher>(path, FileWatcherOptions{.interval = kPolicyPollInterval});
    auto content = watcher->ReadInitial();
    if (!content.ok()) throw ConfigError(StrCat("policy_file: ", content.status().message()));
    auto compiled = CompilePolicyText(*content, path);
    if (!compiled.ok()) throw ConfigError(StrCat("policy_file ", path, ": ", compiled.status().message()));
    initial = *std::move(compiled);
  }

  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics_endpoint = MetricsEndpoint::Start(section.metrics_listen, registry);
  if (!metrics_endpoint.ok()) {
    log::Error("cannot start metrics endpoint", {{"error", std::string(metrics_endpoint.status().message())}});
    return 1;
  }
  ScopePolicyMetrics metrics(*registry);
  PolicyStore store(std::move(initial));
  const std::shared_ptr<const PublishedPolicy> current = store.Current();
  metrics.SetPolicy(*current);
  log::Info("policy loaded", {{"source", current->policy->source().source()},
                              {"version", current->version},
                              {"digest", current->snapshot.digest()},
                              {"strategy", EnumLabel(current->policy->strategy())},
                              {"tools", current->policy->rules(v1::TARGET_KIND_TOOL).size()},
                              {"resources", current->policy->rules(v1::TARGET_KIND_RESOURCE).size()},
                              {"prompts", current->policy->rules(v1::TARGET_KIND_PROMPT).size()},
                              {"hot_reload", watcher != nullptr}});

  PolicyReloader reloader(watcher.get(), &store, &metrics);
  if (watcher) reloader.Start(kPolicyPollInterval);

  ScopePolicyService service(&store, &metrics);
  const int status = RunGrpcServer(GrpcServerOptions{.listen = section.listen,
                                                     .tls = section.tls,
                                                     .health_listen = section.health_listen,
                                                     .config_key = "scope_policy",
                                                     .health_service_names = {"mcpauth.v1.ScopePolicy"},
                                                     .shutdown_grace = section.shutdown_grace},
                                   {&service});
  reloader.Stop();
  return status;
}

}  // namespace
}  // namespace mcpauth::sp

int main(int argc, char** argv) {
  mcpauth::BlockTerminationSignals();
  mcpauth::log::SetService("scope-policy");
  return mcpauth::RunServiceMain("mcpauth-scope-policy", argc, argv, &mcpauth::sp::Run);
}
