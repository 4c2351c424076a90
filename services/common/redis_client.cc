#include "services/common/redis_client.h"

#include <sys/time.h>

#include <hiredis/hiredis.h>

#include <boost/url/parse.hpp>

#include "services/common/strings.h"
#include "services/common/log.h"
#include "services/common/url_policy.h"

namespace mcpauth {

struct RedisClient::Reply {
  explicit Reply(redisReply* r) : reply(r) {}
  ~Reply() { freeReplyObject(reply); }
  redisReply* reply;
};

namespace {

// One binary-safe command on `c`; null on an I/O error or timeout.
redisReply* RunCommand(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
}

}  // namespace

absl::StatusOr<RedisOptions> ParseRedisUrl(const std::string& url) {
  auto parsed = ParseUri(url);
  if (!parsed.ok()) return absl::InvalidArgumentError(StrCat("not a redis:// URL: \"", url, "\""));
  const boost::urls::url_view& u = *parsed;
  if (u.scheme() == "rediss") {
    return absl::InvalidArgumentError("rediss:// (TLS) is not supported by this build; use redis://");
  }
  if (u.scheme() != "redis") {
    return absl::InvalidArgumentError(StrCat("expected a redis:// URL, got \"", url, "\""));
  }
  RedisOptions options;
  if (u.host().empty()) return absl::InvalidArgumentError("redis URL has no host");
  options.host = std::string(u.host_address());
  if (u.has_port()) {
    int64_t port = 0;
    if (!ParseInt64(std::string(u.port()), port) || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError(StrCat("bad port in redis URL: \"", u.port(), "\""));
    }
    options.port = static_cast<int>(port);
  }
  if (u.has_userinfo()) {
    options.username = std::string(u.user());
    options.password = std::string(u.password());
  }
  std::string path(u.path());
  if (!path.empty() && path != "/") {
    int64_t db = 0;
    if (!ParseInt64(path.substr(1), db) || db < 0 || db > 1 << 16) {
      return absl::InvalidArgumentError(StrCat("bad database number in redis URL: \"", path, "\""));
    }
    options.db = static_cast<int>(db);
  }
  return options;
}

RedisClient::RedisClient(RedisOptions options, prometheus::Registry* registry, const Clock* clock)
    : options_(std::move(options)), clock_(clock), backoff_(options_.min_backoff) {
  if (registry != nullptr) {
    up_gauge_ = &prometheus::BuildGauge()
                     .Name("mcpauth_redis_up")
                     .Help("1 while the last Redis command succeeded, 0 while Redis is unreachable")
                     .Register(*registry)
                     .Add({});
    up_gauge_->Set(1);
    errors_ = &prometheus::BuildCounter()
                   .Name("mcpauth_redis_errors_total")
                   .Help("Redis commands that failed, by operation")
                   .Register(*registry);
    reconnects_ = &prometheus::BuildCounter()
                       .Name("mcpauth_redis_reconnects_total")
                       .Help("Connections opened to Redis after it had been down")
                       .Register(*registry)
                       .Add({});
  }
}

RedisClient::~RedisClient() {
  for (redisContext* c : idle_) redisFree(c);
}

std::string RedisClient::Describe() const {
  return StrCat(options_.host, ":", options_.port, "/", options_.db);
}

bool RedisClient::up() const {
  std::lock_guard<std::mutex> lock(mu_);
  return up_;
}

absl::StatusOr<redisContext*> RedisClient::Connect() {
  redisContext* c =
      redisConnectWithTimeout(options_.host.c_str(), options_.port, absl::ToTimeval(options_.connect_timeout));
  if (c == nullptr) return absl::UnavailableError("redis: out of memory");
  if (c->err) {
    std::string why = c->errstr;
    redisFree(c);
    return absl::UnavailableError(StrCat("redis connect to ", Describe(), ": ", why));
  }
  redisSetTimeout(c, absl::ToTimeval(options_.command_timeout));
  auto setup = [&](std::vector<std::string> args) -> absl::Status {
    redisReply* r = RunCommand(c, args);
    if (r == nullptr) return absl::UnavailableError(StrCat("redis ", args[0], ": ", c->errstr));
    Reply reply(r);
    if (r->type == REDIS_REPLY_ERROR) {
      return absl::PermissionDeniedError(StrCat("redis ", args[0], ": ", r->str));
    }
    return absl::OkStatus();
  };
  absl::Status s = absl::OkStatus();
  if (!options_.password.empty()) {
    s = options_.username.empty() ? setup({"AUTH", options_.password})
                                  : setup({"AUTH", options_.username, options_.password});
  }
  if (s.ok() && options_.db != 0) s = setup({"SELECT", std::to_string(options_.db)});
  if (!s.ok()) {
    redisFree(c);
    return s;
  }
  return c;
}

void RedisClient::MarkDown(const std::string& why) {
  bool was_up;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_up = up_;
    up_ = false;
    retry_after_ = clock_->Now() + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  }
  if (up_gauge_) up_gauge_->Set(0);
  if (was_up) log::Warn("redis unreachable; using in-process fallbacks", {{"redis", Describe()}, {"error", why}});
}

