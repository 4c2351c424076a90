#include "services/common/cache_stores.h"

#include "services/common/log.h"
#include "services/common/suite_config.h"
#include "services/common/tls_files.h"

namespace mcpauth {

absl::StatusOr<CacheStores> OpenCacheStores(const RedisConfig& config, prometheus::Registry* registry) {
  CacheStores stores;
  stores.local = std::make_unique<InProcessStore>();
  if (!config.enabled()) {
    log::Info("redis not configured; caches are in-process only (not shared between replicas)");
    return stores;
  }
  absl::StatusOr<RedisOptions> options = RedisOptions{};
  if (config.sentinel.enabled()) {
    options->master_name = config.sentinel.master_name;
    options->sentinels = config.sentinel.addresses;
    options->db = config.sentinel.db;
    if (!config.sentinel.password_file.empty()) {
      options->sentinel_password = ReadConfigFile(config.sentinel.password_file, "redis.sentinel.password_file");
    }
  } else {
    options = ParseRedisUrl(config.url);
    if (!options.ok()) return options.status();
  }
  options->tls_enabled = config.tls_enabled;
  options->tls = config.tls;
  if (config.tls_enabled) CheckClientTls(config.tls, "redis.tls");
  if (!config.password_file.empty()) {
    options->password = ReadConfigFile(config.password_file, "redis.password_file");
  }
  options->connect_timeout = config.connect_timeout;
  options->command_timeout = config.command_timeout;
  options->pool_size = config.pool_size;
  stores.redis = std::make_unique<RedisClient>(*options, registry);
  stores.shared = std::make_unique<RedisStore>(stores.redis.get());
  stores.fallback = std::make_unique<FallbackStore>(stores.shared.get(), stores.local.get());
  if (absl::Status s = stores.redis->Ping(); s.ok()) {
    log::Info("redis connected; caches are shared between replicas", {{"redis", stores.redis->Describe()}});
  } else {
    log::Warn("redis configured but not reachable; starting with in-process caches and retrying",
              {{"redis", stores.redis->Describe()}, {"error", std::string(s.message())}});
  }
  return stores;
}

}  // namespace mcpauth
