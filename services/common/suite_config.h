// The suite's one YAML configuration file. Every service loads the whole file with
// the same schema (so a typo anywhere is caught by whichever service starts first)
// and uses its own section. Names follow Dedalus MCP's AuthorizationConfig and
// JWTValidatorConfig, so their users find the keys they know.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "mcpauth/v1/metadata.pb.h"
#include "mcpauth/v1/scope_policy.pb.h"
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

// scope_strategy (exact, wildcard, hierarchic) and scope_enforcement (auto, always,
// never): the proto enums, spelled in YAML by their labels (proto/enum_label.h).
using ScopeStrategy = v1::ScopeStrategy;
using ScopeEnforcement = v1::ScopeEnforcement;
enum class InsufficientScopeMode {
  kToolError,  // a denied tools/call is a JSON-RPC result with isError and the denial text
  kHttp403,    // a 403 insufficient_scope challenge the client can step up from
};

struct AuthorizationConfig {
  bool enabled = false;
  std::vector<std::string> authorization_servers = {"https://as.dedaluslabs.ai"};
  bool authorization_servers_set = false;  // written in the file, not the default
  std::vector<std::string> required_scopes;
  std::string metadata_path = "/.well-known/oauth-protected-resource";
  absl::Duration cache_ttl = absl::Seconds(300);
  bool fail_open = false;
  ScopeEnforcement scope_enforcement = v1::SCOPE_ENFORCEMENT_AUTO;
  InsufficientScopeMode insufficient_scope = InsufficientScopeMode::kToolError;
  // DPoP (RFC 9449).
  bool dpop_required = false;  // alias: require_dpop
  absl::Duration dpop_leeway = absl::Seconds(60);  // proof iat acceptance window, each way
  std::vector<std::string> dpop_algorithms;        // empty: every supported asymmetric algorithm
  bool dpop_nonce = false;                         // require server-issued nonces
  std::string dpop_nonce_secret_file;              // shared by replicas; empty: random per process
  absl::Duration dpop_nonce_lifetime = absl::Seconds(60);
};

// The authorization policy scope-policy owns is a v1::Policy (proto/mcpauth/v1/
// scope_policy.proto), read from the main file (authorization.required_scopes /
// scope_strategy, tools, resources, prompts, policy) or, when `policy_file` is set,
// from that file with the same layout.

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

struct MetadataSection : ServiceSection {
  std::string resource_name;
  std::string resource_documentation;
  std::vector<std::string> scopes_supported;  // empty: the policy's server-level required scopes
};

struct GatewayRoute {
  std::string path = "/mcp";
  std::string resource;  // canonical resource URI; default: the top-level resource (one route only)
  std::string upstream;  // http://host:port/path of the upstream MCP server
  // Token audiences this route accepts besides its resource URI (an authorization
  // server's API identifier for it). A validator's `audience` counts only for the
  // top-level resource, so with several routes each names its own here.
  std::vector<std::string> audiences;
};

struct IdentityHeaders {
  std::string subject = "X-MCP-Auth-Subject";
  std::string scopes = "X-MCP-Auth-Scopes";     // space-separated
  std::string claims = "X-MCP-Auth-Claims";     // base64url of the claims JSON
  std::string anonymous = "X-MCP-Auth-Anonymous";  // "true" when let through by fail_open
};

struct GatewayLimits {
  int64_t max_header_bytes = 16 * 1024;
  int64_t max_body_bytes = 4 * 1024 * 1024;
  absl::Duration header_timeout = absl::Seconds(10);  // a client must send its headers within this
  absl::Duration idle_timeout = absl::Seconds(60);    // keep-alive connections idle longer are closed
  absl::Duration write_timeout = absl::Seconds(30);   // a client that stops reading is dropped
  int64_t max_streams = 10000;                        // concurrent streamed (SSE) responses
  absl::Duration upstream_connect_timeout = absl::Seconds(5);
  absl::Duration upstream_timeout = absl::Seconds(60);  // until the upstream's response headers
  absl::Duration validation_timeout = absl::Seconds(2);  // deadline of the token-validation call
  absl::Duration upstream_idle_timeout = absl::Seconds(4);  // pooled upstream connections idle longer are closed
  int64_t max_connections = 10000;                       // open client connections; more: 503 and close
  int64_t max_validations_in_flight = 512;               // token-validation calls at once; more: 503
  double failed_auth_rate = 10;   // failed authentications a client may cause per second (0: no limit); more: 429
  double failed_auth_burst = 50;  // ... and at once
  double failed_auth_total_rate = 1000;  // failed authentications per second for the whole process; more: 503
};

struct GatewaySection : ServiceSection {
  std::vector<GatewayRoute> routes;
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-* headers are believed
  std::vector<std::string> allowed_origins;  // Origin allow-list (DNS-rebinding protection)
  IdentityHeaders identity_headers;
  GatewayLimits limits;
  int threads = 0;                              // io_context threads; 0: one per core
  absl::Duration session_ttl = absl::Hours(24);  // how long a session stays bound to its subject
  // Bearer-token validation answers kept in the gateway (never past the token's
  // exp); 0 disables. DPoP requests are always validated (every proof is new).
  absl::Duration validation_cache_ttl = absl::Seconds(30);
  int64_t validation_cache_size = 10000;
};

struct SuiteConfig {
  std::string source_path;  // the file it was loaded from
  std::string resource;     // canonical resource URI; the default audience
  log::Level log_level = log::Level::kInfo;
  AuthorizationConfig authorization;
  std::vector<JwtValidatorConfig> jwt_validators;
  RedisConfig redis;
  std::string policy_file;  // where the policy lives when not in this file (hot-reloaded)
  v1::Policy policy;        // from this file; empty when policy_file is set
  TokenValidationSection token_validation;
  ServiceSection scope_policy;
  MetadataSection metadata;
  GatewaySection gateway;

  // The protected resources: one per gateway route (the routes' canonical URIs).
  std::vector<std::string> Resources() const;

  // The authorization servers clients are sent to (RFC 9728 authorization_servers)
  // and whose tokens are trusted besides jwt_validators: authorization_servers when
  // the file sets it; otherwise the validators' issuers; otherwise the default
  // server. (Configuring validators never silently keeps trusting the default.)
  std::vector<std::string> EffectiveAuthorizationServers() const;
};

// Throws ConfigError with the offending key's path.
SuiteConfig ParseSuiteConfig(const YAML::Node& root);

// Reads a policy document laid out as the main file lays it out (authorization.
// required_scopes and scope_strategy, tools, resources, prompts, policy); other keys
// are errors. Used for the main file and for policy_file.
v1::Policy ParsePolicyFile(const YAML::Node& root, const std::string& source);

SuiteConfig LoadSuiteConfig(const std::string& path);

// The text of a file named in the configuration (e.g. a password file), with
// trailing newlines removed; ConfigError naming `key_path` when unreadable.
std::string ReadConfigFile(const std::string& path, const std::string& key_path);

}  // namespace mcpauth
