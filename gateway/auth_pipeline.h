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
#include "gateway/gateway.h"
#include "gateway/gateway_metrics.h"
#include "gateway/jsonrpc.h"
#include "gateway/session_binding.h"
#include "gateway/suite_view.h"
#include "mcpauth/v1/token_validation.grpc.pb.h"
#include "services/common/suite_config.h"
#include "services/common/digest_cache.h"
#include "services/metadata/challenge.h"

namespace mcpauth::gw {

// Who the request speaks for, once authenticated (or let through by fail_open).
struct CallerIdentity {
  bool anonymous = false;
  v1::Principal principal;
  std::vector<std::string_view> scope_views;  // views into principal.scopes
  std::string owner;                          // the session-binding key
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
  // A 401/403/400 with the challenge for `kind` (and a small JSON body).
  McpDecision Challenge(const Request& request, const RequestInfo& info, metadata::ChallengeKind kind,
                        std::string_view scheme, std::string_view description,
                        std::vector<std::string> operation_scopes = {}, std::string dpop_nonce = {});
  // The token-validation answer for these credentials: from the gateway's cache for
  // bearer tokens seen recently, else over gRPC (the one call per request). Requests
  // that miss the cache with a bearer token whose call is already in flight wait for
  // that call's answer instead of making their own: a client opening a thousand
  // streams at once costs one validation, not a thousand queued ones.
  struct InFlightValidation {
    std::mutex mu;
    bool done = false;
    grpc::Status status;
    v1::ValidateResponse response;                        // set once, before done
    std::vector<std::function<void(grpc::Status)>> waiters;  // until done
  };
  // Why a validation was not even attempted.
  enum class Shed { kNone, kClientOverBudget, kOverloaded };
  Task<grpc::Status> Validate(const Request& request, const RequestInfo& info, const struct Credentials& credentials,
                              v1::ValidateResponse& validated, Shed& shed);
  McpDecision ShedAnswer(const Request& request, const RequestInfo& info, Shed shed);
  // The JSON-RPC part: per-message decisions, replies for denied members, list filtering.
  McpDecision DecideMessages(const Request& request, const RequestInfo& info, const CallerIdentity& caller,
                             const sp::CompiledPolicy& policy, std::string_view scheme);

  // The answer for a request naming a session `owner` may not use (another's: 403;
  // unknown: 404; bindings unavailable: 503); nullopt when it may.
  std::optional<McpDecision> CheckSession(const Request& request, const std::string& session_id,
                                          const std::string& owner);
  // Filters list results for `caller`: those answering the requests in `lists`
  // (ids to kinds), or with nullopt every result shaped like a list.
  std::function<std::optional<std::string>(std::string_view)> ListFilter(
      const CallerIdentity& caller, std::optional<std::map<std::string, sp::ListKind>> lists);

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
  std::mutex in_flight_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<InFlightValidation>> in_flight_;  // by SecretDigest(cache key)
  prometheus::Family<prometheus::Counter>* cache_requests_;
};

}  // namespace mcpauth::gw
