#include "services/credentials/grant.h"

#include <openssl/rand.h>

#include <cmath>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/jws.h"
#include "services/token_validation/keygen.h"
#include "services/token_validation/signature.h"

namespace mcpauth::credentials {
namespace {

constexpr absl::Duration kLeeway = absl::Seconds(5);

GrantCheck Refuse(GrantRefusal refusal, std::string detail) {
  GrantCheck check;
  check.refusal = refusal;
  check.detail = std::move(detail);
  return check;
}

std::optional<absl::Time> NumericDate(const boost::json::object& claims, std::string_view name) {
  const boost::json::value* v = FindMember(claims, name);
  std::optional<double> n = v ? NumberValue(*v) : std::nullopt;
  if (!n || !std::isfinite(*n) || *n < 0 || *n > 253402300799.0) return std::nullopt;
  return absl::FromUnixSeconds(static_cast<int64_t>(*n));
}

}  // namespace

std::string Grant::Owner() const { return StrCat(token_issuer, "\n", subject); }

absl::StatusOr<std::string> MintGrant(const tv::Jwk& key, Grant grant) {
  if (grant.jti.empty()) {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) return absl::InternalError("no random bytes for a grant id");
    grant.jti = Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  }
  boost::json::object claims;
  claims["iss"] = kGrantIssuer;
  claims["aud"] = kGrantAudience;
  claims["token_iss"] = grant.token_issuer;
  claims["sub"] = grant.subject;
  if (!grant.client_id.empty()) claims["client_id"] = grant.client_id;
  claims["resource"] = grant.resource;
  claims["jti"] = grant.jti;
  claims["iat"] = absl::ToUnixSeconds(grant.issued_at);
  claims["exp"] = absl::ToUnixSeconds(grant.expires_at);
  claims["max_uses"] = grant.max_uses;
  const tv::AlgSpec* alg = tv::DefaultAlgFor(key);
  if (alg == nullptr) return absl::InvalidArgumentError("the grant key fits no signature algorithm");
  return tv::SignCompact(*alg, key, {{"typ", kGrantTyp}}, ToJson(claims));
}

GrantCheck VerifyGrant(std::string_view token, const tv::KeySet& keys, absl::Time now) {
  tv::ParsedJws jws;
  if (tv::ParseCompactJws(token, jws) != v1::REASON_OK) return Refuse(GrantRefusal::kMalformed, "not a signed grant");
  if (jws.typ.value_or("") != kGrantTyp) return Refuse(GrantRefusal::kMalformed, "typ is not mcpauth-grant+jwt");
  if (!jws.kid) return Refuse(GrantRefusal::kMalformed, "the grant names no key (kid)");
  const std::vector<const tv::Jwk*> candidates = keys.WithKid(*jws.kid);
  if (candidates.empty()) return Refuse(GrantRefusal::kSignature, "the grant's kid names no gateway key");
  if (!candidates.front()->UsableWith(*jws.alg) ||
      tv::VerifySignature(*jws.alg, *candidates.front(), jws.signing_input, jws.signature) != v1::REASON_OK) {
    return Refuse(GrantRefusal::kSignature, "the grant's signature does not verify");
  }
  boost::json::value doc;
  if (ParseStrictJson(jws.payload, doc) != JsonParseError::kNone || !doc.is_object()) {
    return Refuse(GrantRefusal::kMalformed, "the grant's claims are not a JSON object");
  }
  const boost::json::object& c = doc.get_object();
  GrantCheck check;
  Grant& g = check.grant;
  g.token_issuer = StringMember(c, "token_iss").value_or("");
  g.subject = StringMember(c, "sub").value_or("");
  g.client_id = StringMember(c, "client_id").value_or("");
  g.jti = StringMember(c, "jti").value_or("");
  g.resource = StringMember(c, "resource").value_or("");
  const std::optional<absl::Time> iat = NumericDate(c, "iat");
  const std::optional<absl::Time> exp = NumericDate(c, "exp");
  const boost::json::value* max_uses = FindMember(c, "max_uses");
  if (StringMember(c, "iss").value_or("") != kGrantIssuer || StringMember(c, "aud").value_or("") != kGrantAudience ||
      g.token_issuer.empty() || g.subject.empty() || g.jti.empty() || g.resource.empty() || !iat || !exp ||
      max_uses == nullptr ||
      !max_uses->is_int64() || max_uses->get_int64() < 1) {
    return Refuse(GrantRefusal::kMalformed, "the grant's claims are incomplete");
  }
  g.issued_at = *iat;
  g.expires_at = *exp;
  g.max_uses = max_uses->get_int64();
  if (now >= g.expires_at + kLeeway) return Refuse(GrantRefusal::kExpired, "the grant has expired");
  if (g.issued_at > now + kLeeway) return Refuse(GrantRefusal::kNotYetValid, "the grant was issued in the future");
  return check;
}

}  // namespace mcpauth::credentials
