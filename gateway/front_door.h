// Front doors: proxies a team already runs (Envoy and what is built on it through
// ext_authz, nginx auth_request, Traefik ForwardAuth, Caddy forward_auth) ask the
// gateway for its decision on a request they hold, and carry it out themselves.
// The decision is the gateway's own (AuthPipeline::Decide, the same config, caches,
// policy stream and metrics); only the way it is told differs (ext_authz.h for
// Envoy's gRPC API, Gateway::ForwardAuth for HTTP).
//
// What a front door cannot do, because the proxy forwards the request and relays
// the answer without the gateway: filter list results, replace a batch's body
// (a batch with a denied member is answered whole, none of it forwarded), or see a
// session id the upstream assigns (a session is bound to the first principal that
// uses it). Without the body (UnseenBody) only the token and server-level scopes
// are decided.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gateway/http.h"

namespace mcpauth::gw {

// A request another proxy holds, as that proxy described it.
struct HeldRequest {
  Request request;            // method, target (path and query), headers, and the body when sent
  asio::ip::address client;   // the client as the proxy saw it
  bool body_seen = true;      // false: a POST whose body was not sent whole
};

// The gateway's decision on a held request, in the terms a proxy acts on.
struct Verdict {
  enum class Kind {
    kAllow,   // forward it upstream, changed as below
    kRefuse,  // answer the client with `answer` (a challenge, a denial, an error)
    kAnswer,  // answer the client with `answer`, a success the gateway gives in the
              // upstream's place: a tool's denial as a tool result, a batch answered
              // whole, accepted notifications, the metadata document, a preflight
  };
  Kind kind = Kind::kAllow;
  std::optional<Response> answer;
  std::string reason = "allowed";  // metrics label (the gateway's own reasons)
  absl::Duration hold = absl::ZeroDuration();  // shed answers wait this long first
  std::vector<std::pair<std::string, std::string>> set_headers;  // on the request upstream (identity)
  // Removed from the request upstream: the credentials (no token passthrough) and
  // every header the upstream could read as an identity header, in any spelling
  // the client sent (case, '_' for '-').
  std::vector<std::string> remove_headers;
  std::vector<std::pair<std::string, std::string>> client_headers;  // on the answer to the client (DPoP-Nonce)
};

}  // namespace mcpauth::gw
