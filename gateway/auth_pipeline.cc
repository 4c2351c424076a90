#include "gateway/auth_pipeline.h"

#include <algorithm>
#include <map>

#include <boost/json.hpp>

#include "absl/random/random.h"
#include "gateway/credentials.h"
#include "gateway/grpc_await.h"
#include "proto/enum_label.h"
#include "services/token_validation/reason.h"
#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

using metadata::ChallengeKind;

metadata::PresentedScheme SchemeOf(std::string_view scheme) {
  if (scheme == "Bearer") return v1::PRESENTED_SCHEME_BEARER;
  if (scheme == "DPoP") return v1::PRESENTED_SCHEME_DPOP;
  return v1::PRESENTED_SCHEME_UNSPECIFIED;
}

// Where a list result keeps its items, and what names each item.
struct ListShape {
  const char* items;
  const char* name;
};
ListShape ShapeOf(sp::ListKind kind) {
  switch (kind) {
    case v1::LIST_KIND_TOOLS: return {"tools", "name"};
    case v1::LIST_KIND_RESOURCES: return {"resources", "uri"};
    case v1::LIST_KIND_RESOURCE_TEMPLATES: return {"resourceTemplates", "uriTemplate"};
    case v1::LIST_KIND_PROMPTS: return {"prompts", "name"};
    default: return {"tools", "name"};
  }
}

// A result that is a list by its shape (an array under one of the list keys), for
// answers whose request the gateway did not see (a resumed GET stream).
std::optional<sp::ListKind> ListKindByShape(const boost::json::object& result) {
  for (sp::ListKind kind : {v1::LIST_KIND_TOOLS, v1::LIST_KIND_RESOURCES, v1::LIST_KIND_RESOURCE_TEMPLATES,
                            v1::LIST_KIND_PROMPTS}) {
    const boost::json::value* items = result.if_contains(ShapeOf(kind).items);
    if (items != nullptr && items->is_array()) return kind;
  }
  return std::nullopt;
}

// Filters the list results in a reply (one message or a batch) down to what the
// caller may use. `lists` maps request ids (serialized) to the kind they listed;
// null: any result shaped like a list is one (a GET stream carries answers to
// requests made on other connections, replayed on resumption).
std::optional<std::string> FilterLists(std::string_view json, const sp::CompiledPolicy& policy,
                                       const std::vector<std::string>& scopes, bool anonymous,
                                       const std::map<std::string, sp::ListKind>* lists) {
  boost::json::value doc;
  if (ParseStrictJson(json, doc) != JsonParseError::kNone) return std::nullopt;
  const std::vector<std::string_view> views = sp::ScopeViews(scopes);
  bool changed = false;
  auto filter_one = [&](boost::json::value& message) {
    if (!message.is_object()) return;
    auto& o = message.get_object();
    const boost::json::value* id = o.if_contains("id");
    boost::json::value* result = o.if_contains("result");
    if (id == nullptr || result == nullptr || !result->is_object()) return;
    std::optional<sp::ListKind> kind;
    if (lists == nullptr) {
      kind = ListKindByShape(result->get_object());
    } else if (auto it = lists->find(ToJson(*id)); it != lists->end()) {
      kind = it->second;
    }
    if (!kind) return;
    const ListShape shape = ShapeOf(*kind);
    boost::json::value* items = result->get_object().if_contains(shape.items);
    if (items == nullptr || !items->is_array()) return;
    std::vector<std::string> names;
    for (const auto& item : items->get_array()) {
      const boost::json::value* n = item.is_object() ? item.get_object().if_contains(shape.name) : nullptr;
      names.push_back(n != nullptr && n->is_string() ? std::string(n->get_string()) : std::string());
    }
    const std::vector<std::string> allowed = sp::FilterAllowed(policy, views, anonymous, *kind, names);
    boost::json::array kept;
    size_t next = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      if (next < allowed.size() && allowed[next] == names[i]) {
        kept.push_back(items->get_array()[i]);
        ++next;
      }
    }
    if (kept.size() != names.size()) changed = true;
    *items = std::move(kept);
  };
  if (doc.is_array()) {
    for (auto& m : doc.get_array()) filter_one(m);
  } else {
    filter_one(doc);
  }
  if (!changed) return std::nullopt;
  return ToJson(doc);
}

