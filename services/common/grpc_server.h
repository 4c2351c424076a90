// gRPC server bootstrap shared by the three services: the standard
// grpc.health.v1 health service, server reflection (so grpcurl works without
// protos), TLS and mutual TLS with certificates reloaded from disk, and graceful
// shutdown on SIGTERM/SIGINT.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/status/statusor.h"

#include "absl/time/time.h"
#include "services/common/service_section.h"

namespace mcpauth {

// Call first thing in main(), before any thread starts: every thread then inherits
// a mask in which SIGTERM and SIGINT are blocked, and only WaitForTerminationSignal
// receives them.
void BlockTerminationSignals();
// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

// True once RunGrpcServer has begun shutting down. Long-lived calls (watch streams)
// check it so they end promptly instead of holding shutdown until the grace period.
bool ShutdownRequested();

struct GrpcServerOptions {
  std::string listen;
  ServerTls tls;              // off: plaintext
  std::string health_listen;  // with tls: a plaintext port serving only grpc.health.v1
  std::string config_key;     // the section, e.g. "token_validation", for errors and logs
  // The names health checks report on (besides the overall "" status).
  std::vector<std::string> health_service_names;
  absl::Duration shutdown_grace = absl::Seconds(10);
  // The largest request message accepted; 0: gRPC's default (4 MiB).
  int max_receive_message_bytes = 0;
  // Called once shutdown begins, before waiting for calls to end: for ending
  // long-lived streams, which would otherwise hold shutdown for the whole grace.
  std::function<void()> before_shutdown;
};

// A channel to another service of the suite (`service` is its section, `key` the
// section's name): over TLS when the service's tls is on, with client_tls's roots,
// certificate and server name, reloaded from disk; reconnects quickly (at most a
// second between attempts) so a caller started at the same moment as the service
// it calls is not left waiting out gRPC's default backoff of up to two minutes.
// Throws ConfigError naming the key when a certificate file is unusable.
std::shared_ptr<grpc::Channel> CreateServiceChannel(const ServiceSection& service, std::string_view key);

// A gRPC server started with the suite's conventions (the health service and its
// plaintext port, reflection, TLS): for a process that also serves something else
// (the gateway's ext_authz port). Start errors name the key; a certificate file
// that is unusable throws ConfigError naming it.
class GrpcServer {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                           const std::vector<grpc::Service*>& services);
  ~GrpcServer();  // Shutdown(0) unless done
  int port() const { return port_; }
  // Reports NOT_SERVING, stops accepting calls, lets calls in flight finish within
  // `grace` and returns when they have.
  void Shutdown(absl::Duration grace);

 private:
  explicit GrpcServer(GrpcServerOptions options) : options_(std::move(options)) {}
  GrpcServerOptions options_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::CallbackGenericService> unimplemented_;
  std::unique_ptr<grpc::Server> health_server_;
  std::vector<grpc::HealthCheckServiceInterface*> health_;
};

// Serves `services` until SIGTERM/SIGINT, then reports NOT_SERVING, stops accepting
// calls, lets in-flight calls finish within the grace period and returns 0.
// Returns 1 (after logging why) when it cannot listen. Throws ConfigError naming the
// key when a certificate file is unusable.
int RunGrpcServer(const GrpcServerOptions& options, const std::vector<grpc::Service*>& services);

}  // namespace mcpauth
