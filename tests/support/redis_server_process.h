// A throwaway Redis for tests: Debian's redis-server on 127.0.0.1, a free port,
// no persistence, its files in a private temp dir. It can be stopped and started
// again on the same ports to simulate an outage and the recovery. Optionally also
// a TLS port (Debian's redis-server is built with TLS), a replica of another one,
// or a Sentinel watching a master.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::test {

struct RedisServerOptions {
  // TLS on a second port (tls_port()): the server's certificate and key; with
  // client_ca_file, clients must present a certificate that CA issued.
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
  int replica_of = 0;  // the master's (plaintext) port on 127.0.0.1: REPLICAOF
  // A Sentinel (redis-server --sentinel) watching the master on 127.0.0.1:sentinel_of
  // as "mymaster", quorum 1, down after 1 s.
  int sentinel_of = 0;
  std::string requirepass;
};

class RedisServerProcess {
 public:
  static constexpr const char* kMasterName = "mymaster";

  // Picks the ports; Start() runs the server.
  explicit RedisServerProcess(RedisServerOptions options = {});
  ~RedisServerProcess();  // Stop()

  // Starts the server and waits until it answers PING.
  absl::Status Start(absl::Duration timeout = absl::Seconds(10));
  // Stops it (SIGTERM, then SIGKILL); returns its exit status, or -1 if not running.
  int Stop();
  // SIGKILL, as a crash or an OOM kill would; returns as Stop() does.
  int Kill();
  bool Running() const { return process_ != nullptr; }

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }  // 0 without TLS
  std::string Url() const;     // redis://127.0.0.1:PORT
  std::string TlsUrl() const;  // rediss://127.0.0.1:TLS_PORT
  // True when a fresh connection gets PONG within `timeout`.
  bool Ping(absl::Duration timeout = absl::Milliseconds(500)) const;
  // Runs one command on a fresh (plaintext) connection and returns the reply as text
  // (the string, status, integer, or the elements of an array joined by '\n'); an
  // error status when Redis fails or answers with an error.
  absl::StatusOr<std::string> Command(const std::vector<std::string>& args) const;
  // Waits until `replica` has processed everything written to this master so far
  // (its replication offset reached this server's); WAIT would not do: it counts
  // only the writes of the connection that sends it.
  absl::Status WaitForReplication(const RedisServerProcess& replica, absl::Duration timeout = absl::Seconds(10)) const;
  // The server's log.
  std::string LogText() const;

 private:
  RedisServerOptions options_;
  TempDir dir_;
  int port_;
  int tls_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace mcpauth::test
