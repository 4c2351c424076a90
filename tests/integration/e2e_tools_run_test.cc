// End to end (issue 6): `tools/run` tried as a new user would. The script runs from a
// temporary directory laid out like a fresh clone that has been built (tools/ and
// tests/ link to this source tree, build/bin to this build's binaries, build/run is
// the script's own), with `--no-build --port-offset N`. The test reads what it
// prints, pastes the commands it shows (401, allowed call, denied call, validation
// API) into bash exactly as printed, then presses Ctrl-C (SIGINT to the script's
// process group) or sends SIGTERM, and checks that every process the script started,
// found by PID in its session, is gone.
#include <arpa/inet.h>
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "services/common/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/raw_http.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;

constexpr char kReadyLine[] = "Ctrl-C stops everything.";
// tools/run's default ports; --port-offset N adds N to each.
constexpr int kDefaultPorts[] = {8080, 9104, 50051, 9101, 50052, 9102, 50053, 9103, 6390, 3001, 9000};

void Record(std::string_view step, std::string_view features) {
  std::cout << "[e2e] " << step << ": " << features << std::endl;
}

// A --port-offset whose ports are all outside the kernel's ephemeral range, so that
// neither other tests' free-port picks (port 0) nor outgoing connections take them
// between the check and tools/run's binds; any offset if no such one exists.
int PickOffset(std::mt19937& random) {
  int low = 32768, high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  std::vector<int> candidates;
  for (int offset = 1000; offset + 50053 <= 65535; ++offset) {
    bool outside = true;
    for (int port : kDefaultPorts) outside = outside && (port + offset < low || port + offset > high);
    if (outside) candidates.push_back(offset);
  }
  if (candidates.empty()) return std::uniform_int_distribution<int>(1000, 15000)(random);
  return candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(random)];
}

bool PortFree(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return free;
}

// A process as /proc shows it; `start` (clock ticks since boot) tells a recycled PID apart.
struct ProcInfo {
  pid_t pid = 0;
  std::string comm;
  char state = '?';
  pid_t session = 0;
  unsigned long long start = 0;
};

std::optional<ProcInfo> ReadProc(pid_t pid) {
  std::ifstream in(StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;
  ProcInfo p;
  p.pid = pid;
  p.comm = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 2));
  // Fields 3.. of proc(5): state ppid pgrp session tty_nr tpgid flags minflt cminflt
  // majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime
  std::vector<std::string> f;
  for (std::string field; rest >> field;) f.push_back(field);
  if (f.size() < 20) return std::nullopt;
  p.state = f[0][0];
  p.session = static_cast<pid_t>(std::stol(f[3]));
  p.start = std::stoull(f[19]);
  return p;
}

// Every live process of session `sid` except its leader.
std::vector<ProcInfo> SessionMembers(pid_t sid) {
  std::vector<ProcInfo> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == sid) continue;
    auto p = ReadProc(pid);
    if (p && p->session == sid && p->state != 'Z') out.push_back(*p);
  }
  return out;
}

bool StillRunning(const ProcInfo& p) {
  auto now = ReadProc(p.pid);
  return now && now->start == p.start && now->state != 'Z';
}

// The value after `label` on the line that starts (after spaces) with it.
std::string FieldAfter(const std::string& text, std::string_view label) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::string_view trimmed = TrimAsciiWhitespace(line);
    if (!trimmed.starts_with(label)) continue;
    std::istringstream words{std::string(trimmed.substr(label.size()))};
    std::string value;
    words >> value;
    return value;
  }
  return "";
}

// A temporary directory that looks like a clone whose build is done: tools/ and tests/
// are this source tree's, build/bin is this build's. tools/run finds its root from
// its own path, so it runs "there" and keeps its state in that build/run.
class Checkout {
 public:
  Checkout() {
    std::filesystem::create_symlink(StrCat(MCPAUTH_SOURCE_DIR, "/tools"), dir_.File("tools"));
    std::filesystem::create_symlink(StrCat(MCPAUTH_SOURCE_DIR, "/tests"), dir_.File("tests"));
    std::filesystem::create_directory(dir_.File("build"));
    std::filesystem::create_symlink(StrCat(MCPAUTH_BINARY_DIR, "/bin"), dir_.File("build/bin"));
  }
  std::string Script() const { return dir_.File("tools/run"); }
  const test::TempDir& dir() const { return dir_; }

 private:
  test::TempDir dir_{"mcpauth-tools-run"};
};

