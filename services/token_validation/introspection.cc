#include "services/token_validation/introspection.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/strings.h"
#include "services/common/url_policy.h"
#include "services/token_validation/issuers.h"

namespace mcpauth::tv {
namespace {

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool IsB64Token(std::string_view token) {
  const size_t padding = token.size() - std::min(token.size(), token.find_last_not_of('=') + 1);
  const std::string_view body = token.substr(0, token.size() - padding);
  return !body.empty() && std::all_of(body.begin(), body.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  });
}

// application/x-www-form-urlencoded value (everything but unreserved is escaped).
std::string FormEncode(std::string_view value) { return boost::urls::encode(value, boost::urls::unreserved_chars); }

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// A token kind, when the answer names one, must be an access token's: a refresh token is
// "active" too at some servers (oidc-provider answers for it even when asked with the
// access_token hint).
bool IsAccessTokenType(std::string_view type) {
  for (std::string_view accepted : {"Bearer", "DPoP", "access_token", "urn:ietf:params:oauth:token-type:access_token",
                                    "at+jwt", "application/at+jwt"}) {
    if (EqualsIgnoreCase(type, accepted)) return true;
  }
  return false;
}

}  // namespace

bool LooksOpaque(std::string_view token) {
  // A compact JWS has two dots and a JWE four; those are judged as JWTs and never
  // leave this service.
  const auto dots = std::count(token.begin(), token.end(), '.');
  return IsB64Token(token) && dots != 2 && dots != 4;
}

absl::StatusOr<IntrospectionAnswer> ReadIntrospectionResponse(std::string_view body, const TrustedIssuer& issuer,
                                                              absl::Time now) {
  boost::json::value doc;
  if (ParseStrictJson(body, doc) != JsonParseError::kNone || !doc.is_object()) {
    return absl::InvalidArgumentError("the introspection answer is not a JSON object (with no repeated member)");
  }
  const boost::json::object& object = doc.get_object();
  const boost::json::value* active = FindMember(object, "active");
  if (active == nullptr || !active->is_bool()) {
    return absl::InvalidArgumentError("the introspection answer has no boolean \"active\" (RFC 7662 §2.2)");
  }
  IntrospectionAnswer answer;
  if (!active->get_bool()) {
    answer.reason = v1::REASON_TOKEN_INACTIVE;
    return answer;
  }
  // What kind of token it is, where the server says: token_type (RFC 7662), and the
  // members servers add besides — Ory's token_use ("access_token" or "refresh_token"),
  // Keycloak's typ ("Bearer", "Refresh", "ID", ...).
  for (const char* member : {"token_type", "token_use", "typ"}) {
    const boost::json::value* value = FindMember(object, member);
    if (value == nullptr) continue;
    if (!value->is_string()) {
      answer.reason = v1::REASON_CLAIM_WRONG_TYPE;
      return answer;
    }
    if (!IsAccessTokenType(value->get_string())) {
      answer.reason = v1::REASON_NOT_ACCESS_TOKEN;
      return answer;
    }
  }
  auto token = std::make_shared<VerifiedToken>();
  answer.reason = ParseJwtClaims(body, token->claims);
  if (answer.reason != v1::REASON_OK) return answer;
  JwtClaims& claims = token->claims;
  if (claims.issuer && *claims.issuer != issuer.issuer) {
    answer.reason = v1::REASON_ISSUER_UNKNOWN;
    return answer;
  }
  claims.issuer = issuer.issuer;
  const absl::Time reuse_until = now + issuer.introspection.cache_ttl;
  if (!claims.expires_at) claims.expires_at = std::floor(absl::ToDoubleSeconds(reuse_until - absl::UnixEpoch()));
  token->issuer = &issuer;
  token->claims_json = std::string(body);
  token->introspected_until =
      std::min(reuse_until, absl::FromUnixMicros(static_cast<int64_t>(*claims.expires_at * 1e6)));
  answer.token = std::move(token);
  return answer;
}

Introspector::Introspector(const TrustedIssuer* issuer, std::string client_secret, HttpFetcher* fetcher,
                           AuthorizationServerDirectory* directory, TokenValidationMetrics* metrics,
                           const Clock* clock, size_t inactive_cache_size)
    : issuer_(issuer),
      config_(issuer->introspection),
      client_secret_(std::move(client_secret)),
      fetcher_(fetcher),
      directory_(directory),
      metrics_(metrics),
      clock_(clock),
      refused_(inactive_cache_size, clock) {}