// How a body that is not a valid JSON-RPC message is answered (HTTP 400).
struct BodyErrorAnswer {
  JsonRpcCode code;
  std::string_view reason;  // the denial metric's label
  std::string_view prefix;  // of the error message, before the parser's detail
};
BodyErrorAnswer AnswerFor(JsonRpcBody::Error error) {
  switch (error) {
    case JsonRpcBody::Error::kParse: return {JsonRpcCode::kParseError, "parse_error", "Parse error: "};
    case JsonRpcBody::Error::kInvalidParams: return {JsonRpcCode::kInvalidParams, "invalid_params", "Invalid params: "};
    default: return {JsonRpcCode::kInvalidRequest, "invalid_request", "Invalid request: "};
  }
}

// The gateway's answer for a denied request: a failed tool result naming the missing
// scopes for a tool, a JSON-RPC error (kForbidden) for a resource or prompt, and
// invalid params when the target has no normal form (no scope would help).
std::string DeniedReply(const JsonRpcMessage& m, const sp::Decision& decision) {
  if (decision.reason == v1::DECISION_REASON_TARGET_INVALID) {
    return JsonRpcErrorMessage(m.id, JsonRpcCode::kInvalidParams, decision.message);
  }
  return m.target_kind == v1::TARGET_KIND_TOOL ? ToolErrorResult(m.id, decision.message)
                                            : JsonRpcErrorMessage(m.id, JsonRpcCode::kForbidden, decision.message);
}

