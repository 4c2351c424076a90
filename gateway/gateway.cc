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

std::string_view MethodLabel(http::verb v) {
  switch (v) {
    case http::verb::get: return "GET";
    case http::verb::post: return "POST";
    case http::verb::delete_: return "DELETE";
    case http::verb::options: return "OPTIONS";
    default: return "other";
  }
}

// A JSON-RPC error reply for `request`'s id when its body is a single request, else
// id null. Bodies larger than any single request needs are not read for it: an
// error answer must cost little whoever asks.
std::string JsonRpcError(const Request& request, JsonRpcCode code, std::string_view message) {
  constexpr size_t kMaxBodyReadForId = 64 * 1024;
  boost::json::value id = nullptr;
  boost::json::value body;
  if (request.body().size() <= kMaxBodyReadForId && ParseStrictJson(request.body(), body) == JsonParseError::kNone &&
      body.is_object()) {
    if (const auto* v = body.get_object().if_contains("id")) id = *v;
  }
  return JsonRpcErrorMessage(id, code, message);
}

// Why a request's headers are refused, or "" when they are not. Headers whose one
// value the gateway or the upstream acts on must come once: sent twice, different
// parties could read different ones (RFC 9112 §3.2 for Host). A session id is
// 1*(%x21-7E) (MCP Streamable HTTP); an empty one is not "no session".
std::string HeaderAnomaly(const Request& request) {
  for (std::string_view name : {"Host", "Origin", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID",
                                "Content-Type"}) {
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

}  // namespace

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(const GatewayOptions& options, GatewayMetrics* metrics,
                                                         McpPipeline* pipeline, std::function<bool()> ready) {
  std::unique_ptr<Gateway> gw(new Gateway(options, metrics, pipeline, std::move(ready)));
  if (options.routes.empty()) {
    return absl::InvalidArgumentError("gateway.routes: at least one route (path, resource, upstream) is required");
  }
  for (size_t i = 0; i < options.routes.size(); ++i) {
    auto upstream = UpstreamTarget::Parse(options.routes[i].upstream);
    if (!upstream.ok()) {
      return absl::InvalidArgumentError(StrCat("gateway.routes[", i, "].upstream: ", upstream.status().message()));
    }
    auto resource = ParseUri(options.routes[i].resource);
    if (!resource.ok()) {
      return absl::InvalidArgumentError(StrCat("gateway.routes[", i, "].resource: ", resource.status().message()));
    }
    gw->routes_.push_back(RouteState{options.routes[i], *upstream,
                                     StrCat(AsciiLower(View(resource->scheme())), "://",
                                            AsciiLower(View(resource->encoded_host_and_port())))});
  }
  auto proxies = CidrSet::Parse(options.trusted_proxies);
  if (!proxies.ok()) return absl::InvalidArgumentError(StrCat("gateway.trusted_proxies: ", proxies.status().message()));
  gw->trusted_proxies_ = *proxies;
  return gw;
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

const RouteState* Gateway::FindRoute(std::string_view path) const {
  for (const RouteState& r : routes_) {
    if (r.config.path == path) return &r;
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
    // No token passthrough (MCP authorization spec), and no identity but ours.
    if (lower == "authorization" || lower == "dpop" || EqualsIgnoreCase(name, ids.subject) ||
        EqualsIgnoreCase(name, ids.scopes) || EqualsIgnoreCase(name, ids.claims) ||
        EqualsIgnoreCase(name, ids.anonymous)) {
      continue;
    }
    if (!trusted_peer && (lower.starts_with("x-forwarded-") || lower == "forwarded")) continue;
    // CGI-style servers (WSGI, PHP, Rack) read "X_MCP_Auth_Subject" and
    // "X-MCP-Auth-Subject" as the same variable, so an underscore spelling could
    // stand in for any header stripped above. Dropped, as nginx does by default.
    if (name.find('_') != std::string_view::npos) continue;
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

Task<bool> Gateway::Send(beast::tcp_stream& client, Response& response, http::verb method) {
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

Task<bool> Gateway::Handle(Request& request, beast::tcp_stream& client, const tcp::endpoint& peer,
                           UpstreamPool& pool, bool body_complete) {
  const auto start = std::chrono::steady_clock::now();
  const std::string_view path = TargetPath(View(request.target()));
  const bool keep_alive = request.keep_alive();
  std::string route_label = "other";
  auto finish = [&](unsigned status, std::string_view reason) {
    metrics_->CountRequest(route_label, MethodLabel(request.method()), status, reason,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  auto answer = [&](Response response, std::string_view reason) -> Task<bool> {
    response.keep_alive(keep_alive && response.keep_alive());
    finish(response.result_int(), reason);
    {
      const bool awaited = co_await Send(client, response, request.method());
      co_return awaited;
    }
  };

  if (path == "/healthz") {
    const bool keep = co_await answer(JsonResponse(http::status::ok, R"({"status":"ok"})", keep_alive), "health");
    co_return keep;
  }
  if (path == "/readyz") {
    const bool ready = ready_();
    {
      const bool awaited = co_await answer(JsonResponse(ready ? http::status::ok : http::status::service_unavailable,
                                           ready ? R"({"status":"ready"})" : R"({"status":"not ready"})", keep_alive),
                              "health");
      co_return awaited;
    }
  }
  const RouteState* route = FindRoute(path);
  if (route == nullptr) {
    if (auto served = pipeline_->Serve(request, path)) {
      served->set(http::field::access_control_allow_origin, "*");
      {
        const bool awaited = co_await answer(std::move(*served), "metadata");
        co_return awaited;
      }
    }
    {
      const bool awaited = co_await answer(JsonResponse(http::status::not_found, R"({"error":"not_found"})", keep_alive),
                              "not_found");
      co_return awaited;
    }
  }
  route_label = route->config.path;
  if (const std::string anomaly = HeaderAnomaly(request); !anomaly.empty()) {
    metrics_->CountDenial("bad_header");
    {
      const bool awaited = co_await answer(
          JsonResponse(http::status::bad_request, JsonRpcError(request, JsonRpcCode::kInvalidRequest, StrCat("Bad request: ", anomaly)),
                       keep_alive),
          "bad_header");
      co_return awaited;
    }
  }

  const std::string_view origin = View(request[http::field::origin]);
  if (!origin.empty() && !OriginAllowed(origin, *route)) {
    metrics_->CountDenial("origin_not_allowed");
    {
      const bool awaited = co_await answer(JsonResponse(http::status::forbidden,
                                           JsonRpcError(request, JsonRpcCode::kInvalidRequest, "Origin not allowed"), keep_alive),
                              "origin_not_allowed");
      co_return awaited;
    }
  }
  const auto cors = CorsHeaders(request, *route);
  if (request.method() == http::verb::options) {
    Response res = JsonResponse(http::status::no_content, "", keep_alive);
    res.erase(http::field::content_type);
    res.erase(http::field::content_length);  // RFC 9110 §8.6: never on a 204
    for (const auto& [name, value] : cors) res.set(name, value);
    if (!cors.empty()) {
      res.set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
      res.set("Access-Control-Allow-Headers",
              "Authorization, DPoP, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID");
      res.set("Access-Control-Max-Age", "600");
    }
    {
      const bool awaited = co_await answer(std::move(res), "preflight");
      co_return awaited;
    }
  }
  if (request.method() != http::verb::get && request.method() != http::verb::post &&
      request.method() != http::verb::delete_) {
    Response res = JsonResponse(http::status::method_not_allowed,
                                JsonRpcError(request, JsonRpcCode::kInvalidRequest, "Method not allowed"), keep_alive);
    res.set(http::field::allow, "GET, POST, DELETE, OPTIONS");
    {
      const bool awaited = co_await answer(std::move(res), "method_not_allowed");
      co_return awaited;
    }
  }

  if (request.method() == http::verb::get && metrics_->open_streams() >= options_.limits.max_streams) {
    Response res = JsonResponse(http::status::service_unavailable,
                                JsonRpcError(request, JsonRpcCode::kRetryLater, "Too many open streams; retry later"), keep_alive);
    res.set(http::field::retry_after, "5");
    {
      const bool awaited = co_await answer(std::move(res), "too_many_streams");
      co_return awaited;
    }
  }
  RequestInfo info{route, ClientAddress(request, peer)};
  McpDecision decision = co_await pipeline_->Decide(request, info);
  if (decision.local) {
    for (const auto& [name, value] : cors) decision.local->set(name, value);
    if (decision.local_delay > absl::ZeroDuration()) {
      // Held without the request's body (up to max_body_bytes), which is not needed.
      request.body().clear();
      request.body().shrink_to_fit();
      asio::steady_timer hold(client.get_executor(), absl::ToChronoNanoseconds(decision.local_delay));
      co_await hold.async_wait(as_tuple(use_awaitable));
    }
    {
      const bool awaited = co_await answer(std::move(*decision.local), decision.reason);
      co_return awaited;
    }
  }
  if (!body_complete) {
    // Unreachable while pipelines answer every request whose body they did not
    // want; a request is never forwarded without its body.
    log::Error("refusing to forward a request whose body was not read", {{"route", route->config.path}});
    {
      const bool awaited = co_await answer(
          JsonResponse(http::status::payload_too_large, JsonRpcError(request, JsonRpcCode::kInvalidRequest, "Request body too large"), false),
          "body_not_read");
      co_return awaited;
    }
  }
  unsigned status = 0;
  const bool keep = co_await Proxy(request, *route, decision, client, peer, pool, status);
  finish(status, decision.reason);
  co_return keep;
}

Task<bool> Gateway::Proxy(Request& request, const RouteState& route, McpDecision& decision,
                          beast::tcp_stream& client, const tcp::endpoint& peer, UpstreamPool& pool, unsigned& status) {
  const bool keep_alive = request.keep_alive();
  const GatewayLimits& limits = options_.limits;
  auto fail = [&](http::status code, std::string_view kind, std::string_view message) -> Task<bool> {
    metrics_->CountUpstreamError(route.config.path, kind);
    log::Warn("upstream failed", {{"route", route.config.path},
                                  {"upstream", route.config.upstream},
                                  {"kind", kind},
                                  {"error", message}});
    Response res = JsonResponse(code, JsonRpcError(request, JsonRpcCode::kInternalError, message), keep_alive);
    for (const auto& [name, value] : CorsHeaders(request, route)) res.set(name, value);
    status = res.result_int();
    {
      const bool awaited = co_await Send(client, res, request.method());
      co_return awaited;
    }
  };
  absl::StatusOr<Request> up = UpstreamRequest(request, route, decision, peer);
  if (!up.ok()) {
    log::Error("refusing to send an unsafe request upstream",
               {{"route", route.config.path}, {"error", std::string(up.status().message())}});
    {
      const bool awaited = co_await fail(http::status::internal_server_error, "unsafe_request", "Internal error");
      co_return awaited;
    }
  }

  // A request goes out a second time only when the first try cannot have reached
  // the upstream's application: its write failed on a pooled connection, or (for
  // idempotent methods only) a pooled connection closed without a byte of answer.
  // A POST whose connection closed after it was sent may have run: never resent.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    std::optional<beast::tcp_stream> upstream;
    bool reused = false;
    beast::error_code ec = co_await pool.Acquire(route.upstream, limits.upstream_connect_timeout, upstream, reused);
    if (ec) {
      {
        const bool awaited = co_await fail(
            ec == beast::error::timeout ? http::status::gateway_timeout : http::status::bad_gateway, "connect",
            "Upstream MCP server unavailable");
        co_return awaited;
      }
    }
    upstream->expires_after(absl::ToChronoNanoseconds(limits.upstream_timeout));
    auto [wec, wn] = co_await http::async_write(*upstream, *up, as_tuple(use_awaitable));
    if (wec) {
      if (reused) continue;
      {
        const bool awaited = co_await fail(http::status::bad_gateway, "broken", "Upstream MCP server unavailable");
        co_return awaited;
      }
    }
    beast::flat_buffer upstream_buffer;
    std::optional<http::response_parser<http::buffer_body>> parser;
    const bool head_request = request.method() == http::verb::head;
    switch (co_await ReadFinalResponseHead(*upstream, upstream_buffer, parser, head_request)) {
      case ResponseHeadOutcome::kFinal:
        break;
      case ResponseHeadOutcome::kClosedUnread:
        if (reused && IsIdempotent(request.method())) continue;
        {
          const bool awaited = co_await fail(http::status::bad_gateway, "broken", "Upstream MCP server unavailable");
          co_return awaited;
        }
      case ResponseHeadOutcome::kTimeout: {
        const bool awaited = co_await fail(http::status::gateway_timeout, "timeout", "Upstream MCP server timed out");
        co_return awaited;
      }
      case ResponseHeadOutcome::kBroken: {
        const bool awaited = co_await fail(http::status::bad_gateway, "broken", "Upstream MCP server unavailable");
        co_return awaited;
      }
      case ResponseHeadOutcome::kUnexpected: {
        const bool awaited = co_await fail(http::status::bad_gateway, "protocol",
                                           "Upstream MCP server sent an answer the gateway never asked for");
        co_return awaited;
      }
    }
    const http::response_header<>& head = parser->get().base();
    const std::string_view encoding = TrimAsciiWhitespace(View(head[http::field::content_encoding]));
    if ((decision.transform || !decision.own_messages.empty()) && !encoding.empty() &&
        !EqualsIgnoreCase(encoding, "identity")) {
      // Relaying it unread would fail open (an unfiltered list): refused instead.
      const bool awaited = co_await fail(http::status::bad_gateway, "protocol",
                                         "Upstream MCP server encoded an answer the gateway must read");
      co_return awaited;
    }
    if (head.count("Mcp-Session-Id") > 1) {
      const bool awaited = co_await fail(http::status::bad_gateway, "protocol",
                                         "Upstream MCP server sent more than one Mcp-Session-Id");
      co_return awaited;
    }
    metrics_->ObserveUpstream(route.config.path,
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (decision.on_upstream_response) {
      if (absl::Status refused = decision.on_upstream_response(head); !refused.ok()) {
        const std::string message(refused.message());
        const bool awaited = co_await fail(http::status::bad_gateway, "protocol", message);
        co_return awaited;
      }
    }

    RelayOptions relay;
    relay.write_timeout = limits.write_timeout;
    relay.transform = decision.transform;
    relay.own_messages = decision.own_messages;
    relay.head_request = head_request;
    relay.extra_headers = CorsHeaders(request, route);
    relay.extra_headers.insert(relay.extra_headers.end(), decision.client_headers.begin(),
                               decision.client_headers.end());
    relay.on_stream = [this](bool opened) {
      if (opened) {
        metrics_->StreamOpened();
      } else {
        metrics_->StreamClosed();
      }
    };
    RelayResult result = co_await RelayResponse(*upstream, upstream_buffer, *parser, client, keep_alive, relay);
    status = result.status;
    if (result.upstream_failed) metrics_->CountUpstreamError(route.config.path, "broken");
    if (result.upstream_reusable) pool.Release(route.upstream, std::move(*upstream));
    co_return result.client_ok;
  }
  {
    const bool awaited = co_await fail(http::status::bad_gateway, "broken", "Upstream MCP server unavailable");
    co_return awaited;
  }
}

}  // namespace mcpauth::gw
