// The authorization pipeline for MCP routes, split by role as in Envoy's jwt_authn:
//   extractor      credentials.h          where the token is
//   authenticator  token-validation gRPC  is it genuine (the one call per request)
//   verifier       scope-policy library   server-level scopes, then each message's
//                                         tool / resource / prompt, in process
//   challenges     metadata library       every WWW-Authenticate the gateway sends
// plus the edge rules around them: session-to-principal binding, identity headers
// for the upstream, list filtering, and fail_open only when no decision could be made.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "gateway/admission.h"
#include "gateway/credential_grants.h"
#include "gateway/gateway.h"
#include "gateway/gateway_metrics.h"
#include "gateway/jsonrpc.h"
#include "gateway/session_binding.h"
#include "gateway/settings.h"
#include "gateway/single_flight.h"
#include "gateway/suite_view.h"
#include "mcpauth/v1/token_validation.grpc.pb.h"
#include "services/common/authorization_config.h"
#include "services/common/digest_cache.h"
#include "services/metadata/challenge.h"

namespace mcpauth::gw {

// Who the request speaks for, once authenticated (or let through by fail_open).
struct CallerIdentity {
  bool anonymous = false;
  v1::Principal principal;
  std::vector<std::string_view> scope_views;  // views into principal.scopes
  std::string owner;                          // the session-binding key
  std::string dpop_nonce;                     // a fresh DPoP-Nonce for the answer, or ""
};

struct PipelineOptions {
  bool fail_open = false;
  absl::Duration validation_cache_ttl = absl::Seconds(30);
  size_t validation_cache_size = 10000;
  InsufficientScopeMode insufficient_scope = InsufficientScopeMode::kToolError;
  IdentityHeaders identity_headers;
  absl::Duration validation_timeout = absl::Seconds(2);
  // Admission (admission.h): failed authentications a client may cause per second
  // (0: no limit) and at once; validation calls in flight in this process.
  double failed_auth_rate = 10;
  double failed_auth_burst = 50;
  double failed_auth_total_rate = 1000;  // for the whole process (a burst of one second's worth)
  int64_t max_validations_in_flight = 512;
  UnseenBody unseen_body = UnseenBody::kRefuse;  // front doors (settings.h)
  // With mcpauth-credentials: grants and handle lists for the upstream.
  std::shared_ptr<CredentialGrants> grants;
};

class AuthPipeline final : public McpPipeline {
 public:
  AuthPipeline(PipelineOptions options, SuiteView* view, std::shared_ptr<grpc::Channel> token_validation,
               SessionBindings* sessions, GatewayMetrics* metrics);

  Task<McpDecision> Decide(Request& request, const RequestInfo& info) override;
  std::optional<Response> Serve(const Request& request, std::string_view path) override;
  // Without an Authorization header the answer is a 401 whatever the body says; the
  // body matters only for the protocol version an initialize request names, which a
  // small prefix holds (kUnauthenticatedBodyBytes).
  std::optional<uint64_t> BodyBytesNeeded(const http::request_header<>& header) const override;

  static constexpr uint64_t kUnauthenticatedBodyBytes = 64 * 1024;

