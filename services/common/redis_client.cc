#include "services/common/redis_client.h"

#include <hiredis/hiredis.h>

#include <boost/url/parse.hpp>

#include "services/common/strings.h"
#include "services/common/log.h"
#include "services/common/url_policy.h"

namespace mcpauth {
namespace {

std::string_view Text(const redisReply* r) { return r->str != nullptr ? std::string_view(r->str, r->len) : ""; }

}  // namespace

absl::StatusOr<RedisOptions> ParseRedisUrl(const std::string& url) {
  auto parsed = ParseUri(url);
  if (!parsed.ok()) return absl::InvalidArgumentError(StrCat("not a redis:// URL: \"", url, "\""));
  const boost::urls::url_view& u = *parsed;
  if (u.scheme() != "redis" && u.scheme() != "rediss") {
    return absl::InvalidArgumentError(StrCat("expected a redis:// or rediss:// URL, got \"", url, "\""));
  }
  RedisOptions options;
  options.tls_enabled = u.scheme() == "rediss";
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
    if (!options_.sentinels.empty()) {
      master_changes_ = &prometheus::BuildCounter()
                             .Name("mcpauth_redis_master_changes_total")
                             .Help("Times the sentinels named another address for the Redis master (failovers)")
                             .Register(*registry)
                             .Add({});
    }
  }
}

RedisClient::~RedisClient() = default;

std::string RedisClient::Describe() const {
  if (options_.sentinels.empty()) return StrCat(options_.host, ":", options_.port, "/", options_.db);
  std::lock_guard<std::mutex> lock(mu_);
  return StrCat("master \"", options_.master_name, "\" (",
                master_.host.empty() ? "not found yet" : StrCat(master_.host, ":", master_.port), ")/", options_.db);
}

bool RedisClient::up() const {
  std::lock_guard<std::mutex> lock(mu_);
  return up_;
}

absl::StatusOr<RedisTlsContext> RedisClient::TlsContext() {
  if (!options_.tls_enabled) return RedisTlsContext();
  std::lock_guard<std::mutex> lock(tls_mu_);
  const absl::Time now = clock_->Now();
  if (tls_context_ && now - tls_loaded_ < options_.tls.reload_interval) return tls_context_;
  auto made = MakeRedisTlsContext(options_.tls.ca_file, options_.tls.cert_file, options_.tls.key_file);
  tls_loaded_ = now;
  if (made.ok()) {
    tls_context_ = *made;
  } else if (tls_context_) {
    log::Warn("redis.tls: the files do not make a TLS context; keeping the one in use",
              {{"error", std::string(made.status().message())}});
  } else {
    return absl::UnavailableError(StrCat("redis.tls: ", made.status().message()));
  }
  return tls_context_;
}

absl::StatusOr<RedisEndpoint> RedisClient::AskSentinel(const RedisEndpoint& sentinel, const RedisTlsContext& tls) {
  auto connection =
      RedisConnection::Open(sentinel.host, sentinel.port, tls, options_.tls.server_name, options_.connect_timeout);
  if (!connection.ok()) return connection.status();
  auto run = [&](std::vector<std::string> args) -> absl::StatusOr<RedisReplyPtr> {
    auto reply = (*connection)->Run(args, options_.command_timeout);
    if (reply.ok() && (*reply)->type == REDIS_REPLY_ERROR) {
      return absl::FailedPreconditionError(StrCat(args[0], ": ", Text(reply->get())));
    }
    return reply;
  };
  if (!options_.sentinel_password.empty()) {
    if (auto auth = run({"AUTH", options_.sentinel_password}); !auth.ok()) return auth.status();
  }
  auto reply = run({"SENTINEL", "get-master-addr-by-name", options_.master_name});
  if (!reply.ok()) return reply.status();
  const redisReply* r = reply->get();
  int64_t port = 0;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
      r->element[0]->len == 0 || r->element[1]->type != REDIS_REPLY_STRING ||
      !ParseInt64(std::string(Text(r->element[1])), port) || port <= 0 || port > 65535) {
    return absl::NotFoundError(StrCat("knows no master named \"", options_.master_name, "\""));
  }
  return RedisEndpoint{std::string(Text(r->element[0])), static_cast<int>(port)};
}

