#include "services/common/strings.h"
#include "services/token_validation/jws.h"

#include "services/common/base64url.h"
#include "services/common/json.h"

namespace mcpauth::tv {
namespace {

// A header parameter that must be a string when present.
Reason OptionalStringParam(const boost::json::object& header, std::string_view name,
                           std::optional<std::string>& out) {
  const boost::json::value* v = FindMember(header, name);
  if (v == nullptr) return v1::REASON_OK;
  if (!v->is_string()) return v1::REASON_HEADER_PARAM_INVALID;
  out = std::string(v->get_string());
  return v1::REASON_OK;
}

}  // namespace

Reason ParseCompactJws(std::string_view token, ParsedJws& out) {
  if (token.empty()) return v1::REASON_TOKEN_MISSING;
  if (token.front() == '{') return v1::REASON_JWS_JSON_UNSUPPORTED;
  const size_t dots = static_cast<size_t>(std::count(token.begin(), token.end(), '.'));
  if (dots == 4) return v1::REASON_JWE_UNSUPPORTED;
  if (dots != 2) return v1::REASON_JWT_MALFORMED;
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  const std::string_view header_b64 = token.substr(0, first);
  const std::string_view payload_b64 = token.substr(first + 1, second - first - 1);
  const std::string_view signature_b64 = token.substr(second + 1);
  out.signing_input = token.substr(0, second);

  auto header_bytes = Base64UrlDecode(header_b64);
  if (!header_bytes || header_bytes->empty()) return v1::REASON_HEADER_BAD_BASE64;
  boost::json::value header;
  switch (ParseStrictJson(*header_bytes, header)) {
    case JsonParseError::kNone: break;
    case JsonParseError::kDuplicateMember: return v1::REASON_DUPLICATE_MEMBER;
    case JsonParseError::kSyntax: return v1::REASON_HEADER_BAD_JSON;
  }
  if (!header.is_object()) return v1::REASON_HEADER_BAD_JSON;
  out.header = std::move(header.get_object());

  auto payload = Base64UrlDecode(payload_b64);
  if (!payload) return v1::REASON_PAYLOAD_BAD_BASE64;
  out.payload = std::move(*payload);
  auto signature = Base64UrlDecode(signature_b64);
  if (!signature) return v1::REASON_SIGNATURE_BAD_BASE64;
  out.signature = std::move(*signature);

  const boost::json::value* alg = FindMember(out.header, "alg");
  if (alg == nullptr) return v1::REASON_ALG_MISSING;
  if (!alg->is_string()) return v1::REASON_HEADER_PARAM_INVALID;
  out.alg = FindAlg(std::string_view(alg->get_string()));
  if (out.alg == nullptr) return v1::REASON_ALG_UNSUPPORTED;

  if (Reason r = OptionalStringParam(out.header, "kid", out.kid); r != v1::REASON_OK) return r;
  if (Reason r = OptionalStringParam(out.header, "typ", out.typ); r != v1::REASON_OK) return r;
  std::optional<std::string> cty;
  if (Reason r = OptionalStringParam(out.header, "cty", cty); r != v1::REASON_OK) return r;

  if (const boost::json::value* crit = FindMember(out.header, "crit")) {
    // RFC 7515 §4.1.11: a non-empty array of names. We implement no extension, so
    // any name listed is one we would have to understand and do not.
    if (!crit->is_array() || crit->get_array().empty()) return v1::REASON_HEADER_PARAM_INVALID;
    for (const auto& name : crit->get_array()) {
      if (!name.is_string()) return v1::REASON_HEADER_PARAM_INVALID;
    }
    return v1::REASON_CRIT_UNSUPPORTED;
  }
  // RFC 7797's unencoded payload changes what is signed; it is only valid with crit,
  // which is refused above, so a bare b64 that is not `true` is malformed.
  if (const boost::json::value* b64 = FindMember(out.header, "b64")) {
    if (!b64->is_bool() || !b64->get_bool()) return v1::REASON_HEADER_PARAM_INVALID;
  }
  return v1::REASON_OK;
}

bool IsAccessTokenTyp(const std::optional<std::string>& typ) {
  if (!typ) return true;
  // RFC 7515 §4.1.9: media types compare case-insensitively and "application/" may be omitted.
  std::string t = AsciiLower(*typ);
  std::string_view v = t;
  if (v.starts_with("application/")) v.remove_prefix(12);
  return v == "at+jwt" || v == "jwt";
}

}  // namespace mcpauth::tv
