// A child process for tests: started with posix_spawn, its output in a log file,
// stopped (SIGTERM, then SIGKILL after a timeout) when the test is done with it.
// It only ever signals the PID it started, and never after reaping it, so a
// recycled PID is never hit.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mcpauth::test {

struct ChildProcessOptions {
  // argv[0] is looked up in PATH when it holds no '/'.
  std::vector<std::string> argv;
  // Added to (or replacing in) the test's own environment.
  std::map<std::string, std::string> env;
  // stdout and stderr go here (truncated at start).
  std::string log_path;
  // When set, stderr goes here instead, so a test can check exactly what a
  // process printed as its error.
  std::string stderr_path;
};

class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(ChildProcessOptions options);
  ~ChildProcess();  // Stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t Pid() const { return pid_; }
  // False once the process has exited (it is then reaped).
  bool Running();
  // Sends `signal` if the process is still running; false otherwise.
  bool Signal(int signal);
  // Waits for the process to exit on its own; its exit status, or nullopt on timeout.
  std::optional<int> WaitForExit(absl::Duration timeout);
  // SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit status: the exit
  // code, or 128 + N when signal N ended the process (as shells report it).
  int Stop(absl::Duration timeout = absl::Seconds(10));
  // Set once the process has exited.
  std::optional<int> exit_status() const { return exit_status_; }

  // What the process wrote to its log (and stderr file, when separate).
  std::string LogText() const;
  std::string StderrText() const;
  const std::string& log_path() const { return options_.log_path; }

 private:
  ChildProcess(ChildProcessOptions options, pid_t pid) : options_(std::move(options)), pid_(pid) {}
  // Reaps the process if it has exited; `block` waits for it.
  void Reap(bool block);

  ChildProcessOptions options_;
  pid_t pid_;
  std::optional<int> exit_status_;
};

// "argv[0] arg1 ..." for messages.
std::string DescribeCommand(const std::vector<std::string>& argv);

// A command run to completion: its exit status (-1 when it could not start or was
// stopped at the timeout), its stdout, and its stderr.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
// Runs `argv` to completion, at most `timeout` (then it is stopped), its output kept
// in `log_dir` as <name>-<n>.out and .err.
CommandResult RunToCompletion(std::vector<std::string> argv, const std::string& log_dir, const std::string& name,
                              absl::Duration timeout = absl::Seconds(60));

}  // namespace mcpauth::test