// One tools/run, started in its own session (setsid) as a terminal would start a
// foreground job; whatever happens, everything in that session is stopped at the end.
class ToolsRun {
 public:
  explicit ToolsRun(const Checkout& checkout) {
    std::mt19937 random{std::random_device{}()};
    for (int attempt = 0; attempt < 6 && !ready_; ++attempt) {
      offset_ = PickOffset(random);
      bool all_free = true;
      for (int port : kDefaultPorts) all_free = all_free && PortFree(port + offset_);
      if (!all_free) continue;
      auto p = test::ChildProcess::Start(
          {.argv = {"setsid", checkout.Script(), "--no-build", "--port-offset", std::to_string(offset_)},
           .env = {},
           .log_path = checkout.dir().File(StrCat("tools-run-", attempt, ".log")),
           .stderr_path = ""});
      if (!p.ok()) return;
      process_ = std::move(*p);
      test::WaitFor([&] { return process_->LogText().find(kReadyLine) != std::string::npos || !process_->Running(); },
                    absl::Seconds(90), absl::Milliseconds(100));
      ready_ = process_->LogText().find(kReadyLine) != std::string::npos && process_->Running();
      if (ready_) {
        members_ = SessionMembers(process_->Pid());
      } else if (process_->LogText().find("already in use") == std::string::npos) {
        return;  // failed for another reason than a port race: the test reports the log
      }
    }
  }
  ~ToolsRun() {
    if (!process_) return;
    if (process_->Running()) {
      ::kill(-process_->Pid(), SIGTERM);
      process_->Stop(absl::Seconds(15));
    }
    // Only processes this tools/run started (its session, or seen in it, by PID and
    // start time), never by name.
    std::vector<ProcInfo> left = SessionMembers(process_->Pid());
    left.insert(left.end(), members_.begin(), members_.end());
    for (const ProcInfo& p : left) {
      if (StillRunning(p)) ::kill(p.pid, SIGKILL);
    }
  }

  bool ready() const { return ready_; }
  int offset() const { return offset_; }
  std::string Log() const { return process_ ? process_->LogText() : "(not started)"; }
  test::ChildProcess& process() { return *process_; }
  const std::vector<ProcInfo>& members() const { return members_; }

  // The commands under "Try", as printed, with the FULL= / LIMITED= lines pasted first.
  std::vector<std::string> PastedCommands() const {
    const std::string log = Log();
    std::string setup;
    for (std::string_view var : {"FULL=", "LIMITED="}) {
      const std::string value = FieldAfter(log, var);
      if (!value.empty()) setup += StrCat(var, value, "\n");
    }
    std::vector<std::string> out;
    bool in_try = false;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
      const std::string_view trimmed = TrimAsciiWhitespace(line);
      if (trimmed.starts_with("Try ")) in_try = true;
      if (trimmed == kReadyLine) in_try = false;
      if (!in_try || trimmed.empty() || trimmed.starts_with("#") || trimmed.starts_with("Try ")) continue;
      out.push_back(StrCat(setup, trimmed));
    }
    return out;
  }

 private:
  std::unique_ptr<test::ChildProcess> process_;
  int offset_ = 0;
  bool ready_ = false;
  std::vector<ProcInfo> members_;
};

struct Pasted {
  int status = -1;
  std::string out;
};
Pasted Paste(const std::string& commands, const test::TempDir& dir) {
  static int serial = 0;
  auto p = test::ChildProcess::Start({.argv = {"bash", "-c", commands},
                                      .env = {},
                                      .log_path = dir.File(StrCat("paste-", ++serial, ".log")),
                                      .stderr_path = ""});
  if (!p.ok()) return {};
  Pasted r;
  r.status = (*p)->WaitForExit(absl::Seconds(30)).value_or(-1);
  if (r.status == -1) (*p)->Stop(absl::Seconds(2));
  r.out = (*p)->LogText();
  return r;
}