Reason Introspector::RememberedRefusal(std::string_view token) {
  std::shared_ptr<const Reason> refused = refused_.Find(token);
  if (metrics_ != nullptr) metrics_->CountCache("introspection", refused ? "negative" : "miss");
  return refused ? *refused : v1::REASON_UNSPECIFIED;
}

absl::StatusOr<std::string> Introspector::Endpoint() {
  if (!config_.endpoint.empty()) return config_.endpoint;
  if (directory_ == nullptr) {
    return absl::FailedPreconditionError(StrCat("no introspection endpoint for issuer \"", issuer_->issuer, "\""));
  }
  auto metadata = directory_->Lookup(issuer_->issuer);
  if (!metadata.ok()) return metadata.status();
  const std::string& endpoint = (*metadata)->introspection_endpoint;
  if (endpoint.empty()) {
    return absl::FailedPreconditionError(StrCat("authorization server \"", issuer_->issuer,
                                                "\" publishes no introspection_endpoint; set "
                                                "jwt_validators[].introspection.endpoint"));
  }
  // mcpauth's client secret and every opaque token go there: a discovered endpoint
  // (which a shared cache could have been given) must be on the issuer's own origin.
  auto issuer_url = ParseUri(issuer_->issuer);
  auto endpoint_url = ParseUri(endpoint);
  if (!issuer_url.ok() || !endpoint_url.ok() || issuer_url->scheme() != endpoint_url->scheme() ||
      AsciiLower(std::string_view(issuer_url->encoded_host_and_port())) !=
          AsciiLower(std::string_view(endpoint_url->encoded_host_and_port()))) {
    return absl::FailedPreconditionError(StrCat("the discovered introspection_endpoint \"", endpoint,
                                                "\" is not on the issuer's origin; set "
                                                "jwt_validators[].introspection.endpoint to use it"));
  }
  return endpoint;
}

HttpFormPost Introspector::Request(std::string endpoint, std::string_view token) const {
  HttpFormPost post{.url = std::move(endpoint),
                    .body = StrCat("token=", FormEncode(token), "&token_type_hint=access_token")};
  if (config_.client_secret_post) {
    StrAppend(post.body, "&client_id=", FormEncode(config_.client_id), "&client_secret=", FormEncode(client_secret_));
  } else {
    // RFC 6749 §2.3.1: each part form-encoded before the Basic encoding.
    post.authorization =
        StrCat("Basic ", Base64(StrCat(FormEncode(config_.client_id), ":", FormEncode(client_secret_))));
  }
  return post;
}

absl::StatusOr<IntrospectionAnswer> Introspector::Introspect(std::string_view token) {
  const absl::Time started = clock_->Now();
  auto count = [&](const char* result) {
    if (metrics_ != nullptr) metrics_->CountIntrospection(result, absl::ToDoubleSeconds(clock_->Now() - started));
  };
  absl::StatusOr<std::string> endpoint = Endpoint();
  if (!endpoint.ok()) {
    count("error");
    return endpoint.status();
  }
  absl::StatusOr<HttpResponse> response = fetcher_->PostForm(Request(*endpoint, token));
  if (!response.ok()) {
    count("error");
    return absl::UnavailableError(StrCat("introspection at ", *endpoint, ": ", response.status().message()));
  }
  if (response->status != 200) {
    count("error");
    // 401/403: mcpauth's own client credentials are refused, which no caller can fix.
    log::Warn("introspection endpoint refused the request",
              {{"endpoint", *endpoint}, {"status", response->status}, {"issuer", issuer_->issuer}});
    return absl::UnavailableError(StrCat("introspection at ", *endpoint, " answered HTTP ", response->status));
  }
  absl::StatusOr<IntrospectionAnswer> answer = ReadIntrospectionResponse(response->body, *issuer_, clock_->Now());
  if (!answer.ok()) {
    count("error");
    log::Warn("introspection answer is unusable",
              {{"endpoint", *endpoint}, {"error", std::string(answer.status().message())}});
    return absl::UnavailableError(StrCat("introspection at ", *endpoint, ": ", answer.status().message()));
  }
  if (answer->reason == v1::REASON_OK) {
    count("active");
  } else {
    count(answer->reason == v1::REASON_TOKEN_INACTIVE ? "inactive" : "refused");
    refused_.Insert(token, std::make_shared<const Reason>(answer->reason), clock_->Now() + config_.inactive_cache_ttl);
  }
  return answer;
}

}  // namespace mcpauth::tv
