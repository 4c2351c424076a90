#include "tests/support/redis_server_process.h"

#include <hiredis/hiredis.h>

#include <csignal>
#include <fstream>

#include "services/common/redis_connection.h"
#include "services/common/strings.h"
#include "tests/support/ports.h"
#include "tests/support/wait_for.h"

namespace mcpauth::test {
namespace {

void AppendReply(const redisReply* r, std::string& out) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.append(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      StrAppend(out, r->integer);
      break;
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out.push_back('\n');
        AppendReply(r->element[i], out);
      }
      break;
    default:
      break;  // nil and the rest read as ""
  }
}

}  // namespace

RedisServerProcess::RedisServerProcess(RedisServerOptions options)
    : options_(std::move(options)), dir_("mcpauth-redis"), port_(PickFreePort()) {
  if (!options_.tls_cert_file.empty()) tls_port_ = PickFreePort();
}

RedisServerProcess::~RedisServerProcess() { Stop(); }

std::string RedisServerProcess::Url() const { return StrCat("redis://127.0.0.1:", port_); }
std::string RedisServerProcess::TlsUrl() const { return StrCat("rediss://127.0.0.1:", tls_port_); }

std::string RedisServerProcess::LogText() const { return ReadFile(dir_.File("redis.log")); }

absl::Status RedisServerProcess::Start(absl::Duration timeout) {
  if (process_) return absl::FailedPreconditionError("redis-server already running");
  std::vector<std::string> argv = {"redis-server"};
  if (options_.sentinel_of != 0) {
    // A Sentinel rewrites its config file, so it gets a fresh one per start.
    std::ofstream(dir_.File("sentinel.conf"))
        << "sentinel monitor " << kMasterName << " 127.0.0.1 " << options_.sentinel_of << " 1\n"
        << "sentinel down-after-milliseconds " << kMasterName << " 1000\n"
        << "sentinel failover-timeout " << kMasterName << " 10000\n";
    argv = {"redis-server", dir_.File("sentinel.conf"), "--sentinel"};
  }
  for (const std::string& a : {std::string("--port"), std::to_string(port_), std::string("--bind"),
                               std::string("127.0.0.1"), std::string("--dir"), dir_.path(), std::string("--daemonize"),
                               std::string("no"), std::string("--logfile"), std::string()}) {
    argv.push_back(a);
  }
  if (options_.sentinel_of == 0) {
    // A replica is copied at once, not after the default 5 s wait for more replicas.
    for (const char* a : {"--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"}) argv.push_back(a);
  }
  if (tls_port_ != 0) {
    for (const std::string& a :
         {std::string("--tls-port"), std::to_string(tls_port_), std::string("--tls-cert-file"), options_.tls_cert_file,
          std::string("--tls-key-file"), options_.tls_key_file}) {
      argv.push_back(a);
    }
    // redis-server wants a CA even when it asks clients for nothing.
    const std::string& ca = options_.tls_client_ca_file.empty() ? options_.tls_cert_file : options_.tls_client_ca_file;
    for (const std::string& a : {std::string("--tls-ca-cert-file"), ca, std::string("--tls-auth-clients"),
                                 std::string(options_.tls_client_ca_file.empty() ? "no" : "yes")}) {
      argv.push_back(a);
    }
  }
  if (options_.replica_of != 0) {
    for (const std::string& a : {std::string("--replicaof"), std::string("127.0.0.1"), std::to_string(options_.replica_of)}) {
      argv.push_back(a);
    }
  }
  if (!options_.requirepass.empty()) {
    argv.push_back("--requirepass");
    argv.push_back(options_.requirepass);
  }
  auto process = ChildProcess::Start({.argv = argv, .log_path = dir_.File("redis.log")});
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  if (!WaitFor([this] { return Ping() || !process_->Running(); }, timeout) || !process_->Running()) {
    const int status = Stop();
    return absl::UnavailableError(StrCat("redis-server on port ", port_, " did not answer PING (exit status ",
                                         status, "); log:\n", LogText()));
  }
  return absl::OkStatus();
}

int RedisServerProcess::Stop() {
  if (!process_) return -1;
  const int status = process_->Stop();
  process_.reset();
  return status;
}

int RedisServerProcess::Kill() {
  if (!process_) return -1;
  process_->Signal(SIGKILL);
  const int status = process_->Stop();  // reaps it
  process_.reset();
  return status;
}

absl::StatusOr<std::string> RedisServerProcess::Command(const std::vector<std::string>& args) const {
  const absl::Duration timeout = absl::Seconds(5);
  auto connection = RedisConnection::Open("127.0.0.1", port_, nullptr, "", timeout);
  if (!connection.ok()) return connection.status();
  if (!options_.requirepass.empty()) {
    auto auth = (*connection)->Run({"AUTH", options_.requirepass}, timeout);
    if (!auth.ok()) return auth.status();
  }
  auto reply = (*connection)->Run(args, timeout);
  if (!reply.ok()) return reply.status();
  if ((*reply)->type == REDIS_REPLY_ERROR) return absl::InternalError(std::string((*reply)->str, (*reply)->len));
  std::string out;
  AppendReply(reply->get(), out);
  return out;
}

absl::Status RedisServerProcess::WaitForReplication(const RedisServerProcess& replica, absl::Duration timeout) const {
  // ROLE: a master answers master, its offset, …; a replica slave, host, port, state, the offset it processed.
  auto offset = [](const absl::StatusOr<std::string>& role, size_t line) -> int64_t {
    if (!role.ok()) return -1;
    const std::vector<std::string_view> lines = SplitSkipEmpty(*role, '\n');
    int64_t value = -1;
    return lines.size() > line && ParseInt64(lines[line], value) ? value : -1;
  };
  const int64_t target = offset(Command({"ROLE"}), 1);
  if (target < 0) return absl::FailedPreconditionError(StrCat("port ", port_, " is not a master"));
  if (WaitFor([&] { return offset(replica.Command({"ROLE"}), 4) >= target; }, timeout)) return absl::OkStatus();
  return absl::DeadlineExceededError(StrCat("the replica on port ", replica.port(), " did not reach offset ", target));
}

bool RedisServerProcess::Ping(absl::Duration timeout) const {
  auto connection = RedisConnection::Open("127.0.0.1", port_, nullptr, "", timeout);
  if (!connection.ok()) return false;
  auto reply = (*connection)->Run({"PING"}, timeout);
  // A server with requirepass answers NOAUTH: it is up.
  return reply.ok() && ((*reply)->type == REDIS_REPLY_STATUS || (*reply)->type == REDIS_REPLY_ERROR);
}

}  // namespace mcpauth::test
