// The gateway's decision for other proxies (front_door.h): Gateway::Authorize,
// shared by both doors, and the HTTP forward-auth door.
#include <algorithm>
#include <chrono>
#include <optional>

#include <boost/json.hpp>

#include "gateway/gateway.h"
#include "gateway/jsonrpc.h"
#include "gateway/relay.h"
#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

// The headers Envoy must remove before the upstream: the credentials and identity
// names always (in case the client sent them in another case), and every header of
// the request the gateway's own proxy would drop (NeverForwarded).
std::vector<std::string> HeadersToRemove(const Request& request, const IdentityHeaders& ids) {
  std::vector<std::string> names = {"authorization", "dpop", AsciiLower(ids.subject), AsciiLower(ids.scopes),
                                    AsciiLower(ids.claims), AsciiLower(ids.anonymous)};
  for (const auto& field : request) {
    const std::string name = AsciiLower(View(field.name_string()));
    if (NeverForwarded(name, ids) && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  return names;
}

// A batch the gateway would have forwarded without its denied members: through a
// front door the body cannot be replaced, so the batch is answered whole, the
// requests that were allowed told they were not sent.
std::string AnswerWholeBatch(const McpDecision& d) {
  std::vector<std::string> replies = d.own_messages;
  boost::json::value rest;
  if (d.body && ParseStrictJson(*d.body, rest) == JsonParseError::kNone && rest.is_array()) {
    for (const boost::json::value& m : rest.get_array()) {
      const boost::json::object* o = m.if_object();
      if (o == nullptr || !o->contains("method") || !o->contains("id")) continue;  // notifications get nothing
      replies.push_back(JsonRpcErrorMessage(o->at("id"), JsonRpcCode::kInvalidRequest,
                                            "Not forwarded: another message in this batch was denied; send it on its own"));
    }
  }
  return StrCat("[", StrJoin(replies, ","), "]");
}

Verdict Answered(Response response, std::string reason, absl::Duration hold = absl::ZeroDuration()) {
  Verdict v;
  v.kind = response.result_int() / 100 == 2 ? Verdict::Kind::kAnswer : Verdict::Kind::kRefuse;
  v.answer = std::move(response);
  v.reason = std::move(reason);
  v.hold = hold;
  return v;
}

// The original request's method or target from a forward-auth request's headers:
// X-Original-Method / X-Original-URI (nginx), X-Forwarded-Method / X-Forwarded-Uri
// (Traefik, Caddy). Proxies pass the client's own headers on too, so a client could
// send the convention its proxy does not set (behind Traefik, X-Original-URI: /other
// and X-Original-Method: GET to be judged as a GET). Each may come once, and when
// both conventions are present they must agree; nullopt when they do not. "" when the
// proxy named neither.
std::optional<std::string_view> OriginalField(const Request& request, std::string_view a, std::string_view b) {
  if (request.count(a) > 1 || request.count(b) > 1) return std::nullopt;
  const std::string_view first = View(request[a]), second = View(request[b]);
  if (!first.empty() && !second.empty() && first != second) return std::nullopt;
  return first.empty() ? second : first;
}

bool IsForwardAuthHeader(std::string_view lower) {
  return lower == "x-original-uri" || lower == "x-original-method" || lower == "x-forwarded-uri" ||
         lower == "x-forwarded-method" || lower == "content-length" || lower == "transfer-encoding";
}

}  // namespace

Task<Verdict> Gateway::Authorize(HeldRequest& held, std::string_view door) {
  const auto start = std::chrono::steady_clock::now();
  Request& request = held.request;
  const std::string_view path = TargetPath(View(request.target()));
  const RouteState* route = FindRoute(path, /*any=*/true);
  Verdict verdict;
  if (route == nullptr) {
    // The protected resource metadata is public: the gateway gives the document.
    // Any other path is no MCP route of this gateway's (Envoy: turn the filter off
    // for paths mcpauth does not judge).
    if (std::optional<Response> served = pipeline_->Serve(request, path)) {
      served->set(http::field::access_control_allow_origin, "*");
      verdict = Answered(std::move(*served), "metadata");
    } else {
      verdict = Answered(JsonResponse(http::status::not_found, R"({"error":"not_found"})", true), "not_found");
    }
  } else {
    const RequestInfo info{route, held.client, /*front_door=*/true, held.body_seen};
    if (std::optional<LocalReply> reply = Screen(request, info)) {
      verdict = Answered(std::move(reply->response), std::move(reply->reason), reply->hold);
    } else {
      McpDecision d = co_await pipeline_->Decide(request, info);
      if (d.local) {
        for (const auto& [name, value] : CorsHeaders(request, *route)) d.local->set(name, value);
        verdict = Answered(std::move(*d.local), std::move(d.reason), d.local_delay);
      } else if (d.body) {
        metrics_->CountDenial("batch_answered_whole");
        verdict = Answered(JsonResponse(http::status::ok, AnswerWholeBatch(d), true), "denied_by_policy");
      } else {
        verdict.reason = d.reason == "proxied" ? "allowed" : d.reason;
        verdict.set_headers = std::move(d.upstream_headers);
        verdict.remove_headers = HeadersToRemove(request, options_.identity_headers);
        verdict.client_headers = std::move(d.client_headers);
        for (const auto& [name, value] : CorsHeaders(request, *route)) verdict.client_headers.emplace_back(name, value);
      }
    }
  }
  static const std::string kOffRoute = "other";
  metrics_->CountAuthorization(door, route != nullptr ? route->config.path : kOffRoute,
                               verdict.kind == Verdict::Kind::kAllow ? "allowed"
                               : verdict.kind == Verdict::Kind::kAnswer ? "answered"
                                                                         : "refused",
                               verdict.reason, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  co_return verdict;
}

// nginx auth_request, Traefik ForwardAuth and Caddy forward_auth send the client's
// headers with the original method and URI in their own; 2xx means "go on" (the
// identity headers of the answer are copied onto the request), anything else is
// the client's answer (nginx passes 401 and 403 on, and makes others 500).
Task<bool> Gateway::ForwardAuth(Request& request, Stream& client, const tcp::endpoint& peer) {
  const bool keep_alive = request.keep_alive();
  auto reply = [&](http::status status, std::string_view description) {
    return JsonResponse(status, ToJson(boost::json::object{{"error", "invalid_request"},
                                                           {"error_description", description}}),
                        keep_alive);
  };
  std::optional<Response> answer;
  std::string_view reason;
  const std::optional<std::string_view> original_uri = OriginalField(request, "X-Original-URI", "X-Forwarded-Uri");
  const std::optional<std::string_view> original_method =
      OriginalField(request, "X-Original-Method", "X-Forwarded-Method");
  const std::string_view uri = original_uri.value_or(""), method = original_method.value_or("");
  if (!trusted_proxies_.Contains(peer.address())) {
    // The original URI and method are the proxy's word: believed from the proxies
    // the operator named only, or anyone could ask about any request.
    answer = reply(http::status::forbidden, "forward-auth answers the proxies in gateway.trusted_proxies only");
    reason = "untrusted_proxy";
  } else if (const auto underscore = std::find_if(request.begin(), request.end(), [](const auto& field) {
               return View(field.name_string()).find('_') != std::string_view::npos;
             });
             underscore != request.end()) {
    // The gateway drops such headers (CGI-style servers read "_" as "-": X_MCP_Auth_Subject
    // as the identity, Mcp_Session_Id as the session); forward-auth cannot drop a header
    // from the request the proxy forwards, so it refuses the request instead.
    answer = reply(http::status::bad_request,
                   StrCat("header names with \"_\" are not accepted (", View(underscore->name_string()), ")"));
    reason = "underscore_header";
  } else if (!original_uri || !original_method) {
    answer = reply(http::status::bad_request,
                   "the original request is named twice, or differently by X-Original-* and X-Forwarded-* "
                   "(a client's own header the proxy passed on?)");
    reason = "ambiguous_original_request";
  } else if (uri.empty() || uri.front() != '/' || method.empty() || !IsHttpToken(method)) {
    // Both are required: nginx's subrequest is a GET whatever the client sent, and
    // a POST decided as a GET would skip every per-message rule.
    answer = reply(http::status::bad_request,
                   "forward-auth needs the original request's path and method (X-Original-URI and "
                   "X-Original-Method, or X-Forwarded-Uri and X-Forwarded-Method)");
    reason = "no_original_request";
  }
  if (answer) {
    log::Warn("forward-auth request refused", {{"peer", peer.address().to_string()}, {"reason", std::string(reason)}});
    metrics_->CountAuthorization("forward_auth", "other", "refused", reason, 0);
    const bool keep = co_await Send(client, *answer, request.method());
    co_return keep;
  }

  HeldRequest held;
  Request& original = held.request;
  original.method_string(method);
  original.target(uri);
  original.version(11);
  for (const auto& field : request) {
    const std::string name = AsciiLower(View(field.name_string()));
    if (IsForwardAuthHeader(name)) continue;
    if (name == "host") continue;  // the proxy's request to the gateway; the original's below
    original.insert(field.name_string(), field.value());
  }
  const std::string_view host = View(request["X-Forwarded-Host"]);
  original.set(http::field::host, host.empty() ? View(request[http::field::host]) : host);
  original.body() = std::move(request.body());
  original.prepare_payload();
  held.client = ClientAddress(request, peer);
  // Only Traefik's forwardBody sends the body; nginx and Caddy never do.
  held.body_seen = original.method() != http::verb::post || !original.body().empty();

  Verdict verdict = co_await Authorize(held, "forward_auth");
  if (verdict.hold > absl::ZeroDuration()) {
    asio::steady_timer hold(client.get_executor(), absl::ToChronoNanoseconds(verdict.hold));
    co_await hold.async_wait(as_tuple(use_awaitable));
  }
  Response res;
  // A CORS preflight is passed on (the browser's next request is decided on its own);
  // any other OPTIONS, which the gateway would answer itself, is not.
  const bool preflight = verdict.reason == "preflight" && original.count(http::field::origin) > 0 &&
                         original.count(http::field::access_control_request_method) > 0 &&
                         original.count(http::field::authorization) == 0 && original.count("DPoP") == 0;
  if (verdict.reason == "preflight" && !preflight) {
    verdict.kind = Verdict::Kind::kRefuse;
    verdict.reason = "options_not_forwarded";
    verdict.answer = reply(http::status::forbidden, "only a CORS preflight OPTIONS is passed on");
  }
  const bool passes = verdict.kind == Verdict::Kind::kAllow ||
                      (verdict.kind == Verdict::Kind::kAnswer && (verdict.reason == "metadata" || preflight));
  if (passes) {
    // The document and the preflight are answered by whatever the proxy sends them
    // to; forward-auth has no way to answer them in the upstream's place.
    res = JsonResponse(http::status::ok, "", keep_alive);
    res.erase(http::field::content_type);
    for (const auto& [name, value] : verdict.set_headers) res.set(name, value);
    for (const auto& [name, value] : verdict.client_headers) res.set(name, value);
  } else {
    res = std::move(*verdict.answer);
    // A success the gateway gives in the upstream's place (a tool's denial as a tool
    // result, a batch answered whole) would read as "go on": a 403 carries the same body.
    if (verdict.kind == Verdict::Kind::kAnswer) res.result(http::status::forbidden);
  }
  res.keep_alive(keep_alive);
  res.prepare_payload();
  const bool keep = co_await Send(client, res, request.method());
  co_return keep;
}

}  // namespace mcpauth::gw
