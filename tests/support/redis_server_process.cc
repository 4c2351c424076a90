#include "tests/support/redis_server_process.h"

#include <hiredis/hiredis.h>

#include <csignal>

#include "services/common/strings.h"
#include "tests/support/ports.h"
#include "tests/support/wait_for.h"

namespace mcpauth::test {
namespace {

using ContextPtr = std::unique_ptr<redisContext, decltype(&redisFree)>;
using ReplyPtr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

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

RedisServerProcess::RedisServerProcess(std::string redis_server)
    : redis_server_(std::move(redis_server)), dir_("mcpauth-redis"), port_(PickFreePort()) {}

RedisServerProcess::~RedisServerProcess() { Stop(); }

std::string RedisServerProcess::Url() const { return StrCat("redis://127.0.0.1:", port_); }

std::string RedisServerProcess::LogText() const { return ReadFile(dir_.File("redis.log")); }

absl::Status RedisServerProcess::Start(absl::Duration timeout) {
  if (process_) return absl::FailedPreconditionError("redis-server already running");
  auto process = ChildProcess::Start(
      {.argv = {redis_server_, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", dir_.path(), "--daemonize", "no", "--logfile", ""},
       .log_path = dir_.File("redis.log")});
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
  const timeval timeout = absl::ToTimeval(absl::Seconds(2));
  ContextPtr c(redisConnectWithTimeout("127.0.0.1", port_, timeout), &redisFree);
  if (!c || c->err) {
    return absl::UnavailableError(StrCat("redis connect: ", c ? c->errstr : "out of memory"));
  }
  redisSetTimeout(c.get(), timeout);
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  ReplyPtr reply(static_cast<redisReply*>(
                     redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())),
                 &freeReplyObject);
  if (!reply) return absl::UnavailableError(StrCat("redis: ", c->errstr));
  if (reply->type == REDIS_REPLY_ERROR) return absl::InternalError(std::string(reply->str, reply->len));
  std::string out;
  AppendReply(reply.get(), out);
  return out;
}

bool RedisServerProcess::Ping(absl::Duration timeout) const {
  const timeval tv = absl::ToTimeval(timeout);
  ContextPtr c(redisConnectWithTimeout("127.0.0.1", port_, tv), &redisFree);
  if (!c || c->err) return false;
  redisSetTimeout(c.get(), tv);
  ReplyPtr reply(static_cast<redisReply*>(redisCommand(c.get(), "PING")), &freeReplyObject);
  return reply && reply->type == REDIS_REPLY_STATUS && std::string_view(reply->str, reply->len) == "PONG";
}

}  // namespace mcpauth::test