// Why a POST body is not one the gateway can decide on as the upstream will read
// it, or "": it must be application/json in UTF-8 (no other charset), unencoded.
std::string UnreadableBody(const Request& request) {
  const std::string_view encoding = TrimAsciiWhitespace(View(request[http::field::content_encoding]));
  if (!encoding.empty() && !EqualsIgnoreCase(encoding, "identity")) return "a Content-Encoding is not accepted";
  const std::string_view type = View(request[http::field::content_type]);
  const std::vector<std::string_view> parts = SplitSkipEmpty(type, ';');
  if (parts.empty() || !EqualsIgnoreCase(TrimAsciiWhitespace(parts[0]), "application/json")) {
    return "Content-Type must be application/json";
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string_view parameter = TrimAsciiWhitespace(parts[i]);
    const size_t eq = parameter.find('=');
    const std::string_view name = TrimAsciiWhitespace(parameter.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? "" : TrimAsciiWhitespace(parameter.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (EqualsIgnoreCase(name, "charset") && !EqualsIgnoreCase(value, "utf-8")) {
      return "the body must be UTF-8 (charset=utf-8)";
    }
  }
  return "";
}

// Whether any rule of `policy` is about a tool, resource or prompt (or unknown tools
// are denied): rules only the request's body can show to apply.
bool TargetRulesApply(const sp::CompiledPolicy& policy) {
  return !policy.unknown_tool_allowed() || policy.rules(v1::TARGET_KIND_TOOL).size() > 0 ||
         policy.rules(v1::TARGET_KIND_RESOURCE).size() > 0 || policy.rules(v1::TARGET_KIND_PROMPT).size() > 0;
}

// The MCP protocol version the client speaks: its MCP-Protocol-Version header, or,
// on an initialize request (which is sent before any version is agreed and so
// carries no header), the version it asks for in params.protocolVersion.
std::string ClientProtocolVersion(const Request& request, const RequestInfo& info) {
  const std::string_view header = View(request["MCP-Protocol-Version"]);
  if (!header.empty() || request.method() != http::verb::post) return std::string(header);
  // An initialize request is small; a larger body is not read for a version.
  if (request.body().size() > AuthPipeline::kUnauthenticatedBodyBytes) return "";
  for (const JsonRpcMessage& m : info.Body(request).messages) {
    if (m.method != sp::kInitialize || !m.raw.is_object()) continue;
    const boost::json::value* params = m.raw.get_object().if_contains("params");
    const boost::json::value* version =
        params != nullptr && params->is_object() ? params->get_object().if_contains("protocolVersion") : nullptr;
    if (version != nullptr && version->is_string()) return std::string(version->get_string());
  }
  return "";
}

}  // namespace

AuthPipeline::AuthPipeline(PipelineOptions options, SuiteView* view, std::shared_ptr<grpc::Channel> token_validation,
                           SessionBindings* sessions, GatewayMetrics* metrics)
    : options_(std::move(options)),
      view_(view),
      token_validation_(v1::TokenValidation::NewStub(std::move(token_validation))),
      sessions_(sessions),
      metrics_(metrics),
      validation_cache_(options_.validation_cache_ttl > absl::ZeroDuration() ? options_.validation_cache_size : 0),
      client_failures_(options_.failed_auth_rate, options_.failed_auth_burst),
      // A tenth of a second's worth at once: a larger burst lets a flood that was
      // held back return in step and stall everyone for as long as the burst takes.
      total_failures_(options_.failed_auth_total_rate, options_.failed_auth_total_rate / 10, 1),
      validations_(options_.max_validations_in_flight),
      known_good_tokens_(50'000),
      cache_requests_(&CacheRequestsFamily(metrics->registry())) {}

AuthPipeline::Admission AuthPipeline::Admit(const std::string& key, const RequestInfo& info) {
  Admission admission;
  admission.client = ClientKey(info.client_address);
  // Unless the token has been seen valid (DPoP tokens too: their proofs are new each
  // time), a call spends the client's and the process's budgets of failed
  // authentications: a caller whose token is good is never shed for others' failures.
  const bool known_good = known_good_tokens_.Find(key) != nullptr;
  if (!known_good && !client_failures_.TryReserve(admission.client)) {
    admission.shed = Shed::kClientOverBudget;
    return admission;
  }
  admission.ticket = validations_.TryAcquire();
  if (!admission.ticket || (!known_good && !total_failures_.TryReserve(""))) {
    if (!known_good) client_failures_.Refund(admission.client);
    admission.shed = Shed::kOverloaded;
    return admission;
  }
  admission.reserved = !known_good;
  return admission;
}

void AuthPipeline::Refund(Admission& admission) {
  if (!admission.reserved) return;
  client_failures_.Refund(admission.client);
  total_failures_.Refund("");
  admission.reserved = false;
}

Task<grpc::Status> AuthPipeline::CallTokenValidation(const Request& request, const RequestInfo& info,
                                                     const Credentials& credentials, v1::ValidateResponse& validated) {
  const GatewayRoute& route = info.route->config;
  v1::ValidateRequest validate;
  validate.set_token(credentials.token);
  validate.set_resource(route.resource);
  for (const std::string& audience : route.audiences) validate.add_audiences(audience);
  validate.set_scheme(credentials.scheme);
  if (!credentials.proof.empty() || credentials.scheme == "DPoP") {
    v1::DpopProof* dpop = validate.mutable_dpop();
    dpop->set_proof(credentials.proof);
    dpop->set_method(std::string(View(request.method_string())));
    // htu from the resource's configured external origin, never from Host.
    dpop->set_uri(StrCat(info.route->origin, TargetPath(View(request.target()))));
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options_.validation_timeout));
  const grpc::Status status = co_await AwaitGrpc([&](std::function<void(grpc::Status)> done) {
    token_validation_->async()->Validate(&context, &validate, &validated, std::move(done));
  });
  co_return status;
}

void AuthPipeline::Remember(const std::string& key, bool cacheable, const grpc::Status& status,
                            const v1::ValidateResponse& validated) {
  if (!status.ok() || !validated.valid()) return;
  absl::Time expires_at = absl::FromUnixSeconds(validated.principal().expires_at());
  if (validated.reuse_until_ms() != 0) expires_at = std::min(expires_at, absl::FromUnixMillis(validated.reuse_until_ms()));
  known_good_tokens_.Insert(key, std::make_shared<const bool>(true), std::min(expires_at, absl::Now() + absl::Hours(1)));
  if (cacheable && validated.principal().confirmation_jkt().empty()) {
    validation_cache_.Insert(key, std::make_shared<const v1::ValidateResponse>(validated),
                             std::min(expires_at, absl::Now() + options_.validation_cache_ttl));
  }
}

Task<grpc::Status> AuthPipeline::Validate(const Request& request, const RequestInfo& info,
                                          const Credentials& credentials, v1::ValidateResponse& validated,
                                          Shed& shed) {
  // Only plain bearer answers are kept and shared: a DPoP request carries a new
  // proof every time.
  const bool cacheable = credentials.scheme == "Bearer" && credentials.proof.empty();
  const GatewayRoute& route = info.route->config;
  const std::string key = StrCat(route.resource, "\n", StrJoin(route.audiences, " "), "\n", credentials.token);
  std::string flight_key;  // the digest, never the token
  std::shared_ptr<ValidationFlights::Flight> flight;
  if (cacheable) {
    if (auto hit = validation_cache_.Find(key)) {
      cache_requests_->Add({{"cache", "gateway_validation"}, {"result", "hit"}}).Increment();
      validated = *hit;
      co_return grpc::Status::OK;
    }
    flight_key = SecretDigest(key);
    flight = flights_.Find(flight_key);
  }
  // A call of its own (joining one costs nothing and is not admitted).
  Admission admission;
  bool leader = !cacheable;
  if (flight == nullptr) {
    admission = Admit(key, info);
    if (admission.shed != Shed::kNone) {
      shed = admission.shed;
      co_return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, admission.shed == Shed::kClientOverBudget
                                                                       ? "client over its failed-authentication budget"
                                                                       : "too many validations failing or in flight");
    }
    if (cacheable) std::tie(flight, leader) = flights_.Lead(flight_key);
  }
  if (!leader) {
    Refund(admission);  // another request began the same call meanwhile
    cache_requests_->Add({{"cache", "gateway_validation"}, {"result", "joined"}}).Increment();
    const grpc::Status status = co_await ValidationFlights::Await(*flight, validated);
    co_return status;
  }
  if (cacheable) cache_requests_->Add({{"cache", "gateway_validation"}, {"result", "miss"}}).Increment();
  std::optional<ValidationFlights::Leadership> lead;
  if (flight != nullptr) lead.emplace(&flights_, flight_key, std::move(flight));
  const grpc::Status status = co_await CallTokenValidation(request, info, credentials, validated);
  Remember(key, cacheable, status, validated);
  // Only a failed authentication spends the budgets (not a valid token, nor one not judged).
  if (!status.ok() || validated.valid()) Refund(admission);
  if (lead) lead->Land(status, validated);
  co_return status;
}

