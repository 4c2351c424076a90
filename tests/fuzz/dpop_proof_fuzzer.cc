// libFuzzer target: the DPoP proof checker (RFC 9449 §4.3): parsing the proof, the
// checks against the request (htm, htu with RFC 3986 normalization, iat window,
// ath) and the signature with the proof's own key. The input is split at the first
// newline: the DPoP header value, then the request URI (so htu normalization is
// fuzzed from both sides).
#include <cstdint>
#include <string>

#include "services/token_validation/dpop_htu.h"
#include "services/token_validation/dpop_proof.h"

using namespace mcpauth;
using namespace mcpauth::tv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nl = input.find('\n');
  const std::string proof_text = input.substr(0, nl);
  const std::string uri = nl == std::string::npos ? "https://mcp.example.com/mcp" : input.substr(nl + 1);

  // htu normalization on its own, from the URI side: idempotent when it succeeds.
  if (std::optional<std::string> n = NormalizeHtu(uri)) {
    std::optional<std::string> again = NormalizeHtu(*n);
    if (!again || *again != *n || !HtuMatches(*n, uri)) __builtin_trap();
  }

  static DpopKeyCache* keys = new DpopKeyCache(64);
  DpopProofPolicy policy;
  DpopProof proof;
  if (ParseDpopProof(proof_text, policy, proof) != v1::REASON_OK) return 0;
  if (proof.jkt.empty()) __builtin_trap();
  const DpopRequest request{proof_text, "POST", uri};
  (void)CheckDpopAgainstRequest(proof, request, "access-token", absl::FromUnixSeconds(1767225600), absl::Seconds(60));
  (void)CheckDpopAgainstRequest(
      proof, DpopRequest{proof_text, proof.htm, proof.htu}, "",
      absl::FromUnixSeconds(static_cast<int64_t>(proof.iat > 0 && proof.iat < 1e11 ? proof.iat : 0)),
      absl::Seconds(60));
  (void)VerifyDpopSignature(proof, keys);
  (void)DpopAccessTokenHash(proof_text);
  return 0;
}