// What tools/run printed works as printed, then the signal stops all it started.
void CheckPrintedCommandsThenStop(ToolsRun& run, const Checkout& checkout, int signal, bool whole_group) {
  const std::string log = run.Log();
  const int gw = 8080 + run.offset();
  const std::string url = StrCat("http://127.0.0.1:", gw, "/mcp");
  EXPECT_EQ(FieldAfter(log, "MCP URL"), url) << log;
  const std::string metadata_url = FieldAfter(log, "metadata");
  EXPECT_EQ(metadata_url, StrCat("http://127.0.0.1:", gw, "/.well-known/oauth-protected-resource/mcp"));

  // What it started: the services, redis, the upstream and the dev issuer.
  std::vector<std::string> names;
  for (const ProcInfo& p : run.members()) names.push_back(p.comm);
  EXPECT_THAT(names, ::testing::IsSupersetOf({"redis-server", "mcpauth-token-v", "mcpauth-scope-p", "mcpauth-metadat",
                                              "mcpauth-gateway", "node", "node"}))
      << StrJoin(names, ", ");

  // tools/run waits for the ports only; a person pasting takes longer than the
  // services need to become ready, so wait for that (bounded) as they would.
  EXPECT_TRUE(test::WaitFor(
      [&] {
        return test::RawHttpExchange(gw, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .starts_with("HTTP/1.1 200");
      },
      absl::Seconds(20), absl::Milliseconds(100)));

  const std::vector<std::string> commands = run.PastedCommands();
  ASSERT_EQ(commands.size(), 4u) << log;
  const Pasted challenge = Paste(commands[0], checkout.dir());
  EXPECT_THAT(commands[0], HasSubstr("curl -i"));
  EXPECT_THAT(challenge.out, HasSubstr("HTTP/1.1 401 Unauthorized"));  // after curl's progress meter (stderr)
  EXPECT_THAT(challenge.out,
              HasSubstr(StrCat(R"(WWW-Authenticate: Bearer resource_metadata=")", metadata_url, R"(")")));
  const Pasted allowed = Paste(commands[1], checkout.dir());
  EXPECT_THAT(commands[1], HasSubstr("mcpauth mcp"));
  EXPECT_EQ(allowed.status, 0) << allowed.out;
  EXPECT_THAT(allowed.out, HasSubstr("The sum of 1 and 2 is 3."));
  const Pasted denied = Paste(commands[2], checkout.dir());
  EXPECT_THAT(commands[2], HasSubstr("mcpauth mcp"));
  EXPECT_THAT(denied.out, HasSubstr(R"(Tool \"get-sum\" requires scopes: ['math']. Missing: ['math'])"));
  const Pasted validated = Paste(commands[3], checkout.dir());
  EXPECT_THAT(commands[3], HasSubstr("mcpauth validate"));
  EXPECT_EQ(validated.status, 0) << validated.out;
  EXPECT_THAT(validated.out, HasSubstr(R"("subject":"dev-user")"));
  const auto prm = test::HttpGetBody(metadata_url);
  ASSERT_TRUE(prm.has_value());
  EXPECT_THAT(*prm, HasSubstr(StrCat(R"("resource":")", url, R"(")")));

  ASSERT_EQ(::kill(whole_group ? -run.process().Pid() : run.process().Pid(), signal), 0);
  const std::optional<int> status = run.process().WaitForExit(absl::Seconds(30));
  ASSERT_TRUE(status.has_value()) << "tools/run did not stop";
  EXPECT_EQ(*status, 0) << run.Log();
  EXPECT_THAT(run.Log(), HasSubstr("tools/run: stopped everything it started"));
  // Nothing it started is left (each by PID and start time).
  EXPECT_TRUE(test::WaitFor(
      [&] {
        for (const ProcInfo& p : run.members()) {
          if (StillRunning(p)) return false;
        }
        return true;
      },
      absl::Seconds(10), absl::Milliseconds(50)));
  for (const ProcInfo& p : run.members()) EXPECT_FALSE(StillRunning(p)) << p.comm << " (pid " << p.pid << ") was left";
  // Under ASan/UBSan (tools/test's second build) the services report in their logs.
  for (const auto& entry : std::filesystem::directory_iterator(checkout.dir().File("build/run"))) {
    if (entry.path().extension() != ".log") continue;
    const std::string log = test::ReadFile(entry.path());
    for (std::string_view marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
      EXPECT_EQ(log.find(marker), std::string::npos) << entry.path() << ":\n" << log;
    }
  }
}

TEST(ToolsRun, PrintedCommandsWorkAndCtrlCStopsEverything) {
  Checkout checkout;
  ToolsRun run(checkout);
  ASSERT_TRUE(run.ready()) << run.Log();
  CheckPrintedCommandsThenStop(run, checkout, SIGINT, /*whole_group=*/true);
  if (!HasFailure()) {
    Record("tools/run + Ctrl-C",
           StrCat("--no-build --port-offset ", run.offset(),
                  ": the printed URL, tokens and 401 / allowed / denied / validate commands work as pasted; "
                  "SIGINT to its process group stopped all ",
                  run.members().size(), " processes it started"));
  }
}

TEST(ToolsRun, SigtermStopsEverything) {
  Checkout checkout;
  ToolsRun run(checkout);
  ASSERT_TRUE(run.ready()) << run.Log();
  CheckPrintedCommandsThenStop(run, checkout, SIGTERM, /*whole_group=*/false);
  if (!HasFailure()) {
    Record("tools/run + SIGTERM",
           StrCat("SIGTERM to the script alone stopped all ", run.members().size(), " processes it started"));
  }
}

TEST(ToolsRun, APortInUseIsNamed) {
  Checkout checkout;
  // Hold the gateway's port of some offset whose other ports are free.
  std::mt19937 random{std::random_device{}()};
  for (int attempt = 0; attempt < 10; ++attempt) {
    const int offset = PickOffset(random);
    bool all_free = true;
    for (int port : kDefaultPorts) all_free = all_free && PortFree(port + offset);
    if (!all_free) continue;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(8080 + offset));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 1) != 0) {
      ::close(fd);
      continue;
    }
    auto p =
        test::ChildProcess::Start({.argv = {checkout.Script(), "--no-build", "--port-offset", std::to_string(offset)},
                                   .env = {},
                                   .log_path = checkout.dir().File("in-use.log"),
                                   .stderr_path = ""});
    ASSERT_TRUE(p.ok());
    const std::optional<int> status = (*p)->WaitForExit(absl::Seconds(20));
    ::close(fd);
    ASSERT_TRUE(status.has_value()) << (*p)->LogText();
    EXPECT_EQ(*status, 1);
    EXPECT_THAT((*p)->LogText(), HasSubstr(StrCat("port ", 8080 + offset, " (for gateway) is already in use")));
    return;
  }
  FAIL() << "no free set of ports found in 10 tries";
}

}  // namespace
}  // namespace mcpauth
