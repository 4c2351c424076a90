// A small synchronous Redis client (hiredis's protocol, our transport: plaintext or
// TLS, redis_connection.h): a bounded connection pool, connect and command timeouts,
// and reconnection with exponential backoff. While Redis is down, commands fail fast
// (Unavailable) instead of blocking request threads, and a background-free retry
// happens on the first command after the backoff expires.
//
// With Sentinel, the master is found by name (SENTINEL get-master-addr-by-name, the
// first sentinel that answers) and checked with ROLE on every new connection; a
// connection that breaks or answers READONLY (a demoted master) is dropped, so the
// next one goes to whichever server the sentinels name then: a failover needs no
// restart.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/metrics.h"
#include "services/common/redis_config.h"
#include "services/common/redis_connection.h"

namespace mcpauth {

struct RedisOptions {
  std::string host = "127.0.0.1";  // without sentinels
  int port = 6379;
  int db = 0;
  std::string username;
  std::string password;
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Milliseconds(250);
  int pool_size = 4;
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // TLS to the server (and the sentinels); `tls` names the files (reload_interval:
  // how often they are read again for new connections).
  bool tls_enabled = false;
  ClientTls tls;
  // Sentinel: the master's name and where the sentinels listen; their own password.
  std::string master_name;
  std::vector<RedisEndpoint> sentinels;
  std::string sentinel_password;
};

// Parses redis://[[user]:password@]host[:port][/db]; rediss:// is the same over TLS.
absl::StatusOr<RedisOptions> ParseRedisUrl(const std::string& url);

class RedisClient {
 public:
  RedisClient(RedisOptions options, prometheus::Registry* registry,
              const Clock* clock = SystemClock::Get());
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(const std::string& key);
  absl::Status SetWithExpiry(const std::string& key, const std::string& value, absl::Duration ttl);
  // SET key value NX PX ttl: true when this call created the key.
  absl::StatusOr<bool> SetIfAbsent(const std::string& key, const std::string& value,
                                   absl::Duration ttl);
  // DEL key: true when it existed.
  absl::StatusOr<bool> Delete(const std::string& key);
  // INCR key, and PEXPIRE NX so the first increment sets the expiry: the new value.
  absl::StatusOr<int64_t> Increment(const std::string& key, absl::Duration ttl);
  absl::Status Ping();
  bool up() const;
  // host:port/db, or the master's name and its current address; for logs (never
  // the password).
  std::string Describe() const;

 private:
  // Runs one command on a pooled connection; Unavailable when Redis is down.
  absl::StatusOr<RedisReplyPtr> Command(const char* operation, const std::vector<std::string>& args);
  absl::StatusOr<std::unique_ptr<RedisConnection>> Connect();
  // The master's address from the first sentinel that knows it.
  absl::StatusOr<RedisEndpoint> AskSentinels(const RedisTlsContext& tls);
  absl::StatusOr<RedisEndpoint> AskSentinel(const RedisEndpoint& sentinel, const RedisTlsContext& tls);
  // The TLS context for new connections (null: plaintext), made again from the
  // files every reload_interval; a replacement that fails keeps the one in use.
  absl::StatusOr<RedisTlsContext> TlsContext();
  void MarkDown(const std::string& why);
  void MarkUp();

  RedisOptions options_;
  const Clock* clock_;

  mutable std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // connected, ready for use
  int in_use_or_idle_ = 0;                              // connections that exist (idle or borrowed)
  RedisEndpoint master_;                                // with sentinels: the last one named

  std::mutex tls_mu_;
  RedisTlsContext tls_context_;
  absl::Time tls_loaded_ = absl::InfinitePast();
  bool up_ = true;
  absl::Time retry_after_ = absl::InfinitePast();
  absl::Duration backoff_;

  prometheus::Gauge* up_gauge_ = nullptr;
  prometheus::Family<prometheus::Counter>* errors_ = nullptr;
  prometheus::Counter* reconnects_ = nullptr;
  prometheus::Counter* master_changes_ = nullptr;
};

}  // namespace mcpauth
