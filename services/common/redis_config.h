// The `redis` section: the shared cache and replay store every service may use
// (cache_stores.h opens it).
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/service_section.h"

namespace mcpauth {

struct RedisEndpoint {
  std::string host;
  int port = 0;
};

// `redis.sentinel`: the master by name, from Redis Sentinel, instead of url's host.
struct RedisSentinelConfig {
  std::string master_name;  // empty: no Sentinel
  std::vector<RedisEndpoint> addresses;
  std::string password_file;  // the sentinels' own password (requirepass), if set
  int db = 0;

  bool enabled() const { return !master_name.empty(); }
};

struct RedisConfig {
  std::string url;  // redis:// or rediss://; empty (and no sentinel): in-process caches only
  std::string password_file;  // optional; overrides a password in the URL
  // TLS to Redis and the sentinels: on with a rediss:// url, or with a sentinel and
  // this section present. The CA (empty: the system's), the client certificate for
  // servers with tls-auth-clients, the name the server's certificate must carry.
  bool tls_enabled = false;
  ClientTls tls;
  RedisSentinelConfig sentinel;
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Milliseconds(250);
  int pool_size = 4;

  bool enabled() const { return !url.empty() || sentinel.enabled(); }
};

}  // namespace mcpauth
