#include "gateway/gateway.h"

#include <algorithm>
#include <chrono>

#include <boost/json.hpp>

#include "gateway/jsonrpc.h"
#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth::gw {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

constexpr std::string_view kHealthPath = "/healthz";
constexpr std::string_view kReadyPath = "/readyz";

std::string_view MethodLabel(http::verb v) {
  switch (v) {
    case http::verb::get: return "GET";
    case http::verb::post: return "POST";
    case http::verb::delete_: return "DELETE";
    case http::verb::options: return "OPTIONS";
    default: return "other";
  }
}

// A JSON-RPC error reply for `request`'s id when its body is one request, else id
// null. The body parsed for the decision is used; one not parsed yet is parsed only
// when small: an error answer must cost little whoever asks.
std::string JsonRpcError(const Request& request, const RequestInfo& info, JsonRpcCode code, std::string_view message) {
  constexpr size_t kMaxBodyReadForId = 64 * 1024;
  boost::json::value id = nullptr;
  if (info.parsed_body || request.body().size() <= kMaxBodyReadForId) {
    const JsonRpcBody& body = info.Body(request);
    if (!body.batch && body.messages.size() == 1) {
      id = body.messages.front().id;
    } else if (!body.batch) {
      id = body.error_id;
    }
  }
  return JsonRpcErrorMessage(id, code, message);
}

// Why a request's headers are refused, or "" when they are not. kOneValueHeaders must
// come once. A session id is 1*(%x21-7E) (MCP Streamable HTTP); an empty one is not
// "no session".
std::string HeaderAnomaly(const Request& request) {
  for (std::string_view name : kOneValueHeaders) {
    if (request.count(name) > 1) return StrCat("more than one ", name, " header");
  }
  if (auto it = request.find("Mcp-Session-Id"); it != request.end()) {
    const std::string_view id = View(it->value());
    if (id.empty() || std::any_of(id.begin(), id.end(), [](char c) { return c < 0x21 || c > 0x7e; })) {
      return "Mcp-Session-Id must be visible ASCII characters";
    }
  }
  return "";
}

// RFC 9110 §9.2.2: methods whose repetition changes nothing.
bool IsIdempotent(http::verb v) {
  return v == http::verb::get || v == http::verb::head || v == http::verb::options || v == http::verb::delete_ ||
         v == http::verb::put;
}

// Why an upstream's answer head is not relayed, or nullopt.
std::optional<UpstreamFailure> RefusedAnswerHead(const http::response_header<>& head, const McpDecision& decision) {
  const std::string_view encoding = TrimAsciiWhitespace(View(head[http::field::content_encoding]));
  if ((decision.transform || !decision.own_messages.empty()) && !encoding.empty() &&
      !EqualsIgnoreCase(encoding, "identity")) {
    // Relaying it unread would fail open (an unfiltered list): refused instead.
    return UpstreamFailure{http::status::bad_gateway, "protocol",
                           "Upstream MCP server encoded an answer the gateway must read"};
  }
  if (head.count("Mcp-Session-Id") > 1) {
    return UpstreamFailure{http::status::bad_gateway, "protocol", "Upstream MCP server sent more than one Mcp-Session-Id"};
  }
  if (decision.on_upstream_response) {
    if (absl::Status refused = decision.on_upstream_response(head); !refused.ok()) {
      return UpstreamFailure{http::status::bad_gateway, "protocol", std::string(refused.message())};
    }
  }
  return std::nullopt;
}

}  // namespace