std::optional<uint64_t> AuthPipeline::BodyBytesNeeded(const http::request_header<>& header) const {
  if (header.count(http::field::authorization) == 0) return kUnauthenticatedBodyBytes;
  return std::nullopt;
}

std::optional<Response> AuthPipeline::Serve(const Request& request, std::string_view path) {
  auto snapshot = view_->metadata();
  if (snapshot == nullptr) return std::nullopt;
  const metadata::ResourceDocument* doc = snapshot->resources.FindByPath(path);
  if (doc == nullptr) return std::nullopt;
  if (request.method() != http::verb::get && request.method() != http::verb::head &&
      request.method() != http::verb::options) {
    Response res = Gateway::JsonResponse(http::status::method_not_allowed, R"({"error":"method_not_allowed"})",
                                         request.keep_alive());
    res.set(http::field::allow, "GET, HEAD, OPTIONS");
    return res;
  }
  Response res = Gateway::JsonResponse(http::status::ok, doc->document_json, request.keep_alive());
  res.set(http::field::cache_control, snapshot->resources.cache_control());
  return res;
}

McpDecision AuthPipeline::Challenge(const Request& request, const RequestInfo& info, const Suite& suite, ChallengeKind kind,
                                    std::string_view scheme, std::string_view description,
                                    std::vector<std::string> operation_scopes, std::string dpop_nonce) {
  McpDecision d;
  d.reason = std::string(EnumLabel(kind));
  metrics_->CountDenial(d.reason);
  metadata::ChallengeRequest cr;
  cr.kind = kind;
  cr.resource = info.route->config.resource;
  cr.protocol_version = ClientProtocolVersion(request, info);
  cr.scheme = SchemeOf(scheme);
  cr.operation_scopes = std::move(operation_scopes);
  cr.error_description = std::string(description);
  cr.dpop_nonce = std::move(dpop_nonce);
  auto challenge = suite.metadata->BuildChallenge(cr);
  if (!challenge.ok()) {
    log::Error("cannot build a challenge", {{"resource", cr.resource}, {"error", std::string(challenge.status().message())}});
    d.local = Gateway::JsonResponse(http::status::unauthorized, R"({"error":"unauthorized"})", request.keep_alive());
    return d;
  }
  boost::json::object body{{"error", challenge->error.empty() ? "unauthorized" : challenge->error}};
  if (!description.empty() && !challenge->error.empty()) body["error_description"] = description;
  d.local = Gateway::JsonResponse(static_cast<http::status>(challenge->http_status), ToJson(body), request.keep_alive());
  for (const std::string& value : challenge->www_authenticate) d.local->insert(http::field::www_authenticate, value);
  if (!challenge->dpop_nonce.empty()) d.local->set("DPoP-Nonce", challenge->dpop_nonce);
  return d;
}

