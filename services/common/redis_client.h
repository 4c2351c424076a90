// A small synchronous Redis client over hiredis: a bounded connection pool, connect
// and command timeouts, and reconnection with exponential backoff. While Redis is
// down, commands fail fast (Unavailable) instead of blocking request threads, and a
// background-free retry happens on the first command after the backoff expires.
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

struct redisContext;

namespace mcpauth {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;
  std::string password;
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Milliseconds(250);
  int pool_size = 4;
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
};

// Parses redis://[[user]:password@]host[:port][/db]. rediss:// (TLS) is refused:
// the Debian hiredis is built without TLS.
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
  absl::Status Ping();
  bool up() const;
  std::string Describe() const;  // host:port/db, for logs (never the password)

 private:
  struct Reply;
  // Runs one command on a pooled connection; Unavailable when Redis is down.
  absl::StatusOr<std::shared_ptr<Reply>> Command(const char* operation,
                                                 const std::vector<std::string>& args);
  absl::StatusOr<redisContext*> Connect();
  void MarkDown(const std::string& why);
  void MarkUp();

  RedisOptions options_;
  const Clock* clock_;

  mutable std::mutex mu_;
  std::condition_variable available_;
  std::vector<redisContext*> idle_;  // connected contexts ready for use
  int in_use_or_idle_ = 0;           // contexts that exist (idle or borrowed)
  bool up_ = true;
  absl::Time retry_after_ = absl::InfinitePast();
  absl::Duration backoff_;

  prometheus::Gauge* up_gauge_ = nullptr;
  prometheus::Family<prometheus::Counter>* errors_ = nullptr;
  prometheus::Counter* reconnects_ = nullptr;
};

}  // namespace mcpauth
