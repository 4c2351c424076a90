// The stores a service's caches use, built from the `redis` config section: Redis
// with an in-process fallback when configured, in-process only otherwise.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "services/common/kv_store.h"
#include "services/common/redis_config.h"

namespace mcpauth {

struct CacheStores {
  std::unique_ptr<RedisClient> redis;  // null without Redis
  std::unique_ptr<KeyValueStore> shared;  // RedisStore, or null
  std::unique_ptr<KeyValueStore> local;
  std::unique_ptr<KeyValueStore> fallback;  // shared-then-local, or null

  // What caches should read and write.
  KeyValueStore* cache() const { return fallback ? fallback.get() : local.get(); }
};

// Logs at start-up which mode is in use, and warns when Redis is configured but
// not reachable yet (the service starts anyway and reconnects by itself).
absl::StatusOr<CacheStores> OpenCacheStores(const RedisConfig& config, prometheus::Registry* registry);

}  // namespace mcpauth