McpDecision AuthPipeline::Refusal(const Request& request, http::status status, std::string reason, JsonRpcCode code,
                                  std::string_view message, int retry_after_seconds) {
  McpDecision d;
  d.reason = std::move(reason);
  d.local = Gateway::JsonResponse(status, JsonRpcErrorMessage(nullptr, code, message), request.keep_alive());
  if (retry_after_seconds > 0) d.local->set(http::field::retry_after, std::to_string(retry_after_seconds));
  return d;
}

std::optional<McpDecision> AuthPipeline::Identify(const Request& request, const RequestInfo& info, const Suite& suite,
                                                  const Credentials& credentials, const grpc::Status& status,
                                                  const v1::ValidateResponse& validated, CallerIdentity& caller) {
  if (!status.ok()) {
    // fail_open is for "could not reach the validator, or it could not fetch keys"
    // (UNAVAILABLE). A deadline hit or an overload is not that: whoever can make
    // the validator slow must not turn invalid tokens into anonymous requests.
    if (!options_.fail_open || status.error_code() != grpc::StatusCode::UNAVAILABLE) {
      metrics_->CountDenial("validation_unavailable");
      log::Warn(options_.fail_open ? "token validation overloaded or too slow; refusing (fail_open covers only an unreachable validator)"
                                   : "token validation unavailable; refusing (fail_open is off)",
                {{"code", static_cast<int>(status.error_code())}, {"error", status.error_message()}});
      return Refusal(request, http::status::service_unavailable, "validation_unavailable", JsonRpcCode::kRetryLater,
                     "Authorization is temporarily unavailable; retry", 5);
    }
    // fail_open: only because no decision could be made. Server-level scopes are
    // waived; every tool, resource or prompt that needs scopes stays denied.
    metrics_->CountDenial("fail_open");
    log::Warn("token validation unavailable; continuing as anonymous (fail_open)",
              {{"code", static_cast<int>(status.error_code())}, {"error", status.error_message()}});
    caller.anonymous = true;
    caller.owner = "anonymous";
    return std::nullopt;
  }
  if (validated.reason() == v1::REASON_DPOP_PROOF_QUOTA) {
    // A rate limit on this caller alone (token-validation without Redis).
    metrics_->CountDenial("dpop_proof_quota");
    McpDecision d = Refusal(request, http::status::too_many_requests, "dpop_proof_quota", JsonRpcCode::kRetryLater,
                            validated.error_description(), 10);
    if (!validated.dpop_nonce().empty()) d.local->set("DPoP-Nonce", validated.dpop_nonce());
    return d;
  }
  if (!validated.valid()) {
    return Challenge(request, info, suite, tv::ReasonChallengeKind(validated.reason()), credentials.scheme,
                     validated.error_description(), {}, validated.dpop_nonce());
  }
  caller.principal = validated.principal();
  // The identity goes upstream in headers and owns sessions: a principal with no
  // subject or client cannot own one, and one with control characters cannot be
  // written (token-validation refuses those; this gateway does not rely on it).
  const v1::Principal& p = caller.principal;
  const bool writable = IsHttpFieldValue(p.subject()) && IsHttpFieldValue(p.client_id()) &&
                        std::all_of(p.scopes().begin(), p.scopes().end(),
                                    [](const std::string& s) { return IsHttpFieldValue(s); });
  caller.owner = SessionBindings::OwnerKey(p.issuer(), p.subject(), p.client_id());
  if (!writable || caller.owner.empty()) {
    return Challenge(request, info, suite, v1::CHALLENGE_KIND_INVALID_TOKEN, credentials.scheme,
                     writable ? "The access token names no subject (sub) and no client (client_id)"
                              : "The access token's identity holds characters a header cannot carry");
  }
  for (const std::string& s : p.scopes()) caller.scope_views.push_back(s);
  caller.dpop_nonce = validated.dpop_nonce();
  return std::nullopt;
}

