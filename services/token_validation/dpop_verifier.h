// DPoP for token validation (RFC 9449 §4.3, §7, §8, §11.1): which scheme the token
// came with, whether it must be and is bound to the proof's key, the proof itself,
// server nonces and replay. The validator calls it in three steps so that all
// cheap refutations come before any public-key operation and the replay store is
// written only for a proof that passed everything else:
//
//   Precheck  — scheme; proof shape, header, key members (sizes, no key built),
//               claims; htm, htu, iat, ath; nonce (hashing only)
//   Binding   — scheme against the token's cnf.jkt and dpop_required; the proof
//               key's thumbprint against cnf.jkt (string comparison)
//   Complete  — the proof key built and its signature verified, then the (jkt,
//               jti) replay store
//
// The token's own checks and signature sit between Binding and Complete, and the
// token cache only ever answers for the token: every request still needs a fresh
// proof that passes all three steps.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/metrics.h"
#include "services/common/authorization_config.h"
#include "services/token_validation/dpop_nonce.h"
#include "services/token_validation/dpop_proof.h"
#include "services/token_validation/dpop_replay.h"

namespace mcpauth::tv {

enum class AuthScheme {
  kUnspecified,  // the caller did not say
  kBearer,       // RFC 6750
  kDpop,         // RFC 9449 §7.1
};

// "Bearer" / "DPoP" in any letter case (RFC 9110 §11.1), "" → kUnspecified;
// nullopt for any other scheme.
std::optional<AuthScheme> ParseAuthScheme(std::string_view scheme);

struct DpopOptions {
  bool required = false;         // authorization.dpop_required: plain bearer tokens are refused
  DpopProofPolicy proof;         // algorithms, iat leeway, size limit
  size_t key_cache_size = 4096;  // parsed proof keys remembered (DpopKeyCache)
};

// authorization.dpop_* as options. Throws ConfigError naming the key when an entry
// of dpop_algorithms is not a supported asymmetric JWS algorithm.
DpopOptions DpopOptionsFromConfig(const AuthorizationConfig& config);

// What Precheck learned, carried to the later steps.
struct PendingDpop {
  AuthScheme scheme = AuthScheme::kUnspecified;  // as the caller gave it
  bool proof_presented = false;                  // a DPoP proof came with the request
  std::optional<DpopProof> proof;                // parsed and prechecked (not for Bearer)
  bool nonce_due = false;                        // the answer should carry a fresh nonce
};

class DpopVerifier {
 public:
  // `replay` is required; `nonces` null means server nonces are off; `registry`
  // (optional) counts the proof-key cache.
  DpopVerifier(DpopOptions options, DpopReplayStore* replay, const DpopNonces* nonces,
               prometheus::Registry* registry = nullptr);

  // Step 1. `scheme` as the caller sent it; `token` is the access token (for ath).
  Reason Precheck(std::string_view scheme, const DpopRequest& request, std::string_view token, absl::Time now,
                  PendingDpop& out) const;
  // Step 2, with the token's claims (not yet verified: this only refutes).
  Reason CheckBinding(const PendingDpop& pending, const std::optional<std::string>& confirmation_jkt) const;
  // Step 3: the signature, then the replay store, on behalf of `owner` (the
  // token's issuer and subject). The Reason, or an error status when the replay
  // store could not answer (Unavailable: Redis down; ResourceExhausted: full): the
  // request cannot be decided.
  absl::StatusOr<Reason> Complete(const PendingDpop& pending, std::string_view owner) const;

  // The nonce for an answer: empty when nonces are off or the request did not use DPoP.
  std::string NonceFor(const PendingDpop& pending, Reason reason) const;

  // How long a (jkt, jti) pair is remembered: a proof is acceptable from iat −
  // leeway to iat + leeway as this replica's clock sees it, so it can be presented
  // for 2 × leeway; one more leeway covers clocks of other replicas that differ.
  absl::Duration replay_ttl() const { return 3 * options_.proof.leeway; }
  const DpopOptions& options() const { return options_; }
  const DpopReplayStore* replay_store() const { return replay_; }

 private:
  DpopOptions options_;
  DpopReplayStore* replay_;
  const DpopNonces* nonces_;
  mutable DpopKeyCache keys_;
};

}  // namespace mcpauth::tv
