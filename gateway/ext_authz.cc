#include "gateway/ext_authz.h"

#include <boost/json.hpp>

#include "gateway/gateway.h"
#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

// google.rpc.Code values Envoy reads in CheckResponse.status.
constexpr int kRpcOk = 0;
constexpr int kRpcPermissionDenied = 7;
constexpr int kRpcUnauthenticated = 16;
// envoy.config.core.v3.HeaderValueOption.HeaderAppendAction
constexpr int kAppendIfExistsOrAdd = 0;
constexpr int kOverwriteIfExistsOrAdd = 2;

void AddHeader(google::protobuf::RepeatedPtrField<authz::HeaderValueOption>& to, std::string_view name,
               std::string_view value, int append_action) {
  authz::HeaderValueOption* option = to.Add();
  option->mutable_header()->set_key(std::string(name));
  option->mutable_header()->set_value(std::string(value));
  option->set_append_action(append_action);
}

// Envoy's x-envoy-auth-partial-body: "true" when it sent only the first
// max_request_bytes of the body.
bool PartialBody(const Request& request) {
  for (std::string_view value : SplitSkipEmpty(View(request["x-envoy-auth-partial-body"]), ',')) {
    if (EqualsIgnoreCase(TrimAsciiWhitespace(value), "true")) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<HeldRequest> HeldFromCheck(const authz::CheckRequest& check, const GatewayLimits& limits) {
  const authz::AttributeContext::HttpRequest& http = check.attributes().request().http();
  if (!IsHttpToken(http.method())) return absl::InvalidArgumentError("the request's method is missing or malformed");
  if (http.path().empty() || http.path().front() != '/' || !IsHttpFieldValue(http.path()) ||
      http.path().find(' ') != std::string::npos) {
    return absl::InvalidArgumentError("the request's path is missing or malformed");
  }
  HeldRequest held;
  Request& request = held.request;
  request.version(11);
  request.method_string(http.method());
  request.target(http.path());
  std::string authority;
  int64_t header_bytes = 0;
  auto add = [&](std::string_view name, std::string_view value) -> absl::Status {
    header_bytes += static_cast<int64_t>(name.size() + value.size() + 4);
    if (header_bytes > limits.max_header_bytes) return absl::ResourceExhaustedError("the request's headers are too large");
    if (name == ":authority") authority = value;
    if (!name.empty() && name.front() == ':') return absl::OkStatus();  // Envoy's pseudo-headers
    if (!IsHttpToken(name) || !IsHttpFieldValue(value)) {
      return absl::InvalidArgumentError(StrCat("the request's header ", IsHttpToken(name) ? name : "name",
                                               " holds characters HTTP cannot carry"));
    }
    // Host comes from the host attribute (below); a second one here would be the
    // client's word against Envoy's.
    if (EqualsIgnoreCase(name, "host")) return absl::OkStatus();
    request.insert(name, value);
    return absl::OkStatus();
  };
  // Raw headers (header_map) keep each field a client repeated; the map joins them with
  // ",", so a header that must come once and holds a "," may have been sent twice:
  // refused, as the gateway refuses the repeat itself (a session id twice could be read
  // as either by the upstream).
  if (http.header_map().headers_size() > 0) {
    for (const authz::HeaderValue& h : http.header_map().headers()) {
      if (absl::Status s = add(h.key(), h.raw_value().empty() ? h.value() : h.raw_value()); !s.ok()) return s;
    }
  } else {
    for (const auto& [name, value] : http.headers()) {
      for (std::string_view once : kOneValueHeaders) {
        // (Host is taken from http.host below, never from these.)
        if (!EqualsIgnoreCase(once, "host") && EqualsIgnoreCase(name, once) && value.find(',') != std::string::npos) {
          return absl::InvalidArgumentError(StrCat("the request's ", once, " header holds a \",\": sent twice, or "
                                                   "not one value (send header_map: Envoy's encode_raw_headers)"));
        }
      }
      if (absl::Status s = add(name, value); !s.ok()) return s;
    }
  }
  const std::string host = http.host().empty() ? authority : http.host();
  if (!host.empty()) {
    if (!IsHttpFieldValue(host)) return absl::InvalidArgumentError("the request's host holds characters HTTP cannot carry");
    request.set(http::field::host, host);
  }
  const std::string& body = http.raw_body().empty() ? http.body() : http.raw_body();
  if (static_cast<int64_t>(body.size()) > limits.max_body_bytes) {
    return absl::ResourceExhaustedError("the request's body is larger than gateway.limits.max_body_bytes");
  }
  request.body() = body;
  if (request.method() == http::verb::post) {
    held.body_seen = !PartialBody(request) && (http.size() >= 0 ? static_cast<int64_t>(body.size()) == http.size()
                                                                 : !body.empty());
  }
  boost::system::error_code ec;
  held.client = asio::ip::make_address(check.attributes().source().address().socket_address().address(), ec);
  return held;
}

void FillCheckResponse(const Verdict& verdict, authz::CheckResponse& response) {
  if (verdict.kind == Verdict::Kind::kAllow) {
    // (remove_headers holds every client header whose name has a "_": the gateway's own
    // proxy drops them all, since CGI-style servers read "_" as "-".)
    response.mutable_status()->set_code(kRpcOk);
    authz::OkHttpResponse* ok = response.mutable_ok_response();
    for (const auto& [name, value] : verdict.set_headers) AddHeader(*ok->mutable_headers(), name, value, kOverwriteIfExistsOrAdd);
    for (const std::string& name : verdict.remove_headers) {
      // A header set above is overwritten, not removed.
      const bool set = std::any_of(verdict.set_headers.begin(), verdict.set_headers.end(),
                                   [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
      if (!set) ok->add_headers_to_remove(name);
    }
    for (const auto& [name, value] : verdict.client_headers) {
      AddHeader(*ok->mutable_response_headers_to_add(), name, value, kOverwriteIfExistsOrAdd);
    }
    return;
  }
  const Response& answer = *verdict.answer;
  response.mutable_status()->set_code(answer.result() == http::status::unauthorized ? kRpcUnauthenticated
                                                                                    : kRpcPermissionDenied);
  response.mutable_status()->set_message(verdict.reason);
  authz::DeniedHttpResponse* denied = response.mutable_denied_response();
  denied->mutable_status()->set_code(static_cast<int>(answer.result_int()));
  for (const auto& field : answer) {
    // Envoy frames the body itself and names itself as the server.
    if (field.name() == http::field::content_length || field.name() == http::field::server) continue;
    AddHeader(*denied->mutable_headers(), View(field.name_string()), View(field.value()), kAppendIfExistsOrAdd);
  }
  denied->set_body(answer.body());
}

namespace {

// The address of a gRPC peer ("ipv4:10.0.0.7:5555", "ipv6:[::1]:5555"); unspecified
// when it is none (a Unix socket).
asio::ip::address PeerAddress(const std::string& peer) {
  std::string_view rest = peer;
  if (rest.starts_with("ipv4:")) {
    rest.remove_prefix(5);
    rest = rest.substr(0, rest.rfind(':'));
  } else if (rest.starts_with("ipv6:")) {
    rest.remove_prefix(5);
    rest = rest.substr(0, rest.rfind(':'));
    if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
    rest = rest.substr(0, rest.find('%'));  // a zone index
  } else {
    return {};
  }
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(rest, ec);
  return ec ? asio::ip::address() : address;
}

}  // namespace

grpc::ServerUnaryReactor* ExtAuthzService::Check(grpc::CallbackServerContext* context,
                                                 const authz::CheckRequest* request, authz::CheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Only the proxies named in gateway.trusted_proxies: a Check answers with the
  // caller's identity and claims, and names the client address the failed-auth
  // budgets are kept by.
  const asio::ip::address peer = PeerAddress(context->peer());
  if (!gateway_->TrustedProxy(peer)) {
    log::Warn("ext_authz: refusing a caller outside gateway.trusted_proxies", {{"peer", context->peer()}});
    gateway_->metrics()->CountAuthorization("ext_authz", "other", "refused", "untrusted_proxy", 0);
    reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                 "this caller is not in the gateway's trusted_proxies"));
    return reactor;
  }
  absl::StatusOr<HeldRequest> held = HeldFromCheck(*request, gateway_->limits());
  if (!held.ok()) {
    // Not a request HTTP could have carried: Envoy answers the client 400.
    log::Warn("ext_authz: refusing a CheckRequest", {{"error", std::string(held.status().message())}});
    Verdict verdict;
    verdict.kind = Verdict::Kind::kRefuse;
    verdict.reason = "bad_check_request";
    verdict.answer = Gateway::JsonResponse(
        http::status::bad_request,
        ToJson(boost::json::object{{"error", "invalid_request"}, {"error_description", std::string(held.status().message())}}), true);
    gateway_->metrics()->CountAuthorization("ext_authz", "other", "refused", verdict.reason, 0);
    FillCheckResponse(verdict, *response);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  asio::co_spawn(
      executor_(),
      [gateway = gateway_, held = std::move(*held)]() mutable -> Task<Verdict> {
        Verdict verdict = co_await gateway->Authorize(held, "ext_authz");
        if (verdict.hold > absl::ZeroDuration()) {
          asio::steady_timer hold(co_await asio::this_coro::executor, absl::ToChronoNanoseconds(verdict.hold));
          co_await hold.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        co_return verdict;
      },
      [reactor, response](std::exception_ptr error, Verdict verdict) {
        if (error) {
          log::Error("ext_authz: the decision failed");
          reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "the decision failed"));
          return;
        }
        FillCheckResponse(verdict, *response);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

}  // namespace mcpauth::gw