void AuthPipeline::Forward(McpDecision& d, const CallerIdentity& caller, const std::string& session_id) {
  const IdentityHeaders& ids = options_.identity_headers;
  if (caller.anonymous) {
    d.upstream_headers.emplace_back(ids.anonymous, "true");
  } else {
    d.upstream_headers.emplace_back(ids.subject, caller.principal.subject());
    d.upstream_headers.emplace_back(ids.scopes, StrJoin({caller.principal.scopes().begin(), caller.principal.scopes().end()}, " "));
    d.upstream_headers.emplace_back(ids.claims, Base64UrlEncode(caller.principal.claims_json()));
  }
  if (!caller.dpop_nonce.empty()) d.client_headers.emplace_back("DPoP-Nonce", caller.dpop_nonce);
  d.on_upstream_response = [sessions = sessions_, owner = caller.owner,
                            session_id](const http::response_header<>& h) -> absl::Status {
    const std::string_view assigned = View(h["Mcp-Session-Id"]);
    if (assigned.empty() || assigned == session_id) return absl::OkStatus();
    // A session the upstream hands this caller is bound to them; one already bound
    // to someone else never reaches them.
    if (sessions->Bind(assigned, owner) == SessionBindings::Owner::kOther) {
      log::Error("the upstream assigned a session id that belongs to another principal; not relayed");
      return absl::FailedPreconditionError("Upstream MCP server assigned a session that belongs to another principal");
    }
    return absl::OkStatus();
  };
}

// credentials → validation → identity → server-level scopes → session → messages.
Task<McpDecision> AuthPipeline::Decide(Request& request, const RequestInfo& info) {
  // One suite for the whole request: its policy and the challenges built from it agree.
  const std::shared_ptr<const Suite> suite = view_->current();
  if (suite == nullptr) {
    co_return Refusal(request, http::status::service_unavailable, "not_ready", JsonRpcCode::kRetryLater,
                      "Authorization is not ready yet; retry", 5);
  }
  const Credentials credentials = ExtractCredentials(request);
  switch (credentials.outcome) {
    case Credentials::Outcome::kNone:
      co_return Challenge(request, info, *suite, v1::CHALLENGE_KIND_NO_TOKEN, "", "");
    case Credentials::Outcome::kInvalidRequest:
      co_return Challenge(request, info, *suite, v1::CHALLENGE_KIND_INVALID_REQUEST, credentials.scheme, credentials.detail);
    case Credentials::Outcome::kInvalidProof:
      co_return Challenge(request, info, *suite, v1::CHALLENGE_KIND_INVALID_DPOP_PROOF, "DPoP", credentials.detail);
    case Credentials::Outcome::kPresent:
      break;
  }

  v1::ValidateResponse validated;
  Shed shed = Shed::kNone;
  const grpc::Status status = co_await Validate(request, info, credentials, validated, shed);
  if (shed != Shed::kNone) co_return ShedAnswer(request, info, shed);
  CallerIdentity caller;
  if (std::optional<McpDecision> refused = Identify(request, info, *suite, credentials, status, validated, caller)) {
    co_return std::move(*refused);
  }
  if (!caller.anonymous) {
    const sp::Decision server = sp::Decide(*suite->policy, std::span<const std::string_view>(caller.scope_views), false, "", "");
    if (!server.allowed) {
      co_return Challenge(request, info, *suite, v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE, credentials.scheme, server.message,
                          server.required_scopes);
    }
  }
  const std::string session_id(View(request["Mcp-Session-Id"]));
  if (!session_id.empty()) {
    if (std::optional<McpDecision> refused = CheckSession(request, info, session_id, caller.owner)) {
      co_return std::move(*refused);
    }
  }

  McpDecision d;
  if (request.method() == http::verb::post && !info.body_seen) {
    // A front door without the body: the token and the server-level scopes are
    // decided; the rest needs the body.
    if (options_.unseen_body == UnseenBody::kRefuse && TargetRulesApply(*suite->policy)) {
      d = Refusal(request, http::status::forbidden, "body_unseen", JsonRpcCode::kInvalidRequest,
                  "The authorizer did not receive this request's body, and the policy requires scopes per tool, "
                  "resource or prompt: the proxy must send the body (Envoy: with_request_body) or route MCP "
                  "through the gateway");
      metrics_->CountDenial(d.reason);
      co_return d;
    }
  } else if (request.method() == http::verb::post) {
    d = DecideMessages(request, info, caller, *suite, credentials.scheme);
    if (d.local) co_return d;
  } else if (request.method() == http::verb::get && suite->policy->list_filtering()) {
    // The GET stream carries answers to requests made elsewhere (and replays them
    // on resumption with Last-Event-ID): filtered by their shape.
    d.transform = ListFilter(caller, suite->policy, std::nullopt);
  }
  Forward(d, caller, session_id);
  if (options_.grants && !caller.anonymous) {
    co_await options_.grants->AddHeaders(caller.principal, info.route->config.resource, d.upstream_headers,
                                         options_.identity_headers.grant, options_.identity_headers.credentials);
  }
  co_return d;
}

