// One mcpauth service binary run as operators run it, for integration tests: its
// own two free loopback ports (gRPC and metrics), its own YAML config file, its
// log, its health checked over gRPC. Tests wrap it with their service's stub and
// RPC helpers.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::test {

// The path of the suite binary `name` (e.g. "mcpauth-metadata"): in
// $MCPAUTH_TEST_BIN_DIR when that is set and not empty (to run the tests against
// another build of the binaries, e.g. a sanitizer build), else in this build
// tree's bin/.
std::string Binary(std::string_view name);

// The end of a log for a failure message: `text` when it has at most `max_chars`
// characters, else "..." and its last `max_chars` characters.
std::string LogTail(const std::string& text, size_t max_chars = 6000);

// One service process; stopped when destroyed. Not copyable.
class ServiceProcess {
 public:
  // Picks the two ports and writes dir/<name>.yaml: `shared_config` (the suite's
  // configuration, written as given), then the service's section:
  //
  //   <section>:
  //     listen: 127.0.0.1:<grpc port>
  //     metrics_listen: 127.0.0.1:<metrics port>
  //     shutdown_grace: 1
  //   <section_lines>
  //
  // `section_lines` are further lines of that section exactly as they go in the
  // file (indented two spaces, each ending in '\n'). The process's output goes to
  // dir/<name>.log. `binary` is a name for Binary(), resolved here. Nothing runs
  // until Start(). shutdown_grace is short because a test's open channel keeps
  // gRPC's graceful shutdown waiting for the whole grace period.
  ServiceProcess(const TempDir& dir, std::string name, std::string_view binary, std::string_view shared_config,
                 std::string_view section, std::string_view section_lines = "");
  ~ServiceProcess();  // Stop()
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Runs `binary --config dir/<name>.yaml` and waits (up to 20 s, asking every
  // 50 ms) until its gRPC health service reports the server SERVING; then
  // channel() is set. When the process exits first or the wait runs out, stops it and returns
  // UNAVAILABLE "<name> did not become SERVING (exit status N); log:\n" followed
  // by LogTail() of its log. Other errors: as ChildProcess::Start.
  absl::Status Start();
  // SIGTERM, SIGKILL after 10 s; the exit status as ChildProcess::Stop reports it,
  // or -1 when the process was never started. Once it has exited, returns the
  // same status again.
  int Stop();

  const std::string& name() const { return name_; }
  const std::string& config_path() const { return config_path_; }
  // 127.0.0.1:<grpc port>
  std::string address() const;
  // Where Start() asks for health: address(), or the plaintext health_listen of a
  // service whose port speaks TLS (then channel() stays null: the caller makes its
  // own TLS channel). Set before Start().
  void set_health_address(std::string address) { health_address_ = std::move(address); }
  std::string health_address() const;
  // http://127.0.0.1:<metrics port>/metrics
  std::string metrics_url() const;
  // The sample written exactly as `sample` on the metrics endpoint (see
  // ScrapeMetric); nullopt when it cannot be read or has no such sample.
  std::optional<double> Metric(const std::string& sample) const;
  // What the process has written so far; "" before Start().
  std::string LogText() const;
  // The running (or exited) process; null before Start().
  ChildProcess* process() { return process_.get(); }
  // An insecure channel to address(), made once Start() has seen SERVING (null
  // until then, and with set_health_address), for the caller's stubs.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  std::string name_;
  std::string binary_;
  int grpc_port_, metrics_port_;
  std::string config_path_, log_path_;
  std::unique_ptr<ChildProcess> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string health_address_;
};

}  // namespace mcpauth::test
