#include "services/token_validation/dpop_proof.h"

#include <algorithm>
#include <cmath>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/sha256.h"
#include "services/common/strings.h"
#include "services/token_validation/dpop_htu.h"
#include "services/token_validation/signature.h"

namespace mcpauth::tv {
namespace {

// A jti longer than this is refused: it only has to be unique, and it becomes part
// of a replay-store key.
constexpr size_t kMaxJtiBytes = 512;

bool IsDpopTyp(const std::optional<std::string>& typ) {
  if (!typ) return false;
  // RFC 7515 §4.1.9: media types compare case-insensitively; "application/" may be omitted.
  std::string t = AsciiLower(*typ);
  std::string_view v = t;
  if (v.starts_with("application/")) v.remove_prefix(12);
  return v == "dpop+jwt";
}

bool ReadString(const boost::json::object& o, std::string_view name, std::optional<std::string>& out) {
  const boost::json::value* v = FindMember(o, name);
  if (v == nullptr) return true;
  if (!v->is_string()) return false;
  out = std::string(v->get_string());
  return true;
}

bool ReadRequiredString(const boost::json::object& o, std::string_view name, std::string& out) {
  std::optional<std::string> value;
  if (!ReadString(o, name, value) || !value) return false;
  out = std::move(*value);
  return true;
}

Reason ParseClaims(std::string_view payload, DpopProof& out) {
  boost::json::value doc;
  if (ParseStrictJson(payload, doc) != JsonParseError::kNone || !doc.is_object()) {
    return v1::REASON_DPOP_PROOF_INVALID;
  }
  const boost::json::object& o = doc.get_object();
  if (!ReadRequiredString(o, "jti", out.jti) || !ReadRequiredString(o, "htm", out.htm) ||
      !ReadRequiredString(o, "htu", out.htu) || !ReadString(o, "ath", out.ath) || !ReadString(o, "nonce", out.nonce)) {
    return v1::REASON_DPOP_PROOF_INVALID;
  }
  if (out.jti.empty() || out.jti.size() > kMaxJtiBytes) return v1::REASON_DPOP_PROOF_INVALID;
  const boost::json::value* iat = FindMember(o, "iat");
  std::optional<double> seconds = iat != nullptr ? NumberValue(*iat) : std::nullopt;
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return v1::REASON_DPOP_PROOF_INVALID;
  out.iat = *seconds;
  return v1::REASON_OK;
}

}  // namespace

DpopKeyCache::DpopKeyCache(size_t capacity, LookupObserver on_lookup)
    : keys_(std::max<size_t>(capacity, 16)), on_lookup_(std::move(on_lookup)) {}

std::shared_ptr<const Jwk> DpopKeyCache::Find(const std::string& key_id) {
  std::shared_ptr<const Jwk> key = keys_.Find(key_id, absl::InfinitePast()).value_or(nullptr);
  if (on_lookup_) on_lookup_(key != nullptr);
  return key;
}

void DpopKeyCache::Insert(const std::string& key_id, std::shared_ptr<const Jwk> key) {
  // Kept, not replaced: the key built first for this thumbprint and alg is the same key.
  keys_.Insert(key_id, std::move(key), absl::InfiniteFuture(), absl::InfinitePast(), /*replace=*/false);
}

Reason ParseDpopProof(std::string_view proof, const DpopProofPolicy& policy, DpopProof& out) {
  if (proof.find(',') != std::string_view::npos) return v1::REASON_DPOP_MULTIPLE_PROOFS;
  if (proof.size() > policy.max_proof_bytes) return v1::REASON_DPOP_PROOF_INVALID;
  switch (ParseCompactJws(proof, out.jws)) {
    case v1::REASON_OK:
      break;
    case v1::REASON_ALG_MISSING:
    case v1::REASON_ALG_UNSUPPORTED:
      return v1::REASON_DPOP_ALG_UNSUPPORTED;
    default:
      return v1::REASON_DPOP_PROOF_INVALID;
  }
  if (!IsDpopTyp(out.jws.typ)) return v1::REASON_DPOP_TYP_INVALID;
  if (!policy.algorithms.empty() &&
      std::find(policy.algorithms.begin(), policy.algorithms.end(), out.jws.alg) == policy.algorithms.end()) {
    return v1::REASON_DPOP_ALG_UNSUPPORTED;
  }
  const boost::json::value* jwk = FindMember(out.jws.header, "jwk");
  if (jwk == nullptr || !jwk->is_object()) return v1::REASON_DPOP_JWK_INVALID;
  // §4.3 step 7: the key is public. Checked by name first so a private key is
  // refused as such, whatever else is wrong with it.
  if (HasPrivateMembers(jwk->get_object())) return v1::REASON_DPOP_JWK_INVALID;
  if (!JwkMembersFit(jwk->get_object(), *out.jws.alg, kMaxDpopRsaBits)) return v1::REASON_DPOP_JWK_INVALID;
  if (Reason r = ParseClaims(out.jws.payload, out); r != v1::REASON_OK) return r;
  std::optional<std::string> jkt = JwkThumbprint(jwk->get_object());
  if (!jkt) return v1::REASON_DPOP_JWK_INVALID;
  out.jkt = std::move(*jkt);
  return v1::REASON_OK;
}

Reason CheckDpopAgainstRequest(const DpopProof& proof, const DpopRequest& request, std::string_view access_token,
                               absl::Time now, absl::Duration leeway) {
  if (request.method.empty() || proof.htm != request.method) return v1::REASON_DPOP_HTM_MISMATCH;
  if (!HtuMatches(proof.htu, request.uri)) return v1::REASON_DPOP_HTU_MISMATCH;
  const double t = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  if (std::fabs(proof.iat - t) > absl::ToDoubleSeconds(leeway)) return v1::REASON_DPOP_IAT_OUT_OF_WINDOW;
  if (!access_token.empty() && (!proof.ath || *proof.ath != DpopAccessTokenHash(access_token))) {
    return v1::REASON_DPOP_ATH_MISMATCH;
  }
  return v1::REASON_OK;
}

Reason VerifyDpopSignature(const DpopProof& proof, DpopKeyCache* keys) {
  if (proof.jws.alg == nullptr) return v1::REASON_DPOP_PROOF_INVALID;
  const boost::json::value* jwk = FindMember(proof.jws.header, "jwk");
  if (jwk == nullptr || !jwk->is_object()) return v1::REASON_DPOP_JWK_INVALID;
  // Remembered by the key's thumbprint (its material) and the algorithm: another
  // spelling of the same key (a fresh kid each time) is the same entry. Whatever a
  // spelling adds (alg, use, key_ops) was checked by ParseDpopProof's JwkMembersFit.
  const std::string cache_key = keys != nullptr ? StrCat(proof.jkt, " ", proof.jws.alg->name) : std::string();
  std::shared_ptr<const Jwk> key = keys != nullptr ? keys->Find(cache_key) : nullptr;
  if (key == nullptr) {
    auto parsed = Jwk::Parse(jwk->get_object(), JwkPrivacy::kPublicOnly);
    if (!parsed.ok() || parsed->Thumbprint() != proof.jkt) return v1::REASON_DPOP_JWK_INVALID;
    key = std::make_shared<const Jwk>(std::move(*parsed));
    if (keys != nullptr) keys->Insert(cache_key, key);
  }
  if (!key->UsableWith(*proof.jws.alg)) return v1::REASON_DPOP_JWK_INVALID;
  return VerifySignature(*proof.jws.alg, *key, proof.jws.signing_input, proof.jws.signature) == v1::REASON_OK
             ? v1::REASON_OK
             : v1::REASON_DPOP_PROOF_INVALID;
}

std::string DpopAccessTokenHash(std::string_view access_token) {
  return Base64UrlEncode(Sha256(access_token));
}

}  // namespace mcpauth::tv
