#include "services/common/suite_config.h"

#include <fstream>
#include <sstream>

#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth {
namespace {

void ReadServiceSection(YamlSection section, std::string_view default_listen,
                        std::string_view default_metrics, ServiceSection& out) {
  out.listen = section.String("listen", default_listen);
  out.metrics_listen = section.String("metrics_listen", default_metrics);
  out.address = section.String("address", out.listen);
  out.shutdown_grace =
      section.Seconds("shutdown_grace", out.shutdown_grace, absl::ZeroDuration(), absl::Minutes(10));
  section.RejectUnknownKeys();
}

void CheckUrl(YamlSection& section, std::string_view key, const std::string& url,
              absl::Status (*check)(std::string_view)) {
  if (absl::Status s = check(url); !s.ok()) section.Fail(key, std::string(s.message()));
}

void ReadAuthorization(YamlSection section, AuthorizationConfig& out) {
  out.enabled = section.Bool("enabled", out.enabled);
  out.authorization_servers_set = section.Has("authorization_servers");
  out.authorization_servers = section.StringList("authorization_servers", out.authorization_servers);
  for (size_t i = 0; i < out.authorization_servers.size(); ++i) {
    CheckUrl(section, StrCat("authorization_servers[", i, "]"), out.authorization_servers[i],
             &CheckFetchUrl);
  }
  out.required_scopes = section.StringList("required_scopes");
  for (size_t i = 0; i < out.required_scopes.size(); ++i) {
    if (out.required_scopes[i].empty() ||
        out.required_scopes[i].find(' ') != std::string::npos) {
      section.Fail(StrCat("required_scopes[", i, "]"),
                   "a scope must be non-empty and contain no spaces");
    }
  }
  out.metadata_path = section.String("metadata_path", out.metadata_path);
  if (out.metadata_path.empty() || out.metadata_path[0] != '/') {
    section.Fail("metadata_path", "must be an absolute path starting with '/'");
  }
  out.cache_ttl = section.Seconds("cache_ttl", out.cache_ttl, absl::Seconds(1), absl::Hours(24 * 7));
  out.fail_open = section.Bool("fail_open", out.fail_open);
  if (auto key = section.Alias({"dpop_required", "require_dpop"})) {
    out.dpop_required = section.Bool(*key, out.dpop_required);
  }
  section.RejectUnknownKeys();
}

JwtValidatorConfig ReadValidator(YamlSection section) {
  JwtValidatorConfig v;
  v.path = section.path();
  v.issuer = section.String("issuer");
  if (v.issuer.empty()) section.Fail("issuer", "is required");
  v.jwks_uri = section.String("jwks_uri");
  v.jwks_file = section.String("jwks_file");
  if (!v.jwks_uri.empty() && !v.jwks_file.empty()) {
    section.Fail("jwks_file", "set either jwks_uri or jwks_file, not both");
  }
  if (!v.jwks_uri.empty()) CheckUrl(section, "jwks_uri", v.jwks_uri, &CheckFetchUrl);
  v.audiences = section.StringOrList("audience");
  for (const std::string& a : v.audiences) {
    if (a.empty()) section.Fail("audience", "must not be empty");
  }
  v.algorithms = section.StringList("algorithms");
  v.leeway = section.Seconds("leeway", v.leeway, absl::ZeroDuration(), absl::Minutes(10));
  section.RejectUnknownKeys();
  return v;
}

void ReadRedis(YamlSection section, RedisConfig& out) {
  out.url = section.String("url");
  out.password_file = section.String("password_file");
  out.connect_timeout = section.Seconds("connect_timeout", out.connect_timeout,
                                        absl::Milliseconds(10), absl::Seconds(30));
  out.command_timeout = section.Seconds("command_timeout", out.command_timeout,
                                        absl::Milliseconds(10), absl::Seconds(30));
  out.pool_size = static_cast<int>(section.Int("pool_size", out.pool_size, 1, 256));
  section.RejectUnknownKeys();
}

void ReadTokenValidation(YamlSection section, TokenValidationSection& out) {
  out.unknown_kid_refetch_interval =
      section.Seconds("unknown_kid_refetch_interval", out.unknown_kid_refetch_interval,
                      absl::ZeroDuration(), absl::Hours(1));
  out.jwks_max_stale =
      section.Seconds("jwks_max_stale", out.jwks_max_stale, absl::ZeroDuration(), absl::Hours(24 * 30));
  out.fetch_timeout =
      section.Seconds("fetch_timeout", out.fetch_timeout, absl::Milliseconds(100), absl::Minutes(1));
  out.token_cache_size = section.Int("token_cache_size", out.token_cache_size, 0, 10'000'000);
  out.max_token_bytes = section.Int("max_token_bytes", out.max_token_bytes, 256, 1 << 20);
  ReadServiceSection(section, "127.0.0.1:50051", "127.0.0.1:9101", out);
}

}  // namespace

SuiteConfig ParseSuiteConfig(const YAML::Node& root) {
  SuiteConfig config;
  YamlSection top(root, "");
  config.resource = top.String("resource");
  if (!config.resource.empty()) CheckUrl(top, "resource", config.resource, &CheckResourceUri);
  {
    YamlSection logging = top.Section("logging");
    const std::string level = logging.String("level", "info");
    if (!log::ParseLevel(level, &config.log_level)) {
      logging.Fail("level", StrCat("expected debug, info, warn or error, got \"", level, "\""));
    }
    logging.RejectUnknownKeys();
  }
  ReadAuthorization(top.Section("authorization"), config.authorization);
  for (YamlSection& v : top.SectionList("jwt_validators")) config.jwt_validators.push_back(ReadValidator(v));
  for (size_t i = 0; i < config.jwt_validators.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (config.jwt_validators[i].issuer == config.jwt_validators[j].issuer) {
        throw ConfigError(StrCat(config.jwt_validators[i].path,
                                       ".issuer: duplicates ", config.jwt_validators[j].path));
      }
    }
  }
  ReadRedis(top.Section("redis"), config.redis);
  ReadTokenValidation(top.Section("token_validation"), config.token_validation);
  ReadServiceSection(top.Section("scope_policy"), "127.0.0.1:50052", "127.0.0.1:9102", config.scope_policy);
  ReadServiceSection(top.Section("metadata"), "127.0.0.1:50053", "127.0.0.1:9103", config.metadata);
  ReadServiceSection(top.Section("gateway"), "127.0.0.1:8080", "127.0.0.1:9104", config.gateway);
  top.RejectUnknownKeys();
  return config;
}

SuiteConfig LoadSuiteConfig(const std::string& path) {
  SuiteConfig config = ParseSuiteConfig(LoadYamlFile(path));
  config.source_path = path;
  return config;
}

std::string ReadConfigFile(const std::string& path, const std::string& key_path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(StrCat(key_path, ": cannot read \"", path, "\""));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace mcpauth
