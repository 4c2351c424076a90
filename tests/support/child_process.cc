#include "tests/support/child_process.h"

#include <atomic>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "services/common/strings.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

extern char** environ;

namespace mcpauth::test {
namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// The test's environment with `extra` added or replacing variables of the same name.
std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const std::string name(entry.substr(0, entry.find('=')));
    if (!extra.contains(name)) env.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(StrCat(name, "=", value));
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string DescribeCommand(const std::vector<std::string>& argv) { return StrJoin(argv, " "); }

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(ChildProcessOptions options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("ChildProcess: empty argv");
  if (options.log_path.empty()) return absl::InvalidArgumentError("ChildProcess: no log_path");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC;
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, options.log_path.c_str(), kFlags, 0644);
  if (options.stderr_path.empty()) {
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options.stderr_path.c_str(), kFlags, 0644);
  }
  // The test's own sockets (listeners, gRPC channels) must not live on in the
  // child: a stopped test server would otherwise keep accepting connections.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);

  // Default dispositions and an empty mask, whatever the test process uses.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int s : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = BuildEnvironment(options.env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    return absl::InternalError(
        StrCat("posix_spawn ", DescribeCommand(options.argv), ": ", std::strerror(rc)));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(std::move(options), pid));
}

ChildProcess::~ChildProcess() { Stop(); }

void ChildProcess::Reap(bool block) {
  if (exit_status_) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_status_ = DecodeWaitStatus(status);
  } else if (r < 0) {
    exit_status_ = -1;  // not our child any more (cannot happen unless reaped elsewhere)
  }
}

bool ChildProcess::Running() {
  Reap(false);
  return !exit_status_.has_value();
}

bool ChildProcess::Signal(int signal) {
  if (!Running()) return false;
  return ::kill(pid_, signal) == 0;
}

std::optional<int> ChildProcess::WaitForExit(absl::Duration timeout) {
  WaitFor([this] { return !Running(); }, timeout, absl::Milliseconds(10));
  return exit_status_;
}

int ChildProcess::Stop(absl::Duration timeout) {
  if (Signal(SIGTERM) && !WaitForExit(timeout)) {
    if (Signal(SIGKILL)) Reap(true);
  }
  Reap(true);
  return *exit_status_;
}

std::string ChildProcess::LogText() const { return ReadFile(options_.log_path); }

CommandResult RunToCompletion(std::vector<std::string> argv, const std::string& log_dir, const std::string& name,
                              absl::Duration timeout) {
  static std::atomic<int> serial{0};
  const std::string base = log_dir + "/" + name + "-" + std::to_string(++serial);
  auto p = ChildProcess::Start({.argv = std::move(argv), .env = {}, .log_path = base + ".out", .stderr_path = base + ".err"});
  CommandResult r;
  if (!p.ok()) {
    r.err = std::string(p.status().message());
    return r;
  }
  r.status = (*p)->WaitForExit(timeout).value_or(-1);
  if (r.status == -1) (*p)->Stop(absl::Seconds(2));
  r.out = (*p)->LogText();
  r.err = (*p)->StderrText();
  return r;
}

std::string ChildProcess::StderrText() const {
  return ReadFile(options_.stderr_path.empty() ? options_.log_path : options_.stderr_path);
}

}  // namespace mcpauth::test