absl::StatusOr<RedisEndpoint> RedisClient::AskSentinels(const RedisTlsContext& tls) {
  std::string errors;
  for (const RedisEndpoint& sentinel : options_.sentinels) {
    auto master = AskSentinel(sentinel, tls);
    if (master.ok()) return master;
    StrAppend(errors, errors.empty() ? "" : "; ", "sentinel ", sentinel.host, ":", sentinel.port, ": ",
              master.status().message());
  }
  return absl::UnavailableError(errors);
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisClient::Connect() {
  auto tls = TlsContext();
  if (!tls.ok()) return tls.status();
  RedisEndpoint target{options_.host, options_.port};
  if (!options_.sentinels.empty()) {
    auto master = AskSentinels(*tls);
    if (!master.ok()) return master.status();
    target = *master;
  }
  const std::string where = StrCat(target.host, ":", target.port);
  auto connection =
      RedisConnection::Open(target.host, target.port, *tls, options_.tls.server_name, options_.connect_timeout);
  if (!connection.ok()) return absl::UnavailableError(StrCat("redis ", connection.status().message()));
  auto setup = [&](std::vector<std::string> args) -> absl::StatusOr<RedisReplyPtr> {
    auto reply = (*connection)->Run(args, options_.command_timeout);
    if (!reply.ok()) {
      return absl::UnavailableError(StrCat("redis ", where, " ", args[0], ": ", reply.status().message()));
    }
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      return absl::PermissionDeniedError(StrCat("redis ", where, " ", args[0], ": ", Text(reply->get())));
    }
    return reply;
  };
  if (!options_.password.empty()) {
    auto r = options_.username.empty() ? setup({"AUTH", options_.password})
                                       : setup({"AUTH", options_.username, options_.password});
    if (!r.ok()) return r.status();
  }
  if (options_.db != 0) {
    if (auto r = setup({"SELECT", std::to_string(options_.db)}); !r.ok()) return r.status();
  }
  if (!options_.sentinels.empty()) {
    // The sentinels may lag a failover: only a server that says it is the master is used.
    auto role = setup({"ROLE"});
    if (!role.ok()) return role.status();
    const redisReply* r = role->get();
    const std::string_view name =
        r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? Text(r->element[0]) : std::string_view("unknown");
    if (name != "master") {
      return absl::UnavailableError(StrCat("redis ", where, " is not the master (its role: ", name,
                                           "); asking the sentinels again"));
    }
    bool changed, first;
    {
      first = master_.host.empty();
      std::lock_guard<std::mutex> lock(mu_);
      changed = !master_.host.empty() && (master_.host != target.host || master_.port != target.port);
      master_ = target;
    }
    if (changed && master_changes_) master_changes_->Increment();
    if (changed || first) {
      log::Info("redis master named by the sentinels", {{"master", options_.master_name}, {"address", where}});
    }
  }
  return std::move(*connection);
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

absl::StatusOr<RedisReplyPtr> RedisClient::Command(const char* operation, const std::vector<std::string>& args) {
  auto fail = [&](absl::Status s) {
    if (errors_) errors_->Add({{"operation", operation}}).Increment();
    return s;
  };
  std::unique_ptr<RedisConnection> connection;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!up_ && clock_->Now() < retry_after_) {
      return fail(absl::UnavailableError("redis is down; retrying later"));
    }
    available_.wait(lock, [&] { return !idle_.empty() || in_use_or_idle_ < options_.pool_size; });
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++in_use_or_idle_;
    }
  }
  auto give_back = [&](std::unique_ptr<RedisConnection> used) {
    std::lock_guard<std::mutex> lock(mu_);
    if (used != nullptr) {
      idle_.push_back(std::move(used));
    } else {
      --in_use_or_idle_;
    }
    available_.notify_one();
  };
  // A pooled connection the server has closed meanwhile (restart, failover, idle
  // timeout) is replaced before the command is sent, never after.
  if (connection != nullptr && !connection->StillOpen()) connection.reset();
  if (connection == nullptr) {
    auto connected = Connect();
    if (!connected.ok()) {
      give_back(nullptr);
      MarkDown(std::string(connected.status().message()));
      return fail(connected.status());
    }
    connection = std::move(*connected);
  }
  auto reply = connection->Run(args, options_.command_timeout);
  if (!reply.ok()) {
    // I/O error or timeout: this connection is unusable.
    give_back(nullptr);
    MarkDown(std::string(reply.status().message()));
    return fail(absl::UnavailableError(StrCat("redis ", operation, ": ", reply.status().message())));
  }
  if ((*reply)->type == REDIS_REPLY_ERROR && Text(reply->get()).starts_with("READONLY")) {
    // A master demoted by a failover: the next connection asks the sentinels again.
    give_back(nullptr);
    MarkDown(std::string(Text(reply->get())));
    return fail(absl::UnavailableError(StrCat("redis ", operation, ": ", Text(reply->get()))));
  }
  give_back(std::move(connection));
  MarkUp();
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    return fail(absl::InternalError(StrCat("redis ", operation, ": ", Text(reply->get()))));
  }
  return reply;
}

absl::StatusOr<std::optional<std::string>> RedisClient::Get(const std::string& key) {
  auto reply = Command("get", {"GET", key});
  if (!reply.ok()) return reply.status();
  const redisReply* r = reply->get();
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
  return (*reply)->type == REDIS_REPLY_STATUS;
}

absl::StatusOr<bool> RedisClient::Delete(const std::string& key) {
  auto reply = Command("del", {"DEL", key});
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_INTEGER) return absl::InternalError("redis DEL: unexpected reply type");
  return (*reply)->integer > 0;
}

absl::StatusOr<int64_t> RedisClient::Increment(const std::string& key, absl::Duration ttl) {
  auto reply = Command("incr", {"INCR", key});
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_INTEGER) return absl::InternalError("redis INCR: unexpected reply type");
  const int64_t value = (*reply)->integer;
  if (value == 1) {
    const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(ttl));
    auto expire = Command("pexpire", {"PEXPIRE", key, std::to_string(ms)});
    if (!expire.ok()) return expire.status();
  }
  return value;
}

absl::Status RedisClient::Ping() {
  auto reply = Command("ping", {"PING"});
  return reply.ok() ? absl::OkStatus() : reply.status();
}

}  // namespace mcpauth
