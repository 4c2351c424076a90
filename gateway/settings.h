// The `gateway` section: routes, identity headers, limits, caches.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/service_section.h"

namespace mcpauth {

struct GatewayRoute {
  std::string path = "/mcp";
  std::string resource;  // canonical resource URI; default: the top-level resource (one route only)
  // http(s)://host:port/path of the upstream MCP server; empty only with a front
  // door on: the route is then decided for other proxies and never proxied here.
  std::string upstream;
  // Token audiences this route accepts besides its resource URI (an authorization
  // server's API identifier for it). A validator's `audience` counts only for the
  // top-level resource, so with several routes each names its own here.
  std::vector<std::string> audiences;
  // https upstreams: the roots its certificate must chain to (default: the
  // system's), the name it must carry (default: the URL's host), and the gateway's
  // own certificate when the upstream asks for one.
  ClientTls upstream_tls;
  bool upstream_tls_set = false;
};

struct IdentityHeaders {
  std::string subject = "X-MCP-Auth-Subject";
  std::string scopes = "X-MCP-Auth-Scopes";     // space-separated
  std::string claims = "X-MCP-Auth-Claims";     // base64url of the claims JSON
  std::string anonymous = "X-MCP-Auth-Anonymous";  // "true" when let through by fail_open
  // With gateway.credentials: a grant for the egress, and the user's credential handles.
  std::string grant = "X-MCP-Auth-Grant";
  std::string credentials = "X-MCP-Auth-Credentials";  // "label=handle, ..."
};

// The gateway's side of mcpauth-credentials (`gateway.credentials`): it signs a
// grant for every forwarded request of a user and lists the user's handles.
struct GatewayCredentials {
  bool enabled = false;
  std::string grant_key_file;  // the gateway's private signing JWK (its public half: credentials.grant_keys_file)
  absl::Duration grant_ttl = absl::Seconds(60);
  int64_t grant_max_uses = 16;
  absl::Duration handles_cache_ttl = absl::Seconds(5);
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

// What a front door does with a POST whose body it did not receive (nginx
// auth_request and most forward-auth setups never send it; Envoy only with
// with_request_body, and marks a cut one partial).
enum class UnseenBody {
  // Refused (403, body_unseen) while the policy names scopes for any tool, resource
  // or prompt, or denies unknown tools: those rules need the body to be enforced.
  kRefuse,
  // Decided on the token and the server-level scopes alone: the operator has
  // another layer enforcing per-tool scopes (said in the config, not assumed).
  kServerScopesOnly,
};

// Front doors: proxies a team already runs ask the gateway for its decision on a
// request they hold, with the same config, caches and metrics as its own routes.
struct FrontDoors {
  // Envoy's external authorization (envoy.service.auth.v3.Authorization/Check) over
  // gRPC on its own port (`gateway.ext_authz`): listen empty means off.
  std::string ext_authz_listen;
  ServerTls ext_authz_tls;
  std::string ext_authz_health_listen;  // with tls: plaintext grpc.health.v1 only
  // HTTP forward-auth (nginx auth_request, Traefik ForwardAuth, Caddy forward_auth)
  // on the gateway's own listener at this path (`gateway.forward_auth.path`); empty: off.
  std::string forward_auth_path;
  UnseenBody unseen_body = UnseenBody::kRefuse;

  bool enabled() const { return !ext_authz_listen.empty() || !forward_auth_path.empty(); }
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
  FrontDoors front_doors;
  GatewayCredentials credentials;
};

}  // namespace mcpauth