bool NeverForwarded(std::string_view name, const IdentityHeaders& ids) {
  return EqualsIgnoreCase(name, "authorization") || EqualsIgnoreCase(name, "dpop") ||
         EqualsIgnoreCase(name, ids.subject) || EqualsIgnoreCase(name, ids.scopes) ||
         EqualsIgnoreCase(name, ids.claims) || EqualsIgnoreCase(name, ids.anonymous) ||
         EqualsIgnoreCase(name, ids.grant) || EqualsIgnoreCase(name, ids.credentials) ||
         name.find('_') != std::string_view::npos;
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(const GatewayOptions& options, GatewayMetrics* metrics,
                                                         McpPipeline* pipeline, std::function<bool()> ready) {
  std::unique_ptr<Gateway> gw(new Gateway(options, metrics, pipeline, std::move(ready)));
  if (options.routes.empty()) {
    return absl::InvalidArgumentError("gateway.routes: at least one route (path, resource, upstream) is required");
  }
  for (size_t i = 0; i < options.routes.size(); ++i) {
    if (options.routes[i].path == kHealthPath || options.routes[i].path == kReadyPath) {
      return absl::InvalidArgumentError(
          StrCat("gateway.routes[", i, "].path: ", options.routes[i].path, " is the gateway's own probe"));
    }
    if (options.routes[i].path == options.front_doors.forward_auth_path) {
      return absl::InvalidArgumentError(StrCat("gateway.forward_auth.path: ", options.routes[i].path,
                                               " is also gateway.routes[", i, "].path"));
    }
    // A route without an upstream is decided for the front doors only.
    absl::StatusOr<UpstreamTarget> upstream = UpstreamTarget{};
    if (!options.routes[i].upstream.empty()) upstream = UpstreamTarget::Parse(options.routes[i].upstream);
    if (!upstream.ok()) {
      return absl::InvalidArgumentError(StrCat("gateway.routes[", i, "].upstream: ", upstream.status().message()));
    }
    const std::string tls_key = StrCat("gateway.routes[", i, "].upstream_tls");
    if (upstream->tls) {
      const ClientTls& tls = options.routes[i].upstream_tls;
      if (!tls.server_name.empty()) upstream->tls_name = tls.server_name;
      auto source = TlsContextSource::ForUpstream(
          tls, tls_key, [metrics, tls_key](bool loaded, absl::Time not_after) {
            metrics->ObserveTls(tls_key, loaded, not_after);
          });
      if (!source.ok()) return source.status();
      upstream->tls_source = source->get();
      gw->upstream_tls_.push_back(std::move(*source));
    } else if (options.routes[i].upstream_tls_set) {
      return absl::InvalidArgumentError(StrCat(tls_key, ": the route's upstream is http://, not https://"));
    }
    auto resource = ParseUri(options.routes[i].resource);
    if (!resource.ok()) {
      return absl::InvalidArgumentError(StrCat("gateway.routes[", i, "].resource: ", resource.status().message()));
    }
    gw->routes_.push_back(RouteState{options.routes[i], *upstream,
                                     StrCat(AsciiLower(View(resource->scheme())), "://",
                                            AsciiLower(View(resource->encoded_host_and_port())))});
  }
  const std::string& forward_auth = options.front_doors.forward_auth_path;
  if (forward_auth == kHealthPath || forward_auth == kReadyPath) {
    return absl::InvalidArgumentError(StrCat("gateway.forward_auth.path: ", forward_auth, " is the gateway's own probe"));
  }
  if (options.front_doors.enabled() && options.trusted_proxies.empty()) {
    return absl::InvalidArgumentError(
        "gateway.trusted_proxies: the front doors (gateway.ext_authz, gateway.forward_auth) answer only the proxies "
        "named here; name the addresses of the proxies that ask them");
  }
  auto proxies = CidrSet::Parse(options.trusted_proxies);
  if (!proxies.ok()) return absl::InvalidArgumentError(StrCat("gateway.trusted_proxies: ", proxies.status().message()));
  gw->trusted_proxies_ = *proxies;
  return gw;
}

void Gateway::RefreshUpstreamTls() const {
  for (const auto& source : upstream_tls_) source->Current();
}

Response Gateway::JsonResponse(http::status status, std::string body, bool keep_alive) {
  Response res(status, 11);
  res.set(http::field::server, "mcpauth-gateway");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

const RouteState* Gateway::FindRoute(std::string_view path, bool any) const {
  for (const RouteState& r : routes_) {
    if (r.config.path == path && (any || !r.config.upstream.empty())) return &r;
  }
  return nullptr;
}

bool Gateway::OriginAllowed(std::string_view origin, const RouteState& route) const {
  if (EqualsIgnoreCase(origin, route.origin)) return true;
  for (const std::string& allowed : options_.allowed_origins) {
    if (allowed == "*" || EqualsIgnoreCase(origin, allowed)) return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> Gateway::CorsHeaders(const Request& request,
                                                                      const RouteState& route) const {
  const std::string_view origin = View(request[http::field::origin]);
  if (origin.empty() || !OriginAllowed(origin, route)) return {};
  return {{"Access-Control-Allow-Origin", std::string(origin)},
          {"Vary", "Origin"},
          {"Access-Control-Expose-Headers", "WWW-Authenticate, Mcp-Session-Id, DPoP-Nonce, MCP-Protocol-Version"}};
}

asio::ip::address Gateway::ClientAddress(const Request& request, const tcp::endpoint& peer) const {
  // X-Forwarded-For is believed only from configured proxies, and then only back to
  // the first hop that is not itself a trusted proxy.
  asio::ip::address client = peer.address();
  if (!trusted_proxies_.Contains(client)) return client;
  std::vector<std::string_view> hops = SplitSkipEmpty(View(request["X-Forwarded-For"]), ',');
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    boost::system::error_code ec;
    auto hop = asio::ip::make_address(std::string(TrimAsciiWhitespace(*it)), ec);
    if (ec) break;
    client = hop;
    if (!trusted_proxies_.Contains(hop)) break;
  }
  return client;
}

absl::StatusOr<Request> Gateway::UpstreamRequest(const Request& request, const RouteState& route,
                                                 const McpDecision& decision, const tcp::endpoint& peer) const {
  Request up;
  up.method(request.method());
  up.version(11);
  const std::string_view target = View(request.target());
  const size_t query = target.find('?');
  up.target(StrCat(route.upstream.path, query == std::string_view::npos ? "" : target.substr(query)));
  const std::vector<std::string> connection_tokens = ConnectionTokens(request);
  const bool trusted_peer = trusted_proxies_.Contains(peer.address());
  const IdentityHeaders& ids = options_.identity_headers;
  for (const auto& field : request) {
    const std::string_view name = View(field.name_string());
    const std::string lower = AsciiLower(name);
    // Expect is between the client and the gateway, which has read the whole body
    // already: forwarded, it would draw an interim 100 from the upstream.
    if (IsHopByHopHeader(name) || field.name() == http::field::host || field.name() == http::field::content_length ||
        field.name() == http::field::expect ||
        std::find(connection_tokens.begin(), connection_tokens.end(), lower) != connection_tokens.end()) {
      continue;
    }
    // No token passthrough (MCP authorization spec), no identity but ours, no "_"
    // spelling of either (dropped, as nginx does by default).
    if (NeverForwarded(name, ids)) continue;
    if (!trusted_peer && (lower.starts_with("x-forwarded-") || lower == "forwarded")) continue;
    up.insert(field.name_string(), field.value());
  }
  up.set(http::field::host, route.upstream.host_header);
  const std::string previous = trusted_peer ? std::string(View(request["X-Forwarded-For"])) : "";
  up.set("X-Forwarded-For", previous.empty() ? peer.address().to_string()
                                             : StrCat(previous, ", ", peer.address().to_string()));
  if (!trusted_peer || request["X-Forwarded-Proto"].empty()) {
    up.set("X-Forwarded-Proto", route.origin.substr(0, route.origin.find(':')));
  }
  // An answer the gateway must read (list filtering, replies merged in) must come
  // as it is: a compressed one could not be filtered.
  if (decision.transform || !decision.own_messages.empty()) up.set(http::field::accept_encoding, "identity");
  for (const auto& [name, value] : decision.upstream_headers) {
    // Beast writes a value as it is given: a CR or LF in it would start a header of
    // its own upstream. The pipeline refuses such identities; this is the last line.
    if (!IsHttpFieldValue(value)) {
      return absl::InternalError(StrCat("the value for header ", name, " holds control characters"));
    }
    up.set(name, value);
  }
  up.body() = decision.body ? *decision.body : request.body();
  up.keep_alive(true);
  up.prepare_payload();
  return up;
}

Task<bool> Gateway::Send(Stream& client, Response& response, http::verb method) {
  client.expires_after(absl::ToChronoNanoseconds(options_.limits.write_timeout));
  // An answer to HEAD is the header alone (its Content-Length still says what a GET
  // would have had): a body after it would be read as the next response.
  http::response_serializer<http::string_body> serializer(response);
  auto [ec, n] = method == http::verb::head
                     ? co_await http::async_write_header(client, serializer, as_tuple(use_awaitable))
                     : co_await http::async_write(client, serializer, as_tuple(use_awaitable));
  if (ec) metrics_->CountDroppedConnection("write_failed");
  co_return !ec && response.keep_alive();
}

uint64_t Gateway::BodyBytesToRead(const http::request_header<>& header) const {
  const auto limit = static_cast<uint64_t>(options_.limits.max_body_bytes);
  if (FindRoute(TargetPath(View(header.target()))) == nullptr) return limit;
  const std::optional<uint64_t> needed = pipeline_->BodyBytesNeeded(header);
  return needed ? std::min(*needed, limit) : limit;
}

LocalReply Gateway::AnswerOffRoute(const Request& request, std::string_view path) const {
  const bool keep_alive = request.keep_alive();
  if (path == kHealthPath) return LocalReply{JsonResponse(http::status::ok, R"({"status":"ok"})", keep_alive), "health"};
  if (path == kReadyPath) {
    const bool ready = ready_();
    return LocalReply{JsonResponse(ready ? http::status::ok : http::status::service_unavailable,
                                   ready ? R"({"status":"ready"})" : R"({"status":"not ready"})", keep_alive),
                      "health"};
  }
  if (auto served = pipeline_->Serve(request, path)) {
    served->set(http::field::access_control_allow_origin, "*");
    return LocalReply{std::move(*served), "metadata"};
  }
  return LocalReply{JsonResponse(http::status::not_found, R"({"error":"not_found"})", keep_alive), "not_found"};
}

std::optional<LocalReply> Gateway::Screen(const Request& request, const RequestInfo& info) const {
  const RouteState& route = *info.route;
  const bool keep_alive = request.keep_alive();
  auto refuse = [&](http::status status, std::string message, std::string reason) {
    return LocalReply{JsonResponse(status, JsonRpcError(request, info, JsonRpcCode::kInvalidRequest, message), keep_alive),
                      std::move(reason)};
  };
  if (const std::string anomaly = HeaderAnomaly(request); !anomaly.empty()) {
    metrics_->CountDenial("bad_header");
    return refuse(http::status::bad_request, StrCat("Bad request: ", anomaly), "bad_header");
  }
  const std::string_view origin = View(request[http::field::origin]);
  if (!origin.empty() && !OriginAllowed(origin, route)) {
    metrics_->CountDenial("origin_not_allowed");
    return refuse(http::status::forbidden, "Origin not allowed", "origin_not_allowed");
  }
  switch (request.method()) {
    case http::verb::options: {
      Response res = JsonResponse(http::status::no_content, "", keep_alive);
      res.erase(http::field::content_type);
      res.erase(http::field::content_length);  // RFC 9110 §8.6: never on a 204
      const auto cors = CorsHeaders(request, route);
      for (const auto& [name, value] : cors) res.set(name, value);
      if (!cors.empty()) {
        res.set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
        res.set("Access-Control-Allow-Headers",
                "Authorization, DPoP, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID");
        res.set("Access-Control-Max-Age", "600");
      }
      return LocalReply{std::move(res), "preflight"};
    }
    case http::verb::get:
      if (metrics_->open_streams() >= options_.limits.max_streams) {
        LocalReply reply{JsonResponse(http::status::service_unavailable,
                                      JsonRpcError(request, info, JsonRpcCode::kRetryLater, "Too many open streams; retry later"),
                                      keep_alive),
                         "too_many_streams"};
        reply.response.set(http::field::retry_after, "5");
        return reply;
      }
      return std::nullopt;
    case http::verb::post:
    case http::verb::delete_:
      return std::nullopt;
    default: {
      LocalReply reply = refuse(http::status::method_not_allowed, "Method not allowed", "method_not_allowed");
      reply.response.set(http::field::allow, "GET, POST, DELETE, OPTIONS");
      return reply;
    }
  }
}

void Gateway::CountRequest(const RouteState* route, const Request& request, unsigned status, std::string_view reason,
                           std::chrono::steady_clock::time_point start) const {
  static const std::string kOffRoute = "other";
  metrics_->CountRequest(route != nullptr ? route->config.path : kOffRoute, MethodLabel(request.method()), status,
                         reason, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

Task<bool> Gateway::SendReply(Stream& client, Request& request, LocalReply& reply, const RouteState* route,
                              std::chrono::steady_clock::time_point start) {
  if (reply.hold > absl::ZeroDuration()) {
    // Held without the request's body (up to max_body_bytes), which is not needed.
    request.body().clear();
    request.body().shrink_to_fit();
    asio::steady_timer hold(client.get_executor(), absl::ToChronoNanoseconds(reply.hold));
    co_await hold.async_wait(as_tuple(use_awaitable));
  }
  reply.response.keep_alive(request.keep_alive() && reply.response.keep_alive());
  CountRequest(route, request, reply.response.result_int(), reply.reason, start);
  const bool keep = co_await Send(client, reply.response, request.method());
  co_return keep;
}

// extract (route, screen) → decide (the pipeline) → answer or relay.
Task<bool> Gateway::Handle(Request& request, Stream& client, const tcp::endpoint& peer,
                           UpstreamPool& pool, bool body_complete) {
  const auto start = std::chrono::steady_clock::now();
  const std::string_view path = TargetPath(View(request.target()));
  if (!options_.front_doors.forward_auth_path.empty() && path == options_.front_doors.forward_auth_path) {
    const bool keep = co_await ForwardAuth(request, client, peer);
    co_return keep;
  }
  const RouteState* route = FindRoute(path);
  const RequestInfo info{route, route == nullptr ? asio::ip::address() : ClientAddress(request, peer)};
  std::optional<LocalReply> reply = route == nullptr ? AnswerOffRoute(request, path) : Screen(request, info);
  McpDecision decision;
  if (!reply) {
    decision = co_await pipeline_->Decide(request, info);
    if (decision.local) {
      for (const auto& [name, value] : CorsHeaders(request, *route)) decision.local->set(name, value);
      reply = LocalReply{std::move(*decision.local), decision.reason, decision.local_delay};
    } else if (!body_complete) {
      // Unreachable while pipelines answer every request whose body they did not
      // want; a request is never forwarded without its body.
      log::Error("refusing to forward a request whose body was not read", {{"route", route->config.path}});
      reply = LocalReply{JsonResponse(http::status::payload_too_large,
                                      JsonRpcError(request, info, JsonRpcCode::kInvalidRequest, "Request body too large"), false),
                         "body_not_read"};
    }
  }
  if (reply) {
    const bool keep = co_await SendReply(client, request, *reply, route, start);
    co_return keep;
  }
  unsigned status = 0;
  const bool keep = co_await Proxy(request, info, decision, client, peer, pool, status);
  CountRequest(route, request, status, decision.reason, start);
  co_return keep;
}

Task<std::optional<UpstreamFailure>> Gateway::Exchange(const Request& up, const RouteState& route, UpstreamPool& pool,
                                                       UpstreamExchange& exchange) {
  const GatewayLimits& limits = options_.limits;
  const UpstreamFailure unavailable{http::status::bad_gateway, "broken", "Upstream MCP server unavailable"};
  // A request goes out a second time only when the first try cannot have reached
  // the upstream's application: its write failed on a pooled connection, or (for
  // idempotent methods only) a pooled connection closed without a byte of answer.
  // A POST whose connection closed after it was sent may have run: never resent.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    exchange.stream.reset();
    exchange.buffer.clear();
    exchange.parser.reset();
    bool reused = false;
    if (std::optional<ConnectFailure> f =
            co_await pool.Acquire(route.upstream, limits.upstream_connect_timeout, exchange.stream, reused)) {
      switch (f->kind) {
        case ConnectFailure::Kind::kTimeout:
          co_return UpstreamFailure{http::status::gateway_timeout, "connect", "Upstream MCP server unavailable",
                                    std::move(f->detail)};
        case ConnectFailure::Kind::kUnreachable:
          co_return UpstreamFailure{http::status::bad_gateway, "connect", "Upstream MCP server unavailable",
                                    std::move(f->detail)};
        case ConnectFailure::Kind::kTls:
          co_return UpstreamFailure{http::status::bad_gateway, "tls", "Upstream MCP server unavailable",
                                    std::move(f->detail)};
      }
    }
    exchange.stream->expires_after(absl::ToChronoNanoseconds(limits.upstream_timeout));
    auto [wec, wn] = co_await http::async_write(*exchange.stream, up, as_tuple(use_awaitable));
    if (wec) {
      if (reused) continue;
      co_return unavailable;
    }
    switch (co_await ReadFinalResponseHead(*exchange.stream, exchange.buffer, exchange.parser,
                                           up.method() == http::verb::head)) {
      case ResponseHeadOutcome::kFinal:
        metrics_->ObserveUpstream(route.config.path,
                                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        co_return std::nullopt;
      case ResponseHeadOutcome::kClosedUnread:
        if (reused && IsIdempotent(up.method())) continue;
        co_return unavailable;
      case ResponseHeadOutcome::kTimeout:
        co_return UpstreamFailure{http::status::gateway_timeout, "timeout", "Upstream MCP server timed out"};
      case ResponseHeadOutcome::kBroken:
        co_return unavailable;
      case ResponseHeadOutcome::kUnexpected:
        co_return UpstreamFailure{http::status::bad_gateway, "protocol",
                                  "Upstream MCP server sent an answer the gateway never asked for"};
    }
  }
  co_return unavailable;
}

Task<bool> Gateway::Proxy(Request& request, const RequestInfo& info, McpDecision& decision,
                          Stream& client, const tcp::endpoint& peer, UpstreamPool& pool, unsigned& status) {
  const RouteState& route = *info.route;
  std::optional<UpstreamFailure> failure;
  UpstreamExchange exchange;
  if (absl::StatusOr<Request> up = UpstreamRequest(request, route, decision, peer); !up.ok()) {
    log::Error("refusing to send an unsafe request upstream",
               {{"route", route.config.path}, {"error", std::string(up.status().message())}});
    failure = UpstreamFailure{http::status::internal_server_error, "unsafe_request", "Internal error"};
  } else {
    failure = co_await Exchange(*up, route, pool, exchange);
  }
  if (!failure) failure = RefusedAnswerHead(exchange.parser->get().base(), decision);
  if (failure) {
    metrics_->CountUpstreamError(route.config.path, failure->kind);
    log::Warn("upstream failed", {{"route", route.config.path},
                                  {"upstream", route.config.upstream},
                                  {"kind", failure->kind},
                                  {"error", failure->detail.empty() ? failure->message : failure->detail}});
    Response res = JsonResponse(failure->status, JsonRpcError(request, info, JsonRpcCode::kInternalError, failure->message),
                                request.keep_alive());
    for (const auto& [name, value] : CorsHeaders(request, route)) res.set(name, value);
    status = res.result_int();
    const bool keep = co_await Send(client, res, request.method());
    co_return keep;
  }

  RelayOptions relay;
  relay.write_timeout = options_.limits.write_timeout;
  relay.transform = decision.transform;
  relay.own_messages = decision.own_messages;
  relay.head_request = request.method() == http::verb::head;
  relay.extra_headers = CorsHeaders(request, route);
  relay.extra_headers.insert(relay.extra_headers.end(), decision.client_headers.begin(), decision.client_headers.end());
  relay.on_stream = [this](bool opened) {
    if (opened) {
      metrics_->StreamOpened();
    } else {
      metrics_->StreamClosed();
    }
  };
  const RelayResult result = co_await RelayResponse(*exchange.stream, exchange.buffer, *exchange.parser, client,
                                                    request.keep_alive(), relay);
  status = result.status;
  if (result.upstream_failed) metrics_->CountUpstreamError(route.config.path, "broken");
  if (result.upstream_reusable) pool.Release(route.upstream, std::move(*exchange.stream));
  co_return result.client_ok;
}

}  // namespace mcpauth::gw