McpDecision AuthPipeline::ShedAnswer(const Request& request, const RequestInfo& info, Shed shed) {
  const bool client = shed == Shed::kClientOverBudget;
  const int retry_after = client ? client_failures_.SecondsUntilAvailable(ClientKey(info.client_address)) : 1;
  McpDecision d = Refusal(request, client ? http::status::too_many_requests : http::status::service_unavailable,
                          client ? "failed_auth_budget" : "overloaded", JsonRpcCode::kRetryLater,
                          client ? "Too many failed authentications from this client; retry later"
                                 : "Authorization is overloaded; retry",
                          retry_after);
  metrics_->CountDenial(d.reason);
  // Shedding is for floods: the answer waits out the time the caller is asked to
  // wait (at most 2 s), so a flood's connections slow it down instead of taking
  // the gateway's time from everyone else (a held answer costs a timer).
  // Spread by up to a half so held answers do not all come back at once.
  const absl::Duration hold = std::min(absl::Seconds(retry_after), absl::Seconds(2));
  double spread;
  {
    std::lock_guard<std::mutex> lock(shed_mu_);
    spread = absl::Uniform(jitter_, 0.0, 0.5);
  }
  d.local_delay = hold - hold * spread;
  return d;
}

std::optional<McpDecision> AuthPipeline::CheckSession(const Request& request, const RequestInfo& info,
                                                      const std::string& session_id, const std::string& owner) {
  McpDecision d;
  switch (info.front_door ? sessions_->Claim(session_id, owner) : sessions_->Check(session_id, owner)) {
    case SessionBindings::Owner::kSame:
      return std::nullopt;
    case SessionBindings::Owner::kOther:
      d = Refusal(request, http::status::forbidden, "session_hijack", JsonRpcCode::kInvalidRequest,
                  "This session belongs to another principal");
      break;
    case SessionBindings::Owner::kUnknown:
      // MCP Streamable HTTP: a session the server does not know is 404; the client
      // starts a new one (which is then bound to it).
      d = Refusal(request, http::status::not_found, "session_unknown", JsonRpcCode::kSessionNotFound,
                  "Session not found");
      break;
    case SessionBindings::Owner::kUnavailable:
      d = Refusal(request, http::status::service_unavailable, "session_store_unavailable", JsonRpcCode::kRetryLater,
                  "Session bindings are temporarily unavailable; retry", 5);
      break;
  }
  metrics_->CountDenial(d.reason);
  return d;
}

