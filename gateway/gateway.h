// The gateway's request handling: routing, edge hygiene (origins, CORS, forwarded
// headers, identity headers), the authorization pipeline's decision, and proxying
// to the route's upstream. Connection handling lives in server.h.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/cidr.h"
#include "gateway/front_door.h"
#include "gateway/gateway_metrics.h"
#include "gateway/http.h"
#include "gateway/jsonrpc.h"
#include "gateway/relay.h"
#include "gateway/upstream.h"
#include "gateway/settings.h"
#include "gateway/tls_context.h"

namespace mcpauth::gw {

struct RouteState {
  GatewayRoute config;
  UpstreamTarget upstream;
  std::string origin;  // scheme://host[:port] of the route's canonical resource
};

// Headers whose one value the gateway or the upstream acts on: sent twice, different
// parties could read different ones (RFC 9112 §3.2 for Host).
inline constexpr std::string_view kOneValueHeaders[] = {"Host", "Origin", "Mcp-Session-Id", "MCP-Protocol-Version",
                                                        "Last-Event-ID", "Content-Type"};

// Whether a client's header must never reach the upstream: the credentials (no token
// passthrough), a copy of one of the identity headers, or any name with a "_"
// (CGI-style servers read X_MCP_Auth_Subject as X-MCP-Auth-Subject, Mcp_Session_Id as
// the session). The gateway's proxy drops these; ext_authz has Envoy remove them.
bool NeverForwarded(std::string_view name, const IdentityHeaders& ids);

// What the gateway knows about a request before deciding on it.
struct RequestInfo {
  const RouteState* route = nullptr;
  asio::ip::address client_address;  // the real client, after trusted-proxy processing
  // Asked by another proxy (a front door, front_door.h), which forwards the request
  // itself: the gateway sees neither the upstream's answer nor the request after it.
  bool front_door = false;
  // false: a POST whose body the front door did not receive (or received cut).
  bool body_seen = true;
  // The body as JSON-RPC, parsed on first use: once per request.
  const JsonRpcBody& Body(const Request& request) const {
    if (!parsed_body) parsed_body = ParseJsonRpcBody(request.body());
    return *parsed_body;
  }
  mutable std::optional<JsonRpcBody> parsed_body;
};

// The authorization pipeline's answer for one request on an MCP route.
struct McpDecision {
  // Set: the gateway answers with this (a challenge, a denial, an error).
  std::optional<Response> local;
  // How long to hold `local` before sending it: shedding a client that floods
  // slows it down rather than serving it faster (a held connection costs a timer).
  absl::Duration local_delay = absl::ZeroDuration();
  std::string reason = "proxied";  // metrics label for the answer
  // Otherwise the request goes upstream, changed as follows:
  std::optional<std::string> body;  // replacement body (a batch without its denied members)
  std::vector<std::pair<std::string, std::string>> upstream_headers;  // identity headers
  std::function<std::optional<std::string>(std::string_view)> transform;  // list filtering
  std::vector<std::string> own_messages;  // replies the gateway made for denied batch members
  std::vector<std::pair<std::string, std::string>> client_headers;  // added to the response (DPoP-Nonce)
  // Sees the upstream's response header (e.g. to bind a new Mcp-Session-Id); an
  // error refuses the response (502, nothing of it relayed).
  std::function<absl::Status(const http::response_header<>&)> on_upstream_response;
};

// An answer the gateway gives itself, without the upstream.
struct LocalReply {
  Response response;
  std::string reason;  // metrics label
  absl::Duration hold = absl::ZeroDuration();  // McpDecision::local_delay
};

// Why no answer of the upstream's is relayed: the status and JSON-RPC error message
// the client gets, and the upstream-error metric's kind.
struct UpstreamFailure {
  http::status status;
  std::string_view kind;
  std::string message;
  std::string detail;  // for the log line only (never sent): what went wrong below HTTP
};

// One request's trip to the upstream: the connection, and the final answer's head
// read into `parser` (its body not yet).
struct UpstreamExchange {
  std::optional<Stream> stream;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
};

class McpPipeline {
 public:
  virtual ~McpPipeline() = default;
  virtual Task<McpDecision> Decide(Request& request, const RequestInfo& info) = 0;
  // Answers for paths outside the MCP routes the pipeline serves (the protected
  // resource metadata documents); nullopt when it has none for `path`.
  virtual std::optional<Response> Serve(const Request& request, std::string_view path) {
    (void)request;
    (void)path;
    return std::nullopt;
  }
  // For a request on an MCP route with this header: the most body bytes worth
  // reading before Decide, when that is less than the gateway's limit (a request
  // refused whatever its body says needs little of it); nullopt: the whole body.
  virtual std::optional<uint64_t> BodyBytesNeeded(const http::request_header<>& header) const {
    (void)header;
    return std::nullopt;
  }
};

// Authorization disabled: every request goes upstream, with the edge hygiene only.
class PassThroughPipeline final : public McpPipeline {
 public:
  Task<McpDecision> Decide(Request&, const RequestInfo&) override { co_return McpDecision{}; }
};

struct GatewayOptions {
  GatewayLimits limits;
  FrontDoors front_doors;
  IdentityHeaders identity_headers;
  std::vector<std::string> allowed_origins;
  std::vector<std::string> trusted_proxies;
  std::vector<GatewayRoute> routes;
};

class Gateway {
 public:
  // Errors name the offending config key.
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(const GatewayOptions& options, GatewayMetrics* metrics,
                                                         McpPipeline* pipeline, std::function<bool()> ready);

