#include "services/common/grpc_server.h"

#include <signal.h>

#include <atomic>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "services/common/log.h"

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

std::shared_ptr<grpc::Channel> CreateServiceChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

int RunGrpcServer(const GrpcServerOptions& options, const std::vector<grpc::Service*>& services) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &bound_port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    log::Error("cannot listen", {{"listen", options.listen}});
    return 1;
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  for (const std::string& name : options.health_service_names) health->SetServingStatus(name, true);
  health->SetServingStatus(true);
  log::Info("serving", {{"listen", options.listen}, {"port", bound_port}});

  const int signal_number = WaitForTerminationSignal();
  log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"grace_seconds", absl::ToInt64Seconds(options.shutdown_grace)}});
  // Tell load balancers first, then drain: calls already running may finish
  // within the grace period; later ones are refused.
  health->Shutdown();
  g_shutdown_requested = true;
  if (options.before_shutdown) options.before_shutdown();
  server->Shutdown(std::chrono::system_clock::now() +
                   absl::ToChronoNanoseconds(options.shutdown_grace));
  server->Wait();
  log::Info("stopped");
  return 0;
}

}  // namespace mcpauth