void RedisClient::MarkUp() {
  bool was_down;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_down = !up_;
    up_ = true;
    backoff_ = options_.min_backoff;
  }
  if (was_down) {
    if (up_gauge_) up_gauge_->Set(1);
    if (reconnects_) reconnects_->Increment();
    log::Info("redis reachable again", {{"redis", Describe()}});
  }
}

absl::StatusOr<std::shared_ptr<RedisClient::Reply>> RedisClient::Command(
    const char* operation, const std::vector<std::string>& args) {
  auto fail = [&](absl::Status s) {
    if (errors_) errors_->Add({{"operation", operation}}).Increment();
    return s;
  };
  redisContext* c = nullptr;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!up_ && clock_->Now() < retry_after_) {
      return fail(absl::UnavailableError(StrCat("redis ", Describe(), " is down; retrying later")));
    }
    available_.wait(lock, [&] { return !idle_.empty() || in_use_or_idle_ < options_.pool_size; });
    if (!idle_.empty()) {
      c = idle_.back();
      idle_.pop_back();
    } else {
      ++in_use_or_idle_;
    }
  }
  auto give_back = [&](redisContext* ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    if (ctx != nullptr) {
      idle_.push_back(ctx);
    } else {
      --in_use_or_idle_;
    }
    available_.notify_one();
  };
  if (c == nullptr) {
    auto connected = Connect();
    if (!connected.ok()) {
      give_back(nullptr);
      MarkDown(std::string(connected.status().message()));
      return fail(connected.status());
    }
    c = *connected;
  }
  redisReply* r = RunCommand(c, args);
  if (r == nullptr) {
    // I/O error or timeout: this connection is unusable.
    std::string why = c->errstr;
    redisFree(c);
    give_back(nullptr);
    MarkDown(why);
    return fail(absl::UnavailableError(StrCat("redis ", operation, ": ", why)));
  }
  give_back(c);
  MarkUp();
  auto reply = std::make_shared<Reply>(r);
  if (r->type == REDIS_REPLY_ERROR) {
    return fail(absl::InternalError(StrCat("redis ", operation, ": ", std::string(r->str, r->len))));
  }
  return reply;
}

absl::StatusOr<std::optional<std::string>> RedisClient::Get(const std::string& key) {
  auto reply = Command("get", {"GET", key});
  if (!reply.ok()) return reply.status();
  const redisReply* r = (*reply)->reply;
  if (r->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if (r->type != REDIS_REPLY_STRING) return absl::InternalError("redis GET: unexpected reply type");
  return std::optional<std::string>(std::string(r->str, r->len));
}

absl::Status RedisClient::SetWithExpiry(const std::string& key, const std::string& value,
                                        absl::Duration ttl) {
  const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(ttl));
  auto reply = Command("set", {"SET", key, value, "PX", std::to_string(ms)});
  return reply.ok() ? absl::OkStatus() : reply.status();
}

absl::StatusOr<bool> RedisClient::SetIfAbsent(const std::string& key, const std::string& value,
                                              absl::Duration ttl) {
  const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(ttl));
  auto reply = Command("set_nx", {"SET", key, value, "NX", "PX", std::to_string(ms)});
  if (!reply.ok()) return reply.status();
  // OK when set, nil when the key already existed.
  return (*reply)->reply->type == REDIS_REPLY_STATUS;
}

absl::Status RedisClient::Ping() {
  auto reply = Command("ping", {"PING"});
  return reply.ok() ? absl::OkStatus() : reply.status();
}

}  // namespace mcpauth
