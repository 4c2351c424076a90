// What every service's section of the configuration has (SuiteConfig in
// suite_config.h is the whole file): where it listens, how it is reached, with
// which certificates, and how long it drains.
#pragma once

#include <string>

#include "absl/time/time.h"

namespace mcpauth {

// The service's own side of TLS (`<service>.tls`): its certificate, and whom it
// accepts as callers. The files are read again every reload_interval, so a
// rotated certificate (cert-manager) is served without a restart.
struct ServerTls {
  std::string cert_file;       // PEM certificate chain served to callers; empty: plaintext
  std::string key_file;        // PEM private key of cert_file's first certificate
  std::string client_ca_file;  // set: mutual TLS, callers must present a certificate these CAs issued
  absl::Duration reload_interval = absl::Seconds(10);

  bool enabled() const { return !cert_file.empty(); }
};

// How callers reach the service when its `tls` is on (`<service>.client_tls`); the
// same file serves every caller, so the paths are where each caller's pod mounts
// its own certificate.
struct ClientTls {
  std::string ca_file;      // roots the service's certificate must chain to; empty: the system's
  std::string cert_file;    // the caller's certificate, for mutual TLS (with key_file)
  std::string key_file;
  std::string server_name;  // the name the service's certificate must carry; empty: address's host
  absl::Duration reload_interval = absl::Seconds(10);
};

struct ServiceSection {
  std::string listen;          // host:port the service binds
  std::string metrics_listen;  // host:port of its Prometheus endpoint; empty: none
  std::string address;         // how the other services reach it; default: listen
  absl::Duration shutdown_grace = absl::Seconds(10);  // in-flight calls get this long
  // gRPC services only.
  ServerTls tls;
  ClientTls client_tls;
  // With tls on: a plaintext port serving only grpc.health.v1 (Kubernetes' gRPC
  // probes speak no TLS); empty: none.
  std::string health_listen;
};

}  // namespace mcpauth