  // How much of the body of a request with this header to read: the gateway's
  // limit, or less when the pipeline needs less to answer it.
  uint64_t BodyBytesToRead(const http::request_header<>& header) const;

  // Answers one request on `client`; returns whether the connection stays open.
  // `body_complete` false: the body was not read (BodyBytesToRead), so the request
  // may be answered but never forwarded.
  Task<bool> Handle(Request& request, Stream& client, const tcp::endpoint& peer, UpstreamPool& pool,
                    bool body_complete = true);

  // A front door's question (front_door.h): the gateway's decision on a request
  // another proxy holds, as that proxy must carry it out. Counted in
  // mcpauth_gateway_authorizations_total{door}.
  Task<Verdict> Authorize(HeldRequest& held, std::string_view door);

  // Reads the https routes' TLS files again when due (TlsContextSource::Current),
  // so a change is loaded (and its metrics set) even while no connection is made.
  void RefreshUpstreamTls() const;

  const GatewayLimits& limits() const { return options_.limits; }
  // Whether `peer` is in gateway.trusted_proxies (who may ask the front doors).
  bool TrustedProxy(const asio::ip::address& peer) const { return trusted_proxies_.Contains(peer); }
  GatewayMetrics* metrics() const { return metrics_; }

  // A response with a JSON body (and the usual gateway headers).
  static Response JsonResponse(http::status status, std::string body, bool keep_alive);

 private:
  Gateway(GatewayOptions options, GatewayMetrics* metrics, McpPipeline* pipeline, std::function<bool()> ready)
      : options_(std::move(options)), metrics_(metrics), pipeline_(pipeline), ready_(std::move(ready)) {}

  // The route for `path`: among those proxied here, or with `any` also those served
  // only through the front doors.
  const RouteState* FindRoute(std::string_view path, bool any = false) const;
  // Forward-auth (front_door.cc): the original request from the proxy's headers,
  // the decision, and the answer in forward-auth's terms (2xx: go on).
  Task<bool> ForwardAuth(Request& request, Stream& client, const tcp::endpoint& peer);
  bool OriginAllowed(std::string_view origin, const RouteState& route) const;
  std::vector<std::pair<std::string, std::string>> CorsHeaders(const Request& request,
                                                               const RouteState& route) const;
  asio::ip::address ClientAddress(const Request& request, const tcp::endpoint& peer) const;
  // The request as it goes upstream; an error when an identity header value could
  // not be written safely.
  absl::StatusOr<Request> UpstreamRequest(const Request& request, const RouteState& route,
                                          const McpDecision& decision, const tcp::endpoint& peer) const;
  // The answers that need no pipeline: health, readiness, the pipeline's documents
  // (protected resource metadata), else 404.
  LocalReply AnswerOffRoute(const Request& request, std::string_view path) const;
  // The edge rules of an MCP route before any decision: header anomalies, origins,
  // CORS preflight, methods, the open-stream limit. nullopt: on to the pipeline.
  std::optional<LocalReply> Screen(const Request& request, const RequestInfo& info) const;
  // Sends `up` and reads the final answer's head, sending again only when the first
  // try cannot have reached the upstream's application. The upstream's time to that
  // head is observed for every final answer, also one the gateway then refuses.
  Task<std::optional<UpstreamFailure>> Exchange(const Request& up, const RouteState& route, UpstreamPool& pool,
                                                UpstreamExchange& exchange);
  // Forwards the request as the decision says and relays the answer; `status` is
  // the one the client got.
  Task<bool> Proxy(Request& request, const RequestInfo& info, McpDecision& decision, Stream& client,
                   const tcp::endpoint& peer, UpstreamPool& pool, unsigned& status);
  // Sends a local reply (after its hold), counted before it is written.
  Task<bool> SendReply(Stream& client, Request& request, LocalReply& reply, const RouteState* route,
                       std::chrono::steady_clock::time_point start);
  // mcpauth_gateway_requests_total and the request duration, once per request.
  void CountRequest(const RouteState* route, const Request& request, unsigned status, std::string_view reason,
                    std::chrono::steady_clock::time_point start) const;
  Task<bool> Send(Stream& client, Response& response, http::verb method);

  GatewayOptions options_;
  GatewayMetrics* metrics_;
  McpPipeline* pipeline_;
  std::function<bool()> ready_;
  std::vector<RouteState> routes_;
  std::vector<std::unique_ptr<TlsContextSource>> upstream_tls_;  // the https routes'
  CidrSet trusted_proxies_;
};

}  // namespace mcpauth::gw