McpDecision AuthPipeline::DecideMessages(const Request& request, const RequestInfo& info, const CallerIdentity& caller,
                                         const Suite& suite, std::string_view scheme) {
  const sp::CompiledPolicy& policy = *suite.policy;
  McpDecision d;
  if (const std::string why = UnreadableBody(request); !why.empty()) {
    // The decision reads the body as UTF-8 JSON; the upstream must not read other
    // bytes in it (a charset such as UTF-7 turns "tools+AC8-call" into tools/call).
    d = Refusal(request, http::status::unsupported_media_type, "unsupported_media_type", JsonRpcCode::kInvalidRequest,
                StrCat("Unsupported Media Type: ", why));
    metrics_->CountDenial(d.reason);
    return d;
  }
  const JsonRpcBody& body = info.Body(request);
  if (body.error != JsonRpcBody::Error::kNone) {
    const BodyErrorAnswer answer = AnswerFor(body.error);
    d.reason = answer.reason;
    metrics_->CountDenial(d.reason);
    d.local = Gateway::JsonResponse(http::status::bad_request,
                                    JsonRpcErrorMessage(body.error_id, answer.code, StrCat(answer.prefix, body.error_detail)),
                                    request.keep_alive());
    return d;
  }
  const bool step_up = options_.insufficient_scope == InsufficientScopeMode::kHttp403 &&
                       metadata::ScopeChallengesEnabled(suite.metadata->challenge.scope_enforcement,
                                                        ClientProtocolVersion(request, info));
  std::vector<std::string> own;
  std::vector<const JsonRpcMessage*> forward;
  std::map<std::string, sp::ListKind> lists;
  size_t dropped_notifications = 0;
  for (const JsonRpcMessage& m : body.messages) {
    const bool is_request = m.kind == JsonRpcMessage::Kind::kRequest;
    if (is_request) {
      if (auto kind = sp::ListKindOf(m.method); kind && policy.list_filtering()) lists[ToJson(m.id)] = *kind;
    }
    if (m.kind != JsonRpcMessage::Kind::kResponse && m.target_kind != v1::TARGET_KIND_NONE) {
      const sp::Decision decision = sp::DecideTarget(policy, std::span<const std::string_view>(caller.scope_views),
                                                     caller.anonymous, m.target_kind, m.target, m.target_is_template);
      if (!decision.allowed) {
        if (!is_request) {
          // A notification gets no answer, but what it asks for is not done either.
          metrics_->CountDenial("notification_denied");
          ++dropped_notifications;
          continue;
        }
        if (step_up && decision.reason == v1::DECISION_REASON_TARGET_SCOPES_MISSING && !caller.anonymous) {
          return Challenge(request, info, suite, v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE, scheme, decision.message,
                           decision.required_scopes);
        }
        metrics_->CountDenial(decision.reason == v1::DECISION_REASON_TARGET_INVALID ? "target_invalid"
                              : m.target_kind == v1::TARGET_KIND_TOOL                 ? "tool_denied"
                                                                                   : "target_denied");
        own.push_back(DeniedReply(m, decision));
        continue;
      }
    }
    forward.push_back(&m);
  }
  if (forward.empty() && own.empty()) {
    // Nothing but denied notifications: accepted, as the upstream would, and dropped.
    d.reason = "denied_by_policy";
    d.local = Gateway::JsonResponse(http::status::accepted, "", request.keep_alive());
    d.local->erase(http::field::content_type);
    return d;
  }
  if (!own.empty() && forward.empty()) {
    d.reason = "denied_by_policy";
    d.local = Gateway::JsonResponse(http::status::ok, body.batch ? StrCat("[", StrJoin(own, ","), "]") : own.front(),
                                    request.keep_alive());
    return d;
  }
  if (!own.empty() || dropped_notifications > 0) {
    std::vector<std::string> rest;
    for (const JsonRpcMessage* m : forward) rest.push_back(ToJson(m->raw));
    d.body = StrCat("[", StrJoin(rest, ","), "]");
    d.own_messages = std::move(own);
  }
  if (!lists.empty()) d.transform = ListFilter(caller, suite.policy, std::move(lists));
  return d;
}

std::function<std::optional<std::string>(std::string_view)> AuthPipeline::ListFilter(
    const CallerIdentity& caller, std::shared_ptr<const sp::CompiledPolicy> policy,
    std::optional<std::map<std::string, sp::ListKind>> lists) {
  std::vector<std::string> scopes(caller.principal.scopes().begin(), caller.principal.scopes().end());
  return [policy = std::move(policy), scopes = std::move(scopes), anonymous = caller.anonymous,
          lists = std::move(lists)](std::string_view json) {
    return FilterLists(json, *policy, scopes, anonymous, lists ? &*lists : nullptr);
  };
}

}  // namespace mcpauth::gw
