#include "gateway/credentials.h"

#include <boost/url/pct_string_view.hpp>

#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

Credentials Refuse(Credentials::Outcome outcome, std::string detail) {
  Credentials c;
  c.outcome = outcome;
  c.detail = std::move(detail);
  return c;
}

// RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool IsB64TokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '+' || c == '/';
}

bool IsB64Token(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && IsB64TokenChar(t[i])) ++i;
  if (i == 0) return false;
  while (i < t.size() && t[i] == '=') ++i;
  return i == t.size();
}

// Whether a query string or form body has an access_token parameter, its name
// percent-decoded as the upstream's framework would read it (RFC 6750 §2.2, §2.3).
bool HasAccessTokenParam(std::string_view params) {
  for (std::string_view param : SplitSkipEmpty(params, '&')) {
    const std::string_view raw = param.substr(0, param.find('='));
    auto name = boost::urls::make_pct_string_view(raw);
    if ((name.has_value() ? name->decode() : std::string(raw)) == "access_token") return true;
  }
  return false;
}

bool QueryHasAccessToken(std::string_view target) {
  const size_t q = target.find('?');
  return q != std::string_view::npos && HasAccessTokenParam(target.substr(q + 1));
}

}  // namespace

Credentials ExtractCredentials(const Request& request) {
  if (QueryHasAccessToken(View(request.target()))) {
    return Refuse(Credentials::Outcome::kInvalidRequest, "access tokens are accepted only in the Authorization header");
  }
  if (StartsWithIgnoreCase(TrimAsciiWhitespace(View(request[http::field::content_type])),
                           "application/x-www-form-urlencoded") &&
      HasAccessTokenParam(request.body())) {
    return Refuse(Credentials::Outcome::kInvalidRequest, "access tokens are accepted only in the Authorization header");
  }
  if (request.count(http::field::authorization) > 1) {
    return Refuse(Credentials::Outcome::kInvalidRequest, "more than one Authorization header");
  }
  const size_t proofs = request.count("DPoP");
  if (proofs > 1) return Refuse(Credentials::Outcome::kInvalidProof, "more than one DPoP header");
  const std::string_view header = View(request[http::field::authorization]);
  Credentials c;
  if (proofs == 1) c.proof = std::string(View(request["DPoP"]));
  if (header.empty()) return c;  // kNone (a lone DPoP proof carries no token)

  const size_t space = header.find(' ');
  const std::string_view scheme = header.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? std::string_view() : header.substr(space + 1);
  while (rest.starts_with(' ')) rest.remove_prefix(1);
  if (EqualsIgnoreCase(scheme, "Bearer")) {
    c.scheme = "Bearer";
  } else if (EqualsIgnoreCase(scheme, "DPoP")) {
    c.scheme = "DPoP";
  } else {
    return c;  // another scheme (Basic, …): not ours, so no credentials for us
  }
  if (rest.empty()) return Refuse(Credentials::Outcome::kInvalidRequest, "the Authorization header has no token");
  if (!IsB64Token(rest)) {
    return Refuse(Credentials::Outcome::kInvalidRequest, "the Authorization header must be the scheme and one token");
  }
  c.token = std::string(rest);
  c.outcome = Credentials::Outcome::kPresent;
  return c;
}

}  // namespace mcpauth::gw
