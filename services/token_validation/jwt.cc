#include "services/token_validation/jwt.h"

#include <algorithm>
#include <cmath>

#include "services/common/json.h"
#include "services/common/strings.h"

namespace mcpauth::tv {
namespace {

bool ReadString(const boost::json::object& o, std::string_view name, std::optional<std::string>& out) {
  const boost::json::value* v = FindMember(o, name);
  if (v == nullptr) return true;
  if (!v->is_string()) return false;
  out = std::string(v->get_string());
  return true;
}

bool ReadNumericDate(const boost::json::object& o, std::string_view name, std::optional<double>& out) {
  const boost::json::value* v = FindMember(o, name);
  if (v == nullptr) return true;
  std::optional<double> n = NumberValue(*v);
  if (!n || !std::isfinite(*n) || *n < 0 || *n > kMaxNumericDate) return false;
  out = *n;
  return true;
}

void AddScopes(std::string_view text, std::vector<std::string>& scopes) {
  for (std::string_view s : SplitSkipEmpty(text, ' ')) scopes.emplace_back(s);
}

bool HasControlCharacters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
}

// The claims that become the caller's identity downstream (identity headers, log
// lines): a control character in them (CR, LF, NUL, TAB, ...) is never passed on.
bool IdentityHasControlCharacters(const JwtClaims& claims) {
  for (const std::optional<std::string>* claim : {&claims.issuer, &claims.subject, &claims.client_id}) {
    if (*claim && HasControlCharacters(**claim)) return true;
  }
  return std::any_of(claims.scopes.begin(), claims.scopes.end(),
                     [](const std::string& scope) { return HasControlCharacters(scope); });
}

}  // namespace

Reason ParseJwtClaims(std::string_view payload, JwtClaims& out) {
  boost::json::value doc;
  switch (ParseStrictJson(payload, doc)) {
    case JsonParseError::kNone: break;
    case JsonParseError::kDuplicateMember: return v1::REASON_DUPLICATE_MEMBER;
    case JsonParseError::kSyntax: return v1::REASON_PAYLOAD_BAD_JSON;
  }
  if (!doc.is_object()) return v1::REASON_PAYLOAD_NOT_OBJECT;
  const boost::json::object& o = doc.get_object();

  if (!ReadString(o, "iss", out.issuer) || !ReadString(o, "sub", out.subject) ||
      !ReadString(o, "jti", out.token_id) || !ReadString(o, "client_id", out.client_id)) {
    return v1::REASON_CLAIM_WRONG_TYPE;
  }
  if (!out.client_id && !ReadString(o, "azp", out.client_id)) return v1::REASON_CLAIM_WRONG_TYPE;
  if (!ReadNumericDate(o, "exp", out.expires_at) || !ReadNumericDate(o, "nbf", out.not_before) ||
      !ReadNumericDate(o, "iat", out.issued_at)) {
    return v1::REASON_CLAIM_WRONG_TYPE;
  }
  if (const boost::json::value* aud = FindMember(o, "aud")) {
    out.has_audience = true;
    if (aud->is_string()) {
      out.audiences.emplace_back(aud->get_string());
    } else if (aud->is_array()) {
      for (const auto& a : aud->get_array()) {
        if (!a.is_string()) return v1::REASON_CLAIM_WRONG_TYPE;
        out.audiences.emplace_back(a.get_string());
      }
    } else {
      return v1::REASON_CLAIM_WRONG_TYPE;
    }
  }
  if (const boost::json::value* scope = FindMember(o, "scope")) {
    if (!scope->is_string()) return v1::REASON_CLAIM_WRONG_TYPE;
    AddScopes(std::string_view(scope->get_string()), out.scopes);
  }
  if (const boost::json::value* scp = FindMember(o, "scp")) {
    if (scp->is_string()) {
      AddScopes(std::string_view(scp->get_string()), out.scopes);
    } else if (scp->is_array()) {
      for (const auto& s : scp->get_array()) {
        if (!s.is_string()) return v1::REASON_CLAIM_WRONG_TYPE;
        AddScopes(std::string_view(s.get_string()), out.scopes);
      }
    } else {
      return v1::REASON_CLAIM_WRONG_TYPE;
    }
  }
  if (const boost::json::value* cnf = FindMember(o, "cnf")) {
    if (!cnf->is_object()) return v1::REASON_CLAIM_WRONG_TYPE;
    if (!ReadString(cnf->get_object(), "jkt", out.confirmation_jkt)) return v1::REASON_CLAIM_WRONG_TYPE;
  }
  if (IdentityHasControlCharacters(out)) return v1::REASON_CLAIM_CONTROL_CHARACTERS;
  return v1::REASON_OK;
}

Reason CheckTimes(const JwtClaims& claims, absl::Time now, absl::Duration leeway) {
  const double t = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  const double slack = absl::ToDoubleSeconds(leeway);
  if (!claims.expires_at) return v1::REASON_EXP_MISSING;
  // RFC 7519 §4.1.4: the current time must be before exp.
  if (t >= *claims.expires_at + slack) return v1::REASON_EXPIRED;
  if (claims.not_before && t + slack < *claims.not_before) return v1::REASON_NOT_YET_VALID;
  if (claims.issued_at && *claims.issued_at > t + slack) return v1::REASON_IAT_IN_FUTURE;
  return v1::REASON_OK;
}

Reason CheckAudience(const JwtClaims& claims, const std::vector<std::string>& accepted) {
  if (!claims.has_audience || claims.audiences.empty()) return v1::REASON_AUDIENCE_MISSING;
  for (const std::string& aud : claims.audiences) {
    for (const std::string& want : accepted) {
      if (aud == want) return v1::REASON_OK;
    }
  }
  return v1::REASON_AUDIENCE_MISMATCH;
}

}  // namespace mcpauth::tv
