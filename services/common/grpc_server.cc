#include "services/common/grpc_server.h"

#include <signal.h>

#include <atomic>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "services/common/log.h"
#include "services/common/strings.h"
#include "services/common/tls_files.h"
#include "services/common/yaml_reader.h"

namespace mcpauth {
namespace {

std::atomic<bool> g_shutdown_requested{false};

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

unsigned ReloadSeconds(absl::Duration interval) {
  return static_cast<unsigned>(std::max<int64_t>(1, absl::ToInt64Seconds(interval)));
}

// gRPC reads the files again every reload interval and uses what it read for new
// handshakes; a file caught half-written is skipped until the next read.
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const ServerTls& tls, std::string_view key) {
  CheckServerTls(tls, StrCat(key, ".tls"));
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  auto files = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file, ReloadSeconds(tls.reload_interval));
  grpc::experimental::TlsServerCredentialsOptions options(files);
  options.watch_identity_key_cert_pairs();
  if (!tls.client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const ServiceSection& service, std::string_view key) {
  if (!service.tls.enabled()) return grpc::InsecureChannelCredentials();
  const ClientTls& tls = service.client_tls;
  CheckClientTls(tls, StrCat(key, ".client_tls"));
  if (!service.tls.client_ca_file.empty() && tls.cert_file.empty()) {
    throw ConfigError(StrCat(key, ".client_tls.cert_file: ", key,
                             ".tls.client_ca_file makes callers present a certificate; name the one this caller presents"));
  }
  grpc::experimental::TlsChannelCredentialsOptions options;
  if (!tls.ca_file.empty() || !tls.cert_file.empty()) {
    options.set_certificate_provider(std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        tls.key_file, tls.cert_file, tls.ca_file, ReloadSeconds(tls.reload_interval)));
    if (!tls.ca_file.empty()) options.watch_root_certs();  // else the system's roots
    if (!tls.cert_file.empty()) options.watch_identity_key_cert_pairs();
  }
  // The chain is verified against the roots, and the name against the address's host
  // (or server_name).
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  return grpc::experimental::TlsCredentials(options);
}

// A builder option that drops the plugins every ServerBuilder starts with.
class WithoutPlugins final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override { plugins->clear(); }
};

}  // namespace

bool ShutdownRequested() { return g_shutdown_requested.load(std::memory_order_relaxed); }

void BlockTerminationSignals() {
  // A shell starts background jobs with SIGINT ignored, and an ignored signal is
  // discarded rather than queued for sigwait; restore the default first.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

std::shared_ptr<grpc::Channel> CreateServiceChannel(const ServiceSection& service, std::string_view key) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  if (service.tls.enabled() && !service.client_tls.server_name.empty()) {
    args.SetSslTargetNameOverride(service.client_tls.server_name);
  }
  return grpc::CreateCustomChannel(service.address, ChannelCredentials(service, key), args);
}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                             const std::vector<grpc::Service*>& services) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<GrpcServer> running(new GrpcServer(options));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, ServerCredentials(options.tls, options.config_key), &running->port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (options.max_receive_message_bytes > 0) builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  running->server_ = builder.BuildAndStart();
  if (!running->server_ || running->port_ == 0) {
    return absl::UnavailableError(StrCat(options.config_key, ".listen: cannot listen on ", options.listen));
  }
  // Kubernetes' gRPC probes speak no TLS: with tls on they ask a plaintext port
  // that serves the health service alone: no other service is registered there, and
  // no plugin (reflection registers itself with every builder) is kept. Every other
  // method is UNIMPLEMENTED (gRPC's generic callback service, which also gives the
  // server the completion queue it needs to run the health service).
  if (!options.health_listen.empty()) {
    grpc::ServerBuilder health_builder;
    health_builder.SetOption(std::make_unique<WithoutPlugins>());
    running->unimplemented_ = std::make_unique<grpc::CallbackGenericService>();
    health_builder.RegisterCallbackGenericService(running->unimplemented_.get());
    int health_port = 0;
    health_builder.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(), &health_port);
    running->health_server_ = health_builder.BuildAndStart();
    if (!running->health_server_ || health_port == 0) {
      running->server_->Shutdown();
      return absl::UnavailableError(
          StrCat(options.config_key, ".health_listen: cannot listen on ", options.health_listen));
    }
    log::Info("serving health checks in plaintext", {{"health_listen", options.health_listen}, {"port", health_port}});
  }
  running->health_.push_back(running->server_->GetHealthCheckService());
  if (running->health_server_) running->health_.push_back(running->health_server_->GetHealthCheckService());
  for (grpc::HealthCheckServiceInterface* h : running->health_) {
    for (const std::string& name : options.health_service_names) h->SetServingStatus(name, true);
    h->SetServingStatus(true);
  }
  log::Info("serving", {{"listen", options.listen},
                        {"port", running->port_},
                        {"tls", !options.tls.enabled() ? "off" : options.tls.client_ca_file.empty() ? "on" : "mutual"}});
  return running;
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  // Tell load balancers first, then drain: calls already running may finish
  // within the grace period; later ones are refused.
  for (grpc::HealthCheckServiceInterface* h : health_) h->Shutdown();
  g_shutdown_requested = true;
  if (options_.before_shutdown) options_.before_shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
  server_->Wait();
  if (health_server_) {
    health_server_->Shutdown();
    health_server_->Wait();
  }
  server_.reset();
  health_server_.reset();
}

int RunGrpcServer(const GrpcServerOptions& options, const std::vector<grpc::Service*>& services) {
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(options, services);
  if (!server.ok()) {
    log::Error("cannot listen", {{"error", std::string(server.status().message())}});
    return 1;
  }
  const int signal_number = WaitForTerminationSignal();
  log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"grace_seconds", absl::ToInt64Seconds(options.shutdown_grace)}});
  (*server)->Shutdown(options.shutdown_grace);
  log::Info("stopped");
  return 0;
}

}  // namespace mcpauth