 private:
  // A 401/403/400 with the challenge for `kind` (and a small JSON body), built from
  // the request's suite (the policy version that decided it).
  McpDecision Challenge(const Request& request, const RequestInfo& info, const Suite& suite, metadata::ChallengeKind kind,
                        std::string_view scheme, std::string_view description,
                        std::vector<std::string> operation_scopes = {}, std::string dpop_nonce = {});
  // Why a validation was not even attempted.
  enum class Shed { kNone, kClientOverBudget, kOverloaded };
  // The token-validation answer for these credentials: from the gateway's cache for
  // bearer tokens seen recently, joined to the same call in flight, else one call
  // over gRPC (the one call per request), if admitted.
  Task<grpc::Status> Validate(const Request& request, const RequestInfo& info, const struct Credentials& credentials,
                              v1::ValidateResponse& validated, Shed& shed);
  // Admission for a call of one's own (admission.h): a slot within the process's cap
  // on calls in flight, and, for tokens not seen valid, a failed authentication
  // reserved in the client's and the process's budgets.
  struct Admission {
    Shed shed = Shed::kNone;
    InFlightLimit::Ticket ticket;
    std::string client;
    bool reserved = false;
  };
  Admission Admit(const std::string& key, const RequestInfo& info);
  void Refund(Admission& admission);  // the reservation goes back: no failed authentication
  Task<grpc::Status> CallTokenValidation(const Request& request, const RequestInfo& info,
                                         const struct Credentials& credentials, v1::ValidateResponse& validated);
  // A valid answer: the token is known good, and a bearer answer is kept.
  void Remember(const std::string& key, bool cacheable, const grpc::Status& status,
                const v1::ValidateResponse& validated);
  McpDecision ShedAnswer(const Request& request, const RequestInfo& info, Shed shed);
  // A local JSON-RPC error answer (id null) with `reason` as its metrics label.
  static McpDecision Refusal(const Request& request, http::status status, std::string reason, JsonRpcCode code,
                             std::string_view message, int retry_after_seconds = 0);
  // Who the validation's outcome says the caller is (`caller` filled), or the
  // answer when it is nobody the request may go on as: validator unavailable
  // (fail_open aside), the token refused, an identity that cannot be written.
  std::optional<McpDecision> Identify(const Request& request, const RequestInfo& info, const Suite& suite,
                                      const struct Credentials& credentials, const grpc::Status& status,
                                      const v1::ValidateResponse& validated, CallerIdentity& caller);
  // The request goes upstream as `caller`: identity headers, the DPoP nonce for the
  // client, and the binding of a session the upstream assigns.
  void Forward(McpDecision& d, const CallerIdentity& caller, const std::string& session_id);
  // The JSON-RPC part: per-message decisions, replies for denied members, list filtering.
  McpDecision DecideMessages(const Request& request, const RequestInfo& info, const CallerIdentity& caller,
                             const Suite& suite, std::string_view scheme);

  // The answer for a request naming a session `owner` may not use (another's: 403;
  // unknown: 404; bindings unavailable: 503); nullopt when it may. Through a front
  // door, which never sees the upstream assign a session, an unknown session is
  // bound to its first user instead of refused.
  std::optional<McpDecision> CheckSession(const Request& request, const RequestInfo& info,
                                          const std::string& session_id, const std::string& owner);
  // Filters list results for `caller`: those answering the requests in `lists`
  // (ids to kinds), or with nullopt every result shaped like a list.
  static std::function<std::optional<std::string>(std::string_view)> ListFilter(
      const CallerIdentity& caller, std::shared_ptr<const sp::CompiledPolicy> policy,
      std::optional<std::map<std::string, sp::ListKind>> lists);

  PipelineOptions options_;
  SuiteView* view_;
  std::unique_ptr<v1::TokenValidation::Stub> token_validation_;
  SessionBindings* sessions_;
  GatewayMetrics* metrics_;
  DigestCache<v1::ValidateResponse> validation_cache_;
  FailureBudget client_failures_;
  FailureBudget total_failures_;
  InFlightLimit validations_;
  // Tokens seen valid (by resource, audiences and token), until their exp or an
  // hour: admission does not budget them (an admission hint, never an answer).
  DigestCache<bool> known_good_tokens_;
  absl::BitGen jitter_;  // shed answers' hold times (touched only under shed_mu_)
  std::mutex shed_mu_;
  using ValidationFlights = SingleFlight<v1::ValidateResponse>;
  ValidationFlights flights_;  // by SecretDigest(cache key)
  prometheus::Family<prometheus::Counter>* cache_requests_;
};

}  // namespace mcpauth::gw
