#include "services/common/suite_config.h"

#include <fstream>
#include <sstream>

#include "proto/enum_label.h"
#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth {
namespace {

void ReadFilePath(YamlSection& section, std::string_view key, std::string& out) {
  out = section.String(key);
  if (section.Has(key) && out.empty()) section.Fail(key, "must name a file");
}

void ReadServerTls(YamlSection section, ServerTls& out) {
  ReadFilePath(section, "cert_file", out.cert_file);
  ReadFilePath(section, "key_file", out.key_file);
  ReadFilePath(section, "client_ca_file", out.client_ca_file);
  out.reload_interval = section.Seconds("reload_interval", out.reload_interval, absl::Seconds(1), absl::Hours(24));
  section.RejectUnknownKeys();
}

void ReadClientTls(YamlSection section, ClientTls& out) {
  ReadFilePath(section, "ca_file", out.ca_file);
  ReadFilePath(section, "cert_file", out.cert_file);
  ReadFilePath(section, "key_file", out.key_file);
  out.server_name = section.String("server_name");
  out.reload_interval = section.Seconds("reload_interval", out.reload_interval, absl::Seconds(1), absl::Hours(24));
  section.RejectUnknownKeys();
}

enum class Transport { kHttp, kGrpc };

void ReadServiceSection(YamlSection section, std::string_view default_listen, std::string_view default_metrics,
                        Transport transport, ServiceSection& out) {
  out.listen = section.String("listen", default_listen);
  out.metrics_listen = section.String("metrics_listen", default_metrics);
  out.address = section.String("address", out.listen);
  out.shutdown_grace =
      section.Seconds("shutdown_grace", out.shutdown_grace, absl::ZeroDuration(), absl::Minutes(10));
  ReadServerTls(section.Section("tls"), out.tls);
  if (transport == Transport::kGrpc) {
    ReadClientTls(section.Section("client_tls"), out.client_tls);
    out.health_listen = section.String("health_listen");
  }
  section.RejectUnknownKeys();
}

void CheckUrl(YamlSection& section, std::string_view key, const std::string& url,
              absl::Status (*check)(std::string_view)) {
  if (absl::Status s = check(url); !s.ok()) section.Fail(key, std::string(s.message()));
}

void CheckScopes(YamlSection& section, std::string_view key, const std::vector<std::string>& scopes) {
  for (size_t i = 0; i < scopes.size(); ++i) {
    if (scopes[i].empty() || scopes[i].find_first_of(" \t\r\n\"\\") != std::string::npos) {
      section.Fail(StrCat(key, "[", i, "]"),
                   "a scope must be non-empty and contain no spaces, quotes or backslashes (RFC 6749 §3.3)");
    }
  }
}

// One of the enum's labels (proto/enum_label.h).
template <typename E>
E ReadEnum(YamlSection& section, std::string_view key, E fallback) {
  const std::vector<std::string> labels = EnumLabels<E>();
  const std::vector<std::string_view> choices(labels.begin(), labels.end());
  return *EnumFromLabel<E>(section.OneOf(key, EnumLabel(fallback), choices));
}

void ReadRules(YamlSection& parent, std::string_view key, google::protobuf::RepeatedPtrField<v1::ScopeRule>& out) {
  YamlSection rules = parent.Section(key);
  for (auto& [name, rule] : rules.NamedSections()) {
    if (name.empty()) rules.Fail(name, "a name or pattern must not be empty");
    const std::vector<std::string> scopes = rule.StringList("required_scopes");
    CheckScopes(rule, "required_scopes", scopes);
    rule.RejectUnknownKeys();
    v1::ScopeRule* r = out.Add();
    r->set_pattern(name);
    r->mutable_required_scopes()->Assign(scopes.begin(), scopes.end());
  }
}

// The policy keys, wherever they sit: `auth` is the authorization section.
void ReadPolicyParts(YamlSection& top, YamlSection& auth, v1::Policy& out) {
  const std::vector<std::string> scopes = auth.StringList("required_scopes");
  CheckScopes(auth, "required_scopes", scopes);
  out.mutable_required_scopes()->Assign(scopes.begin(), scopes.end());
  out.set_scope_strategy(ReadEnum(auth, "scope_strategy", v1::SCOPE_STRATEGY_EXACT));
  ReadRules(top, "tools", *out.mutable_tools());
  ReadRules(top, "resources", *out.mutable_resources());
  ReadRules(top, "prompts", *out.mutable_prompts());
  YamlSection policy = top.Section("policy");
  out.set_list_filtering(policy.Bool("list_filtering", false));
  out.set_unknown_tool(ReadEnum(policy, "unknown_tool", v1::UNKNOWN_TOOL_ALLOW));
  policy.RejectUnknownKeys();
}

void ReadAuthorization(YamlSection& section, AuthorizationConfig& out) {
  out.enabled = section.Bool("enabled", out.enabled);
  out.authorization_servers_set = section.Has("authorization_servers");
  out.authorization_servers = section.StringList("authorization_servers", out.authorization_servers);
  for (size_t i = 0; i < out.authorization_servers.size(); ++i) {
    CheckUrl(section, StrCat("authorization_servers[", i, "]"), out.authorization_servers[i],
             &CheckFetchUrl);
  }
  out.metadata_path = section.String("metadata_path", out.metadata_path);
  if (out.metadata_path.empty() || out.metadata_path[0] != '/') {
    section.Fail("metadata_path", "must be an absolute path starting with '/'");
  }
  out.cache_ttl = section.Seconds("cache_ttl", out.cache_ttl, absl::Seconds(1), absl::Hours(24 * 7));
  out.fail_open = section.Bool("fail_open", out.fail_open);
  out.scope_enforcement = ReadEnum(section, "scope_enforcement", v1::SCOPE_ENFORCEMENT_AUTO);
  out.insufficient_scope = section.OneOf("insufficient_scope", "tool_error", {"tool_error", "http_403"}) == "http_403"
                               ? InsufficientScopeMode::kHttp403
                               : InsufficientScopeMode::kToolError;
  if (auto key = section.Alias({"dpop_required", "require_dpop"})) {
    out.dpop_required = section.Bool(*key, out.dpop_required);
  }
  out.dpop_leeway = section.Seconds("dpop_leeway", out.dpop_leeway, absl::Seconds(1), absl::Minutes(10));
  out.dpop_algorithms = section.StringList("dpop_algorithms");
  out.dpop_nonce = section.Bool("dpop_nonce", out.dpop_nonce);
  out.dpop_nonce_secret_file = section.String("dpop_nonce_secret_file");
  out.dpop_nonce_lifetime =
      section.Seconds("dpop_nonce_lifetime", out.dpop_nonce_lifetime, absl::Seconds(5), absl::Hours(1));
}

IntrospectionConfig ReadIntrospection(YamlSection section) {
  IntrospectionConfig out;
  out.enabled = true;
  out.endpoint = section.String("endpoint");
  if (!out.endpoint.empty()) CheckUrl(section, "endpoint", out.endpoint, &CheckFetchUrl);
  out.client_id = section.String("client_id");
  if (out.client_id.empty()) {
    section.Fail("client_id", "is required (RFC 7662 §2.1: the endpoint authenticates its callers)");
  }
  out.client_secret_file = section.String("client_secret_file");
  if (out.client_secret_file.empty()) section.Fail("client_secret_file", "is required");
  out.client_secret_post = section.OneOf("auth_method", "client_secret_basic",
                                         {"client_secret_basic", "client_secret_post"}) == "client_secret_post";
  out.cache_ttl = section.Seconds("cache_ttl", out.cache_ttl, absl::ZeroDuration(), absl::Hours(1));
  out.inactive_cache_ttl =
      section.Seconds("inactive_cache_ttl", out.inactive_cache_ttl, absl::ZeroDuration(), absl::Minutes(10));
  section.RejectUnknownKeys();
  return out;
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
  if (section.Has("introspection")) v.introspection = ReadIntrospection(section.Section("introspection"));
  section.RejectUnknownKeys();
  return v;
}

// "host:port" (an IPv6 address in brackets).
RedisEndpoint ReadEndpoint(YamlSection& section, std::string_view key, const std::string& text) {
  const std::string as_url = StrCat("redis://", text);  // the view below points into it
  auto parsed = ParseUri(as_url);
  int64_t port = 0;
  if (!parsed.ok() || parsed->host().empty() || !parsed->has_port() || parsed->has_userinfo() ||
      !parsed->path().empty() || parsed->has_query() || parsed->has_fragment() ||
      !ParseInt64(std::string(parsed->port()), port) || port <= 0 || port > 65535) {
    section.Fail(key, StrCat("\"", text, "\" is not host:port"));
  }
  return RedisEndpoint{std::string(parsed->host_address()), static_cast<int>(port)};
}

void ReadRedisSentinel(YamlSection section, RedisSentinelConfig& out) {
  out.master_name = section.String("master_name");
  const std::vector<std::string> addresses = section.StringList("addresses");
  for (size_t i = 0; i < addresses.size(); ++i) {
    out.addresses.push_back(ReadEndpoint(section, StrCat("addresses[", i, "]"), addresses[i]));
  }
  ReadFilePath(section, "password_file", out.password_file);
  out.db = static_cast<int>(section.Int("db", out.db, 0, 1 << 16));
  if (out.master_name.empty()) section.Fail("master_name", "names the master the sentinels watch; required");
  if (out.addresses.empty()) section.Fail("addresses", "lists the sentinels (host:port); at least one");
  section.RejectUnknownKeys();
}

void ReadRedis(YamlSection section, RedisConfig& out) {
  out.url = section.String("url");
  out.password_file = section.String("password_file");
  const bool has_tls = section.Has("tls");
  ReadClientTls(section.Section("tls"), out.tls);
  if (section.Has("sentinel")) {
    ReadRedisSentinel(section.Section("sentinel"), out.sentinel);
    if (!out.url.empty()) section.Fail("url", "give either url or sentinel (the sentinels name the master)");
    out.tls_enabled = has_tls;
  } else if (!out.url.empty()) {
    if (!StartsWithIgnoreCase(out.url, "redis://") && !StartsWithIgnoreCase(out.url, "rediss://")) {
      section.Fail("url", "must be redis:// or rediss:// (TLS)");
    }
    out.tls_enabled = StartsWithIgnoreCase(out.url, "rediss://");
    if (has_tls && !out.tls_enabled) section.Fail("tls", "applies to a rediss:// url (or a sentinel) only");
  } else if (has_tls) {
    section.Fail("tls", "needs a rediss:// url or a sentinel");
  }
  out.connect_timeout = section.Seconds("connect_timeout", out.connect_timeout,
                                        absl::Milliseconds(10), absl::Seconds(30));
  out.command_timeout = section.Seconds("command_timeout", out.command_timeout,
                                        absl::Milliseconds(10), absl::Seconds(30));
  out.pool_size = static_cast<int>(section.Int("pool_size", out.pool_size, 1, 256));
  section.RejectUnknownKeys();
}

void ReadMetadata(YamlSection section, MetadataSection& out) {
  out.resource_name = section.String("resource_name");
  out.resource_documentation = section.String("resource_documentation");
  if (!out.resource_documentation.empty()) {
    CheckUrl(section, "resource_documentation", out.resource_documentation, &CheckResourceUri);
  }
  out.scopes_supported = section.StringList("scopes_supported");
  CheckScopes(section, "scopes_supported", out.scopes_supported);
  for (size_t i = 0; i < out.scopes_supported.size(); ++i) {
    if (out.scopes_supported[i] == "offline_access") {
      section.Fail(StrCat("scopes_supported[", i, "]"),
                   "offline_access is not a resource scope and is never advertised (MCP 2025-11-25)");
    }
  }
  ReadServiceSection(section, "127.0.0.1:50053", "127.0.0.1:9103", Transport::kGrpc, out);
}

absl::Status CheckUpstreamUrl(std::string_view url) {
  auto parsed = ParseUri(url);
  if (!parsed.ok()) return parsed.status();
  if ((parsed->scheme() != "http" && parsed->scheme() != "https") || parsed->host().empty()) {
    return absl::InvalidArgumentError(StrCat("expected an http:// or https:// URL, got \"", url, "\""));
  }
  return absl::OkStatus();
}

void ReadFrontDoors(YamlSection& section, FrontDoors& out) {
  {
    YamlSection e = section.Section("ext_authz");
    out.ext_authz_listen = e.String("listen");
    ReadServerTls(e.Section("tls"), out.ext_authz_tls);
    out.ext_authz_health_listen = e.String("health_listen");
    if (out.ext_authz_listen.empty() && (e.Has("tls") || e.Has("health_listen"))) {
      e.Fail("listen", "is required when ext_authz has other keys (it is where Envoy sends Check calls)");
    }
    e.RejectUnknownKeys();
  }
  {
    YamlSection f = section.Section("forward_auth");
    out.forward_auth_path = f.String("path");
    if (f.Has("path") && (out.forward_auth_path.empty() || out.forward_auth_path[0] != '/' ||
                          out.forward_auth_path.find_first_of("?#") != std::string::npos)) {
      f.Fail("path", "must be a path starting with '/' (no query)");
    }
    f.RejectUnknownKeys();
  }
  const std::string unseen = section.String("unseen_body", "refuse");
  if (unseen == "refuse") {
    out.unseen_body = UnseenBody::kRefuse;
  } else if (unseen == "server_scopes_only") {
    out.unseen_body = UnseenBody::kServerScopesOnly;
  } else {
    section.Fail("unseen_body", StrCat("expected refuse or server_scopes_only, got \"", unseen, "\""));
  }
}

void ReadGateway(YamlSection section, const std::string& top_resource, GatewaySection& out) {
  std::vector<YamlSection> routes = section.SectionList("routes");
  for (size_t i = 0; i < routes.size(); ++i) {
    YamlSection& r = routes[i];
    GatewayRoute route;
    route.path = r.String("path", route.path);
    if (route.path.empty() || route.path[0] != '/') r.Fail("path", "must start with '/'");
    route.resource = r.String("resource", routes.size() == 1 ? top_resource : "");
    if (route.resource.empty()) {
      r.Fail("resource", "is required (the top-level resource is the default only with a single route)");
    }
    CheckUrl(r, "resource", route.resource, &CheckResourceUri);
    route.upstream = r.String("upstream");
    if (!route.upstream.empty()) CheckUrl(r, "upstream", route.upstream, &CheckUpstreamUrl);
    route.upstream_tls_set = r.Has("upstream_tls");
    ReadClientTls(r.Section("upstream_tls"), route.upstream_tls);
    if (route.upstream_tls_set && !StartsWithIgnoreCase(route.upstream, "https://")) {
      r.Fail("upstream_tls", "applies to an https:// upstream only");
    }
    route.audiences = r.StringList("audiences");
    for (const std::string& a : route.audiences) {
      if (a.empty()) r.Fail("audiences", "must not hold an empty string");
    }
    for (const GatewayRoute& other : out.routes) {
      if (other.path == route.path) r.Fail("path", StrCat("\"", route.path, "\" is already used by another route"));
    }
    r.RejectUnknownKeys();
    out.routes.push_back(std::move(route));
  }
  out.trusted_proxies = section.StringList("trusted_proxies");
  out.allowed_origins = section.StringList("allowed_origins");
  {
    YamlSection h = section.Section("identity_headers");
    IdentityHeaders& ih = out.identity_headers;
    for (auto [key, field] : {std::pair{"subject", &ih.subject}, std::pair{"scopes", &ih.scopes},
                              std::pair{"claims", &ih.claims}, std::pair{"anonymous", &ih.anonymous},
                              std::pair{"grant", &ih.grant}, std::pair{"credentials", &ih.credentials}}) {
      *field = h.String(key, *field);
      if (field->empty() || field->find_first_not_of(
                                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos) {
        h.Fail(key, "must be a header name (letters, digits and '-')");
      }
    }
    h.RejectUnknownKeys();
  }
  {
    YamlSection l = section.Section("limits");
    GatewayLimits& g = out.limits;
    g.max_header_bytes = l.Int("max_header_bytes", g.max_header_bytes, 1024, 1 << 20);
    g.max_body_bytes = l.Int("max_body_bytes", g.max_body_bytes, 1024, int64_t{1} << 30);
    g.header_timeout = l.Seconds("header_timeout", g.header_timeout, absl::Milliseconds(100), absl::Minutes(10));
    g.idle_timeout = l.Seconds("idle_timeout", g.idle_timeout, absl::Milliseconds(100), absl::Hours(1));
    g.write_timeout = l.Seconds("write_timeout", g.write_timeout, absl::Milliseconds(100), absl::Hours(1));
    g.max_streams = l.Int("max_streams", g.max_streams, 1, 1'000'000);
    g.upstream_connect_timeout = l.Seconds("upstream_connect_timeout", g.upstream_connect_timeout,
                                           absl::Milliseconds(10), absl::Minutes(5));
    g.upstream_timeout = l.Seconds("upstream_timeout", g.upstream_timeout, absl::Milliseconds(10), absl::Hours(1));
    g.validation_timeout =
        l.Seconds("validation_timeout", g.validation_timeout, absl::Milliseconds(10), absl::Minutes(1));
    g.upstream_idle_timeout =
        l.Seconds("upstream_idle_timeout", g.upstream_idle_timeout, absl::Milliseconds(100), absl::Hours(1));
    g.max_connections = l.Int("max_connections", g.max_connections, 1, 10'000'000);
    g.max_validations_in_flight = l.Int("max_validations_in_flight", g.max_validations_in_flight, 1, 1'000'000);
    g.failed_auth_rate = l.Number("failed_auth_rate", g.failed_auth_rate, 0, 1e6);
    g.failed_auth_burst = l.Number("failed_auth_burst", g.failed_auth_burst, 1, 1e6);
    g.failed_auth_total_rate = l.Number("failed_auth_total_rate", g.failed_auth_total_rate, 0, 1e7);
    l.RejectUnknownKeys();
  }
  out.threads = static_cast<int>(section.Int("threads", 0, 0, 256));
  out.session_ttl = section.Seconds("session_ttl", out.session_ttl, absl::Seconds(1), absl::Hours(24 * 30));
  out.validation_cache_ttl = section.Seconds("validation_cache_ttl", out.validation_cache_ttl, absl::ZeroDuration(),
                                             absl::Hours(1));
  out.validation_cache_size = section.Int("validation_cache_size", out.validation_cache_size, 0, 10'000'000);
  ReadFrontDoors(section, out.front_doors);
  if (section.Has("credentials")) {
    YamlSection c = section.Section("credentials");
    GatewayCredentials& g = out.credentials;
    g.enabled = true;
    g.grant_key_file = c.String("grant_key_file");
    if (g.grant_key_file.empty()) c.Fail("grant_key_file", "is required (the gateway's private grant signing key, a JWK)");
    g.grant_ttl = c.Seconds("grant_ttl", g.grant_ttl, absl::Seconds(5), absl::Hours(1));
    g.grant_max_uses = c.Int("grant_max_uses", g.grant_max_uses, 1, 10'000);
    g.handles_cache_ttl = c.Seconds("handles_cache_ttl", g.handles_cache_ttl, absl::ZeroDuration(), absl::Minutes(10));
    c.RejectUnknownKeys();
  }
  for (size_t i = 0; i < routes.size(); ++i) {
    if (out.routes[i].upstream.empty() && !out.front_doors.enabled()) {
      routes[i].Fail("upstream", "is required (a route without one is served only through gateway.ext_authz or "
                                 "gateway.forward_auth, and neither is on)");
    }
  }
  ReadServiceSection(section, "127.0.0.1:8080", "127.0.0.1:9104", Transport::kHttp, out);
}

void ReadCredentials(YamlSection section, CredentialsSection& out) {
  out.enabled = true;
  out.egress_listen = section.String("egress_listen", out.egress_listen);
  out.egress_address = section.String("egress_address", out.egress_listen);
  out.key_files = section.StringList("key_files");
  if (out.key_files.empty()) section.Fail("key_files", "at least one private key file (a P-256 ECDH-ES JWK) is required");
  out.record_secret_file = section.String("record_secret_file");
  if (out.record_secret_file.empty()) section.Fail("record_secret_file", "is required (at least 32 random bytes)");
  out.grant_keys_file = section.String("grant_keys_file");
  if (out.grant_keys_file.empty()) section.Fail("grant_keys_file", "is required (the gateway's public grant keys, a JWKS)");
  out.egress_timeout = section.Seconds("egress_timeout", out.egress_timeout, absl::Seconds(1), absl::Minutes(5));
  out.egress_idle_timeout =
      section.Seconds("egress_idle_timeout", out.egress_idle_timeout, absl::Milliseconds(100), absl::Minutes(10));
  out.max_request_bytes = section.Int("max_request_bytes", out.max_request_bytes, 1024, 64 << 20);
  out.max_response_bytes = section.Int("max_response_bytes", out.max_response_bytes, 1024, 256 << 20);
  out.max_connections = section.Int("max_connections", out.max_connections, 1, 100'000);
  ReadServiceSection(section, "127.0.0.1:50054", "127.0.0.1:9105", Transport::kGrpc, out);
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
  ReadServiceSection(section, "127.0.0.1:50051", "127.0.0.1:9101", Transport::kGrpc, out);
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
  YamlSection auth = top.Section("authorization");
  ReadAuthorization(auth, config.authorization);
  config.policy_file = top.String("policy_file");
  if (config.policy_file.empty()) {
    ReadPolicyParts(top, auth, config.policy);
    config.policy.set_source("config");
    config.authorization.required_scopes.assign(config.policy.required_scopes().begin(),
                                                config.policy.required_scopes().end());
  } else {
    for (std::string_view key : {"tools", "resources", "prompts", "policy"}) {
      if (top.Has(key)) top.Fail(key, "set it in policy_file, not here, when policy_file is used");
    }
    for (std::string_view key : {"required_scopes", "scope_strategy"}) {
      if (auth.Has(key)) auth.Fail(key, "set it in policy_file, not here, when policy_file is used");
    }
  }
  auth.RejectUnknownKeys();
  for (YamlSection& v : top.SectionList("jwt_validators")) config.jwt_validators.push_back(ReadValidator(v));
  for (size_t i = 0; i < config.jwt_validators.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (config.jwt_validators[i].issuer == config.jwt_validators[j].issuer) {
        throw ConfigError(StrCat(config.jwt_validators[i].path,
                                       ".issuer: duplicates ", config.jwt_validators[j].path));
      }
      if (config.jwt_validators[i].introspection.enabled && config.jwt_validators[j].introspection.enabled) {
        throw ConfigError(StrCat(config.jwt_validators[i].path, ".introspection: ", config.jwt_validators[j].path,
                                 " already introspects; an opaque token names no issuer, so only one "
                                 "authorization server may be asked about them"));
      }
    }
  }
  ReadRedis(top.Section("redis"), config.redis);
  ReadTokenValidation(top.Section("token_validation"), config.token_validation);
  ReadServiceSection(top.Section("scope_policy"), "127.0.0.1:50052", "127.0.0.1:9102", Transport::kGrpc,
                     config.scope_policy);
  ReadMetadata(top.Section("metadata"), config.metadata);
  if (top.Has("credentials")) ReadCredentials(top.Section("credentials"), config.credentials);
  ReadGateway(top.Section("gateway"), config.resource, config.gateway);
  if (config.gateway.credentials.enabled && !config.credentials.enabled) {
    throw ConfigError("gateway.credentials: the credentials section is required too (where the service listens, "
                      "and its keys)");
  }
  top.RejectUnknownKeys();
  return config;
}

v1::Policy ParsePolicyFile(const YAML::Node& root, const std::string& source) {
  v1::Policy policy;
  YamlSection top(root, "");
  YamlSection auth = top.Section("authorization");
  ReadPolicyParts(top, auth, policy);
  auth.RejectUnknownKeys();
  top.RejectUnknownKeys();
  policy.set_source(source);
  return policy;
}

std::vector<std::string> SuiteConfig::Resources() const {
  std::vector<std::string> out;
  for (const GatewayRoute& r : gateway.routes) out.push_back(r.resource);
  if (out.empty() && !resource.empty()) out.push_back(resource);
  return out;
}

std::vector<std::string> SuiteConfig::EffectiveAuthorizationServers() const {
  if (authorization.authorization_servers_set || jwt_validators.empty()) return authorization.authorization_servers;
  std::vector<std::string> out;
  for (const JwtValidatorConfig& v : jwt_validators) out.push_back(v.issuer);
  return out;
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
