// mcpauth-gateway --config FILE
#include <algorithm>
#include <cstdint>

#include "gateway/auth_pipeline.h"
#include "gateway/ext_authz.h"
#include "gateway/gateway.h"
#include "gateway/server.h"
#include "gateway/suite_view.h"
#include "services/common/cache_stores.h"
#include "services/common/grpc_server.h"
#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/service_main.h"
#include "services/common/strings.h"
#include "services/common/tls_files.h"

namespace mcpauth::gw {
namespace {

// With gateway.credentials: the grant signer, its key read now (a bad file stops
// start-up, naming the key).
std::shared_ptr<CredentialGrants> MakeGrants(const SuiteConfig& config) {
  const GatewayCredentials& c = config.gateway.credentials;
  if (!c.enabled) return nullptr;
  const std::string text = ReadConfigFile(c.grant_key_file, "gateway.credentials.grant_key_file");
  boost::json::value v;
  if (ParseStrictJson(text, v) != JsonParseError::kNone || !v.is_object()) {
    throw ConfigError("gateway.credentials.grant_key_file: not a JWK (a JSON object)");
  }
  auto key = tv::Jwk::Parse(v.get_object(), tv::JwkPrivacy::kAllowPrivate);
  if (!key.ok() || !key->has_private() || key->kid().empty()) {
    throw ConfigError(StrCat("gateway.credentials.grant_key_file: a private signing JWK with a kid is required",
                             key.ok() ? "" : StrCat(" (", key.status().message(), ")")));
  }
  log::Info("credentials grants on", {{"credentials", config.credentials.address},
                                      {"grant_kid", key->kid()},
                                      {"grant_ttl_seconds", absl::ToInt64Seconds(c.grant_ttl)},
                                      {"grant_max_uses", c.grant_max_uses}});
  return std::make_shared<CredentialGrants>(
      std::make_shared<const tv::Jwk>(std::move(*key)),
      GrantOptions{.ttl = c.grant_ttl, .max_uses = c.grant_max_uses, .handles_cache_ttl = c.handles_cache_ttl},
      CreateServiceChannel(config.credentials, "credentials"));
}

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
  GatewayOptions options{section.limits, section.front_doors, section.identity_headers, section.allowed_origins,
                         section.trusted_proxies, section.routes};
  std::unique_ptr<McpPipeline> pipeline;
  std::unique_ptr<SuiteView> view;
  std::unique_ptr<SessionBindings> sessions;
  std::shared_ptr<grpc::Channel> token_validation;
  absl::StatusOr<CacheStores> stores = CacheStores{};
  std::function<bool()> ready = [] { return true; };
  if (config.authorization.enabled) {
    stores = OpenCacheStores(config.redis, registry.get());
    if (!stores.ok()) throw ConfigError(StrCat("redis.url: ", stores.status().message()));
    token_validation = CreateServiceChannel(config.token_validation, "token_validation");
    view = std::make_unique<SuiteView>(config);
    view->Start(CreateServiceChannel(config.scope_policy, "scope_policy"));
    sessions = std::make_unique<SessionBindings>(stores->shared.get(), stores->local.get(), section.session_ttl);
    pipeline = std::make_unique<AuthPipeline>(
        PipelineOptions{.fail_open = config.authorization.fail_open,
                        .validation_cache_ttl = section.validation_cache_ttl,
                        .validation_cache_size = static_cast<size_t>(section.validation_cache_size),
                        .insufficient_scope = config.authorization.insufficient_scope,
                        .identity_headers = section.identity_headers,
                        .validation_timeout = section.limits.validation_timeout,
                        .failed_auth_rate = section.limits.failed_auth_rate,
                        .failed_auth_burst = section.limits.failed_auth_burst,
                        .failed_auth_total_rate = section.limits.failed_auth_total_rate,
                        .max_validations_in_flight = section.limits.max_validations_in_flight,
                        .unseen_body = section.front_doors.unseen_body,
                        .grants = MakeGrants(config)},
        view.get(), token_validation, sessions.get(), &metrics);
    ready = [&view, &token_validation] {
      const grpc_connectivity_state state = token_validation->GetState(/*try_to_connect=*/true);
      return view->ready() && state != GRPC_CHANNEL_TRANSIENT_FAILURE && state != GRPC_CHANNEL_SHUTDOWN;
    };
    log::Info("authorization enabled", {{"token_validation", config.token_validation.address},
                                        {"scope_policy", config.scope_policy.address},
                                        {"fail_open", config.authorization.fail_open}});
  } else {
    log::Warn("authorization is disabled: the gateway proxies MCP requests without checking tokens");
    pipeline = std::make_unique<PassThroughPipeline>();
  }
  // TLS files are checked before anything uses them, so a bad one is named plainly.
  if (section.tls.enabled() || !section.tls.client_ca_file.empty()) CheckServerTls(section.tls, "gateway.tls");
  for (size_t i = 0; i < section.routes.size(); ++i) {
    CheckClientTls(section.routes[i].upstream_tls, StrCat("gateway.routes[", i, "].upstream_tls"));
  }
  auto gateway = Gateway::Create(options, &metrics, pipeline.get(), ready);
  if (!gateway.ok()) throw ConfigError(std::string(gateway.status().message()));
  std::unique_ptr<TlsContextSource> tls;
  if (section.tls.enabled()) {
    auto source = TlsContextSource::ForServer(section.tls, "gateway.tls", [&metrics](bool loaded, absl::Time not_after) {
      metrics.ObserveTls("gateway.tls", loaded, not_after);
    });
    if (!source.ok()) throw ConfigError(std::string(source.status().message()));
    tls = std::move(*source);
  }
  Server server(gateway->get(), section.threads, tls.get());
  if (absl::Status s = server.Start(section.listen); !s.ok()) {
    log::Error("cannot listen", {{"listen", section.listen}, {"error", std::string(s.message())}});
    return 1;
  }
  for (const GatewayRoute& r : section.routes) {
    log::Info("route", {{"path", r.path}, {"resource", r.resource},
                        {"upstream", r.upstream.empty() ? "none (front doors only)" : r.upstream}});
  }
  // Envoy's ext_authz on its own gRPC port; decisions run on the HTTP server's threads.
  const FrontDoors& doors = section.front_doors;
  ExtAuthzService ext_authz(gateway->get(), [&server] { return server.NextExecutor(); });
  std::unique_ptr<GrpcServer> ext_authz_server;
  if (!doors.ext_authz_listen.empty()) {
    auto started = GrpcServer::Start(GrpcServerOptions{.listen = doors.ext_authz_listen,
                                                       .tls = doors.ext_authz_tls,
                                                       .health_listen = doors.ext_authz_health_listen,
                                                       .config_key = "gateway.ext_authz",
                                                       .health_service_names = {"envoy.service.auth.v3.Authorization"},
                                                       .shutdown_grace = section.shutdown_grace,
                                                       // The whole body and headers, with room for the
                                                       // CheckRequest's own fields (refused by size after).
                                                       .max_receive_message_bytes = static_cast<int>(std::min<int64_t>(
                                                           section.limits.max_body_bytes + section.limits.max_header_bytes +
                                                               (64 << 10),
                                                           INT32_MAX))},
                                     {&ext_authz});
    if (!started.ok()) {
      log::Error("cannot listen", {{"error", std::string(started.status().message())}});
      return 1;
    }
    ext_authz_server = std::move(*started);
  }
  if (doors.enabled()) {
    if (!config.authorization.enabled) {
      log::Warn("front doors are on with authorization disabled: every request they are asked about is allowed");
    }
    if (config.authorization.enabled && !config.redis.enabled()) {
      log::Warn("front doors without redis: a session is bound to its first user in this process only; run one "
                "gateway replica, or configure redis so every replica sees the same bindings");
    }
    if (config.policy.list_filtering()) {
      log::Warn("policy.list_filtering is on, but a front door never sees the upstream's answers: lists reach "
                "clients unfiltered through ext_authz and forward-auth (policy_file's setting is not checked here)");
    }
    log::Info("front doors", {{"ext_authz", doors.ext_authz_listen.empty() ? "off" : doors.ext_authz_listen},
                              {"forward_auth", doors.forward_auth_path.empty() ? "off" : doors.forward_auth_path},
                              {"unseen_body", doors.unseen_body == UnseenBody::kRefuse ? "refuse" : "server_scopes_only"}});
  }
  log::Info("serving", {{"listen", section.listen},
                        {"port", static_cast<int>(server.port())},
                        {"tls", tls == nullptr ? "off" : section.tls.client_ca_file.empty() ? "on" : "mutual"}});
  const int signal_number = WaitForTerminationSignal();
  log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"grace_seconds", absl::ToInt64Seconds(section.shutdown_grace)}});
  // The Check calls in flight finish on the HTTP server's threads: those stop last.
  if (ext_authz_server) ext_authz_server->Shutdown(section.shutdown_grace);
  server.Drain(section.shutdown_grace);
  if (view) view->Stop();
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
