// mcpauth-gateway --config FILE
#include "gateway/gateway.h"
#include "gateway/server.h"
#include "services/common/grpc_server.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/service_main.h"

namespace mcpauth::gw {
namespace {

int Run(const SuiteConfig& config) {
  log::SetLevel(config.log_level);
  const GatewaySection& section = config.gateway;
  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics_endpoint = MetricsEndpoint::Start(section.metrics_listen, registry);
  if (!metrics_endpoint.ok()) {
    log::Error("cannot start metrics endpoint", {{"error", std::string(metrics_endpoint.status().message())}});
    return 1;
  }
  GatewayMetrics metrics(*registry);
  if (config.authorization.enabled) {
    throw ConfigError("authorization.enabled: the gateway's authorization pipeline is not built yet; "
                      "set authorization.enabled: false to run it as a plain MCP proxy");
  }
  log::Warn("authorization is disabled: the gateway proxies MCP requests without checking tokens");
  PassThroughPipeline pipeline;
  GatewayOptions options{section.limits, section.identity_headers, section.allowed_origins, section.trusted_proxies,
                         section.routes};
  auto gateway = Gateway::Create(options, &metrics, &pipeline, [] { return true; });
  if (!gateway.ok()) throw ConfigError(std::string(gateway.status().message()));
  Server server(gateway->get(), section.threads);
  if (absl::Status s = server.Start(section.listen); !s.ok()) {
    log::Error("cannot listen", {{"listen", section.listen}, {"error", std::string(s.message())}});
    return 1;
  }
  for (const GatewayRoute& r : section.routes) {
    log::Info("route", {{"path", r.path}, {"resource", r.resource}, {"upstream", r.upstream}});
  }
  log::Info("serving", {{"listen", section.listen}, {"port", static_cast<int>(server.port())}});
  const int signal_number = WaitForTerminationSignal();
  log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"grace_seconds", absl::ToInt64Seconds(section.shutdown_grace)}});
  server.Drain(section.shutdown_grace);
  log::Info("stopped");
  return 0;
}

}  // namespace
}  // namespace mcpauth::gw

int main(int argc, char** argv) {
  mcpauth::BlockTerminationSignals();
  mcpauth::log::SetService("gateway");
  return mcpauth::RunServiceMain("mcpauth-gateway", argc, argv, &mcpauth::gw::Run);
}
