#include "services/token_validation/reason.h"

#include "proto/enum_label.h"

namespace mcpauth::tv {

using v1::Reason;

std::string_view ReasonText(Reason reason) {
  switch (reason) {
    case v1::REASON_UNSPECIFIED: return "Unspecified";
    case v1::REASON_OK: return "Token is valid";
    case v1::REASON_TOKEN_MISSING: return "No access token was presented";
    case v1::REASON_TOKEN_TOO_LARGE: return "Access token is too large";
    case v1::REASON_JWT_MALFORMED: return "Jwt is not in the form of Header.Payload.Signature";
    case v1::REASON_JWE_UNSUPPORTED: return "Encrypted tokens (JWE) are not accepted";
    case v1::REASON_JWS_JSON_UNSUPPORTED: return "JWS JSON serialization is not accepted";
    case v1::REASON_HEADER_BAD_BASE64: return "Jwt header is not canonical base64url";
    case v1::REASON_HEADER_BAD_JSON: return "Jwt header is not a JSON object";
    case v1::REASON_PAYLOAD_BAD_BASE64: return "Jwt payload is not canonical base64url";
    case v1::REASON_PAYLOAD_BAD_JSON: return "Jwt payload is not valid JSON";
    case v1::REASON_PAYLOAD_NOT_OBJECT: return "Jwt payload is not a JSON object";
    case v1::REASON_SIGNATURE_BAD_BASE64: return "Jwt signature is not canonical base64url";
    case v1::REASON_DUPLICATE_MEMBER: return "Jwt header or payload repeats a member name";
    case v1::REASON_SCHEME_UNSUPPORTED: return "Authorization scheme is neither Bearer nor DPoP";
    case v1::REASON_ALG_MISSING: return "Jwt header has no alg";
    case v1::REASON_ALG_UNSUPPORTED: return "Jwt alg is not a supported asymmetric algorithm";
    case v1::REASON_ALG_NOT_ALLOWED: return "Jwt alg is not allowed for this issuer";
    case v1::REASON_HEADER_PARAM_INVALID: return "Jwt header parameter has the wrong type";
    case v1::REASON_CRIT_UNSUPPORTED: return "Jwt header lists a critical extension that is not understood";
    case v1::REASON_TYP_INVALID: return "Jwt typ is not an access token type";
    case v1::REASON_ISSUER_MISSING: return "Jwt has no iss claim";
    case v1::REASON_ISSUER_UNKNOWN: return "Jwt issuer is not trusted";
    case v1::REASON_KID_UNKNOWN: return "Jwt kid names no key of the issuer";
    case v1::REASON_NO_MATCHING_KEY: return "No key of the issuer fits the Jwt alg";
    case v1::REASON_KEY_ALG_MISMATCH: return "The key named by kid cannot verify this alg";
    case v1::REASON_SIGNATURE_MALFORMED: return "Jwt signature has the wrong length for its alg";
    case v1::REASON_SIGNATURE_INVALID: return "Jwt verification fails";
    case v1::REASON_CLAIM_WRONG_TYPE: return "Jwt claim has the wrong type";
    case v1::REASON_EXP_MISSING: return "Jwt has no exp claim";
    case v1::REASON_EXPIRED: return "Jwt is expired";
    case v1::REASON_NOT_YET_VALID: return "Jwt is not yet valid";
    case v1::REASON_IAT_IN_FUTURE: return "Jwt was issued in the future";
    case v1::REASON_AUDIENCE_MISSING: return "Jwt has no aud claim";
    case v1::REASON_AUDIENCE_MISMATCH: return "Jwt audience is not this resource";
    case v1::REASON_CLAIM_CONTROL_CHARACTERS: return "Jwt identity claim holds control characters";
    case v1::REASON_TOKEN_INACTIVE: return "The authorization server says the token is not active";
    case v1::REASON_NOT_ACCESS_TOKEN: return "The authorization server says the token is not an access token";
    case v1::REASON_DPOP_PROOF_MISSING: return "DPoP proof is required";
    case v1::REASON_DPOP_PROOF_INVALID: return "DPoP proof is invalid";
    case v1::REASON_DPOP_TYP_INVALID: return "DPoP proof typ is not dpop+jwt";
    case v1::REASON_DPOP_ALG_UNSUPPORTED: return "DPoP proof alg is not supported";
    case v1::REASON_DPOP_JWK_INVALID: return "DPoP proof jwk is missing, malformed or private";
    case v1::REASON_DPOP_HTM_MISMATCH: return "DPoP proof htm does not match the request method";
    case v1::REASON_DPOP_HTU_MISMATCH: return "DPoP proof htu does not match the request URI";
    case v1::REASON_DPOP_IAT_OUT_OF_WINDOW: return "DPoP proof iat is outside the acceptance window";
    case v1::REASON_DPOP_ATH_MISMATCH: return "DPoP proof ath does not match the access token";
    case v1::REASON_DPOP_JKT_MISMATCH: return "DPoP proof key is not the key the token is bound to";
    case v1::REASON_DPOP_REPLAYED: return "DPoP proof was already used";
    case v1::REASON_DPOP_NONCE_REQUIRED: return "DPoP proof must carry a current server nonce";
    case v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER: return "DPoP-bound token presented as a bearer token";
    case v1::REASON_DPOP_REQUIRED: return "A DPoP-bound token is required";
    case v1::REASON_DPOP_SCHEME_CONFUSION: return "DPoP scheme used with a token that is not DPoP-bound";
    case v1::REASON_DPOP_MULTIPLE_PROOFS: return "More than one DPoP proof was sent";
    case v1::REASON_DPOP_PROOF_QUOTA: return "Too many DPoP proofs from this caller within the replay window; retry later";
    default: return "Unknown reason";
  }
}

v1::ChallengeKind ReasonChallengeKind(Reason reason) {
  switch (reason) {
    case v1::REASON_OK: return v1::CHALLENGE_KIND_UNSPECIFIED;
    case v1::REASON_TOKEN_MISSING:
    case v1::REASON_SCHEME_UNSUPPORTED:
      return v1::CHALLENGE_KIND_INVALID_REQUEST;
    case v1::REASON_DPOP_PROOF_MISSING:
    case v1::REASON_DPOP_PROOF_INVALID:
    case v1::REASON_DPOP_TYP_INVALID:
    case v1::REASON_DPOP_ALG_UNSUPPORTED:
    case v1::REASON_DPOP_JWK_INVALID:
    case v1::REASON_DPOP_HTM_MISMATCH:
    case v1::REASON_DPOP_HTU_MISMATCH:
    case v1::REASON_DPOP_IAT_OUT_OF_WINDOW:
    case v1::REASON_DPOP_ATH_MISMATCH:
    case v1::REASON_DPOP_REPLAYED:
    case v1::REASON_DPOP_MULTIPLE_PROOFS:
    case v1::REASON_DPOP_PROOF_QUOTA:
      return v1::CHALLENGE_KIND_INVALID_DPOP_PROOF;
    // A bad binding (RFC 9449 §7.1): the token, not the proof, is what is wrong.
    case v1::REASON_DPOP_JKT_MISMATCH:
    case v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER:
    case v1::REASON_DPOP_REQUIRED:
    case v1::REASON_DPOP_SCHEME_CONFUSION:
      return v1::CHALLENGE_KIND_INVALID_TOKEN;
    case v1::REASON_DPOP_NONCE_REQUIRED: return v1::CHALLENGE_KIND_USE_DPOP_NONCE;
    default: return v1::CHALLENGE_KIND_INVALID_TOKEN;
  }
}

std::string_view ReasonErrorCode(Reason reason) {
  return reason == v1::REASON_OK ? "" : EnumLabel(ReasonChallengeKind(reason));
}

bool IsDpopReason(Reason reason) {
  return reason >= v1::REASON_DPOP_PROOF_MISSING && reason <= v1::REASON_DPOP_PROOF_QUOTA;
}

std::string_view ReasonLabel(Reason reason) {
  std::string_view name = v1::Reason_Name(reason);
  constexpr std::string_view kPrefix = "REASON_";
  if (name.substr(0, kPrefix.size()) == kPrefix) name.remove_prefix(kPrefix.size());
  return name;
}

}  // namespace mcpauth::tv
