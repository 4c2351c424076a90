// A throwaway Redis for tests: Debian's redis-server on 127.0.0.1, a free port,
// no persistence, its files in a private temp dir. It can be stopped and started
// again on the same port to simulate an outage and the recovery.
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

class RedisServerProcess {
 public:
  // Picks the port; Start() runs the server.
  explicit RedisServerProcess(std::string redis_server = "redis-server");
  ~RedisServerProcess();  // Stop()

  // Starts the server and waits until it answers PING.
  absl::Status Start(absl::Duration timeout = absl::Seconds(10));
  // Stops it (SIGTERM, then SIGKILL); returns its exit status, or -1 if not running.
  int Stop();
  // SIGKILL, as a crash or an OOM kill would; returns as Stop() does.
  int Kill();
  bool Running() const { return process_ != nullptr; }

  int port() const { return port_; }
  std::string Url() const;  // redis://127.0.0.1:PORT
  // True when a fresh connection gets PONG within `timeout`.
  bool Ping(absl::Duration timeout = absl::Milliseconds(500)) const;
  // Runs one command on a fresh connection and returns the reply as text (the
  // string, status, integer, or the elements of an array joined by '\n'); an
  // error status when Redis fails or answers with an error.
  absl::StatusOr<std::string> Command(const std::vector<std::string>& args) const;
  // The server's log.
  std::string LogText() const;

 private:
  std::string redis_server_;
  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace mcpauth::test
