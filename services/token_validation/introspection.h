// RFC 7662 token introspection: how an opaque access token (anything that is not a
// JWS) is judged. One trusted issuer introspects (IntrospectionConfig); its endpoint
// is configured or found by discovery (RFC 8414 `introspection_endpoint`), and
// mcpauth authenticates to it as a client (§2.1: client_secret_basic, or
// client_secret_post). The answer's claims go through the same checks as a JWT's
// (types, control characters, times, audience, DPoP binding) in TokenValidator;
// this file asks, reads the answer, and remembers inactive tokens.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/digest_cache.h"
#include "services/common/discovery.h"
#include "services/common/http_fetcher.h"
#include "services/token_validation/settings.h"
#include "services/token_validation/token_cache.h"
#include "services/token_validation/tv_metrics.h"

namespace mcpauth::tv {

struct TrustedIssuer;

// True when `token` could be an opaque access token worth asking about: RFC 6750
// b64token characters only, and not shaped like a compact JWS or JWE (no issuer
// other than the introspecting one ever sees a token meant for another).
bool LooksOpaque(std::string_view token);

// What the endpoint said about a token.
struct IntrospectionAnswer {
  // REASON_OK with `token` set (the claims are not yet checked for time, audience
  // or binding), else why the token is refused: TOKEN_INACTIVE, NOT_ACCESS_TOKEN,
  // ISSUER_UNKNOWN (the answer names another issuer), or a claim reason.
  Reason reason = v1::REASON_UNSPECIFIED;
  std::shared_ptr<VerifiedToken> token;
};

// Reads an introspection response body (§2.2) for `issuer`: `active` must be a
// boolean; an active token's members are read as JWT claims. Without exp the
// answer is good for `cache_ttl` from `now` (exp is set to that). InvalidArgument
// when the body is not a JSON object with a boolean `active` (the server's fault:
// the token cannot be judged).
absl::StatusOr<IntrospectionAnswer> ReadIntrospectionResponse(std::string_view body, const TrustedIssuer& issuer,
                                                              absl::Time now);

class Introspector {
 public:
  // `issuer` must outlive this and carry the introspection settings.
  Introspector(const TrustedIssuer* issuer, std::string client_secret, HttpFetcher* fetcher,
               AuthorizationServerDirectory* directory, TokenValidationMetrics* metrics,
               const Clock* clock = SystemClock::Get(), size_t inactive_cache_size = 10000);

  const TrustedIssuer& issuer() const { return *issuer_; }

  // The refusal remembered for `token` (an inactive answer within
  // inactive_cache_ttl), else REASON_UNSPECIFIED. Never waits.
  Reason RememberedRefusal(std::string_view token);

  // Asks the endpoint (blocking). An error when it cannot be asked or its answer
  // cannot be read: Unavailable (transport, 5xx), FailedPrecondition (no endpoint
  // known), InvalidArgument (an unreadable answer). Refusals are remembered.
  absl::StatusOr<IntrospectionAnswer> Introspect(std::string_view token);

  // The endpoint in use: configured, or from discovery (may fetch).
  absl::StatusOr<std::string> Endpoint();

 private:
  HttpFormPost Request(std::string endpoint, std::string_view token) const;

  const TrustedIssuer* issuer_;
  const IntrospectionConfig& config_;
  const std::string client_secret_;
  HttpFetcher* fetcher_;
  AuthorizationServerDirectory* directory_;
  TokenValidationMetrics* metrics_;
  const Clock* clock_;
  DigestCache<Reason> refused_;
};

}  // namespace mcpauth::tv
