#include "services/token_validation/dpop_verifier.h"

#include "services/common/metrics.h"
#include "services/common/strings.h"
#include "services/common/yaml_reader.h"

namespace mcpauth::tv {

std::optional<AuthScheme> ParseAuthScheme(std::string_view scheme) {
  if (scheme.empty()) return AuthScheme::kUnspecified;
  if (EqualsIgnoreCase(scheme, "Bearer")) return AuthScheme::kBearer;
  if (EqualsIgnoreCase(scheme, "DPoP")) return AuthScheme::kDpop;
  return std::nullopt;
}

DpopOptions DpopOptionsFromConfig(const AuthorizationConfig& config) {
  DpopOptions options;
  options.required = config.dpop_required;
  options.proof.leeway = config.dpop_leeway;
  for (size_t i = 0; i < config.dpop_algorithms.size(); ++i) {
    const std::string& name = config.dpop_algorithms[i];
    const AlgSpec* alg = FindAlg(name);
    if (alg == nullptr) {
      throw ConfigError(StrCat("authorization.dpop_algorithms[", i, "]: \"", name,
                               IsForbiddenAlg(name) ? "\" is not asymmetric: DPoP proofs are signed with a private key"
                                                    : "\" is not a supported JWS algorithm"));
    }
    options.proof.algorithms.push_back(alg);
  }
  return options;
}

namespace {

DpopKeyCache::LookupObserver CountLookups(prometheus::Registry* registry) {
  if (registry == nullptr) return nullptr;
  auto& family = CacheRequestsFamily(*registry);
  prometheus::Counter* hits = &family.Add({{"cache", "dpop_key"}, {"result", "hit"}});
  prometheus::Counter* misses = &family.Add({{"cache", "dpop_key"}, {"result", "miss"}});
  return [hits, misses](bool hit) { (hit ? hits : misses)->Increment(); };
}

}  // namespace

DpopVerifier::DpopVerifier(DpopOptions options, DpopReplayStore* replay, const DpopNonces* nonces,
                           prometheus::Registry* registry)
    : options_(std::move(options)), replay_(replay), nonces_(nonces), keys_(options_.key_cache_size, CountLookups(registry)) {}

Reason DpopVerifier::Precheck(std::string_view scheme, const DpopRequest& request, std::string_view token,
                              absl::Time now, PendingDpop& out) const {
  const std::optional<AuthScheme> parsed = ParseAuthScheme(scheme);
  if (!parsed) return v1::REASON_SCHEME_UNSUPPORTED;
  out.scheme = *parsed;
  out.proof_presented = !request.proof.empty();
  // A proof sent with a Bearer token is not looked at: the token's binding decides
  // (a bound token is refused as Bearer whatever proof comes with it).
  if (out.scheme == AuthScheme::kBearer) return v1::REASON_OK;
  out.nonce_due = out.scheme == AuthScheme::kDpop || out.proof_presented;
  if (!out.proof_presented) {
    return out.scheme == AuthScheme::kDpop ? v1::REASON_DPOP_PROOF_MISSING : v1::REASON_OK;
  }
  DpopProof& proof = out.proof.emplace();
  if (Reason r = ParseDpopProof(request.proof, options_.proof, proof); r != v1::REASON_OK) return r;
  if (Reason r = CheckDpopAgainstRequest(proof, request, token, now, options_.proof.leeway); r != v1::REASON_OK) {
    return r;
  }
  // RFC 9449 §8: a proof without a current nonce gets a fresh one to retry with.
  if (nonces_ != nullptr && (!proof.nonce || !nonces_->Accepts(*proof.nonce))) {
    return v1::REASON_DPOP_NONCE_REQUIRED;
  }
  return v1::REASON_OK;
}

Reason DpopVerifier::CheckBinding(const PendingDpop& pending,
                                  const std::optional<std::string>& confirmation_jkt) const {
  AuthScheme scheme = pending.scheme;
  if (scheme == AuthScheme::kUnspecified) {
    scheme = pending.proof_presented || confirmation_jkt ? AuthScheme::kDpop : AuthScheme::kBearer;
  }
  if (scheme == AuthScheme::kBearer) {
    // §7.2: a resource server that took a bound token as a bearer token would make
    // the binding pointless.
    if (confirmation_jkt) return v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER;
    if (options_.required) return v1::REASON_DPOP_REQUIRED;
    return v1::REASON_OK;
  }
  if (!confirmation_jkt) return v1::REASON_DPOP_SCHEME_CONFUSION;
  if (!pending.proof) return v1::REASON_DPOP_PROOF_MISSING;
  if (pending.proof->jkt != *confirmation_jkt) return v1::REASON_DPOP_JKT_MISMATCH;
  return v1::REASON_OK;
}

absl::StatusOr<Reason> DpopVerifier::Complete(const PendingDpop& pending, std::string_view owner) const {
  // CheckBinding passed, so a proof is here exactly when DPoP is in use.
  if (!pending.proof) return v1::REASON_OK;
  if (Reason r = VerifyDpopSignature(*pending.proof, &keys_); r != v1::REASON_OK) return r;
  auto verdict = replay_->FirstUse(owner, pending.proof->jkt, pending.proof->jti, replay_ttl());
  if (!verdict.ok()) {
    return absl::Status(verdict.status().code(), StrCat("DPoP replay store (", replay_->kind(),
                                                        ") cannot answer: ", verdict.status().message()));
  }
  switch (*verdict) {
    case ReplayVerdict::kFirstUse: return v1::REASON_OK;
    case ReplayVerdict::kReplay: return v1::REASON_DPOP_REPLAYED;
    case ReplayVerdict::kOverShare: return v1::REASON_DPOP_PROOF_QUOTA;
  }
  return v1::REASON_DPOP_REPLAYED;
}

std::string DpopVerifier::NonceFor(const PendingDpop& pending, Reason reason) const {
  if (nonces_ == nullptr) return "";
  if (!pending.nonce_due && !IsDpopReason(reason)) return "";
  return nonces_->Issue();
}

}  // namespace mcpauth::tv
