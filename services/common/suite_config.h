// The suite's one YAML configuration file. Every service loads the whole file with
// the same schema (so a typo anywhere is caught by whichever service starts first)
// and uses its own section. Names follow the seed's AuthorizationConfig and
// JWTValidatorConfig so its users feel at home.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/log.h"
#include "services/common/yaml_reader.h"

namespace mcpauth {

struct ServiceSection {
  std::string listen;          // host:port the service binds
  std::string metrics_listen;  // host:port of its Prometheus endpoint; empty: none
  std::string address;         // how the other services reach it; default: listen
  absl::Duration shutdown_grace = absl::Seconds(10);  // in-flight calls get this long
};

struct JwtValidatorConfig {
  std::string issuer;
  std::string jwks_uri;                 // fetched over https (http only for loopback)
  std::string jwks_file;                // or read from a file
  std::vector<std::string> audiences;   // empty: the request's resource / top-level resource
  std::vector<std::string> algorithms;  // empty: every supported asymmetric JWS algorithm
  absl::Duration leeway = absl::Seconds(60);
  std::string path;                     // config path, for error messages
};

struct AuthorizationConfig {
  bool enabled = false;
  std::vector<std::string> authorization_servers = {"https://as.dedaluslabs.ai"};
  bool authorization_servers_set = false;  // written in the file, not the seed's default
  std::vector<std::string> required_scopes;
  std::string metadata_path = "/.well-known/oauth-protected-resource";
  absl::Duration cache_ttl = absl::Seconds(300);
  bool fail_open = false;
  bool dpop_required = false;  // alias: require_dpop
};

struct RedisConfig {
  std::string url;  // empty: no Redis, in-process caches only
  std::string password_file;  // optional; overrides a password in the URL
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Milliseconds(250);
  int pool_size = 4;
};

struct TokenValidationSection : ServiceSection {
  // A token whose kid is unknown triggers at most one JWKS refetch per URI per interval.
  absl::Duration unknown_kid_refetch_interval = absl::Seconds(30);
  // How long keys are kept (and used) after their cache lifetime when refreshes fail.
  absl::Duration jwks_max_stale = absl::Hours(24);
  absl::Duration fetch_timeout = absl::Seconds(5);
  int64_t token_cache_size = 10000;
  int64_t max_token_bytes = 16 * 1024;
};

struct SuiteConfig {
  std::string source_path;  // the file it was loaded from
  std::string resource;     // canonical resource URI; the default audience
  log::Level log_level = log::Level::kInfo;
  AuthorizationConfig authorization;
  std::vector<JwtValidatorConfig> jwt_validators;
  RedisConfig redis;
  TokenValidationSection token_validation;
  ServiceSection scope_policy;
  ServiceSection metadata;
  ServiceSection gateway;
};

// Throws ConfigError with the offending key's path.
SuiteConfig ParseSuiteConfig(const YAML::Node& root);
SuiteConfig LoadSuiteConfig(const std::string& path);

// The text of a file named in the configuration (e.g. a password file), with
// trailing newlines removed; ConfigError naming `key_path` when unreadable.
std::string ReadConfigFile(const std::string& path, const std::string& key_path);

}  // namespace mcpauth
