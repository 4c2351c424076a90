// The `redis` section: the shared cache and replay store every service may use
// (cache_stores.h opens it).
#pragma once

#include <string>

#include "absl/time/time.h"

namespace mcpauth {

struct RedisConfig {
  std::string url;  // empty: no Redis, in-process caches only
  std::string password_file;  // optional; overrides a password in the URL
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Milliseconds(250);
  int pool_size = 4;
};

}  // namespace mcpauth
