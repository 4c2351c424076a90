// A DPoP proof JWT (RFC 9449 §4.2) and the checks of §4.3 that need nothing but
// the proof, the request and the access token: shape, header, key members, claims,
// and their agreement with the request. No key is built until VerifyDpopSignature,
// after every cheap check, so a proof that fails for a reason one can see costs no
// public-key operation, and a proof key is never larger than kMaxDpopRsaBits.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "services/common/lru_map.h"
#include "services/token_validation/alg.h"
#include "services/token_validation/jwk.h"
#include "services/token_validation/jws.h"
#include "services/token_validation/reason.h"

namespace mcpauth::tv {

// What the proof is checked against: the request it came with.
struct DpopRequest {
  std::string_view proof;   // the DPoP header field value
  std::string_view method;  // the HTTP method, e.g. "GET" (case-sensitive)
  std::string_view uri;     // the request URI as the resource's external origin sees it
};

struct DpopProofPolicy {
  // Accepted proof algorithms; empty: every supported (asymmetric) algorithm.
  std::vector<const AlgSpec*> algorithms;
  // iat may be this far in the past or the future.
  absl::Duration leeway = absl::Seconds(60);
  size_t max_proof_bytes = 16 * 1024;
};

// RSA proof keys above this many bits are refused before they are built: building
// and checking a 16384-bit key costs most of a second of CPU, and no client needs
// more than 4096 bits for a proof.
inline constexpr int kMaxDpopRsaBits = 4096;

struct DpopProof {
  ParsedJws jws;                   // signing_input points into the proof string: keep it alive
  std::string jkt;                 // RFC 7638 thumbprint of the header's jwk
  std::string jti, htm, htu;
  double iat = 0;
  std::optional<std::string> ath, nonce;
};

// Built proof keys by their RFC 7638 thumbprint and the proof's algorithm.
// Building an OpenSSL key from a JWK (with OpenSSL's public-key checks: for EC a
// point multiplication, for RSA far more) costs about as much as verifying the
// proof, or more, and a client signs every proof with the same key, so the built
// key is remembered; a client that spells its key differently each time (a new
// kid per proof) still finds it. Bounded, least recently used first out; each
// lookup reported to `on_lookup` (hit or not) when given, which the service counts
// in mcpauth_cache_requests_total{cache="dpop_key"}.
class DpopKeyCache {
 public:
  using LookupObserver = std::function<void(bool hit)>;
  explicit DpopKeyCache(size_t capacity = 4096, LookupObserver on_lookup = nullptr);
  std::shared_ptr<const Jwk> Find(const std::string& key_id);
  void Insert(const std::string& key_id, std::shared_ptr<const Jwk> key);

 private:
  ShardedLru<std::shared_ptr<const Jwk>> keys_;  // never expire: a key is a key
  const LookupObserver on_lookup_;
};

// Parses `proof` and checks everything that needs only the proof itself, in this
// order: one proof (a ',' means several DPoP fields were combined), size, JWS
// compact shape with a supported asymmetric alg, typ = dpop+jwt, alg allowed by
// the policy, jwk present, public and fitting alg by its members (JwkMembersFit,
// RSA at most kMaxDpopRsaBits), claims present and of the right types; then the
// jwk's thumbprint. No key is built. Reasons:
// REASON_DPOP_MULTIPLE_PROOFS, REASON_DPOP_PROOF_INVALID, REASON_DPOP_TYP_INVALID,
// REASON_DPOP_ALG_UNSUPPORTED, REASON_DPOP_JWK_INVALID.
Reason ParseDpopProof(std::string_view proof, const DpopProofPolicy& policy, DpopProof& out);

// The proof against the request (§4.3 steps 8–11 and §7.1), in this order:
// htm (REASON_DPOP_HTM_MISMATCH), htu (REASON_DPOP_HTU_MISMATCH), iat within
// ±leeway of `now` (REASON_DPOP_IAT_OUT_OF_WINDOW), and, when `access_token` is
// not empty, ath = base64url(SHA-256(access_token)) (REASON_DPOP_ATH_MISMATCH).
Reason CheckDpopAgainstRequest(const DpopProof& proof, const DpopRequest& request, std::string_view access_token,
                               absl::Time now, absl::Duration leeway);

// The costly step: builds the header key (OpenSSL's public-key checks; remembered
// in `keys` when given) and verifies the proof's signature with it. REASON_OK,
// REASON_DPOP_JWK_INVALID (the key does not build: a point off the curve, say) or
// REASON_DPOP_PROOF_INVALID (the signature fails).
Reason VerifyDpopSignature(const DpopProof& proof, DpopKeyCache* keys = nullptr);

// base64url(SHA-256(ASCII(access_token))), the `ath` claim (RFC 9449 §4.2).
std::string DpopAccessTokenHash(std::string_view access_token);

}  // namespace mcpauth::tv
