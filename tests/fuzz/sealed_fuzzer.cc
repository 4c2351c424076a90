// libFuzzer target: what an attacker can hand mcpauth-credentials and the introspection
// client — a sealed credential (JWE compact: header, epk, IV, tag, ciphertext), its
// binding, a stored record, a grant — and what an authorization server answers to an
// introspection request. The input is read as each of them.
#include <boost/json.hpp>
#include <cstdint>
#include <string>

#include "services/common/json.h"
#include "services/credentials/credential.h"
#include "services/credentials/grant.h"
#include "services/token_validation/introspection.h"
#include "services/token_validation/issuers.h"
#include "services/token_validation/jwe.h"

using namespace mcpauth;

namespace {

// A fixed key for the fuzzer only (tests/fuzz/corpus/sealed was sealed to it).
constexpr char kServiceKey[] =
    R"({"kty":"EC","crv":"P-256","x":"V-VlbePSHN-G46X6w6akVr7X0luxNUYTFZlGXY5sAOg",)"
    R"("y":"tKZae8AfQTThvqwk-U_FvhBkC380hhsmQoNmm4e2okg","d":"v78rv7KGuSbYWOIL1W1s0dWZB0SPbA0nDrwitsUQYoY",)"
    R"("kid":"fuzz-1","alg":"ECDH-ES","use":"enc"})";

const tv::AgreementKey& ServiceKey() {
  static const tv::AgreementKey key = [] {
    boost::json::value v;
    (void)ParseStrictJson(kServiceKey, v);
    auto parsed = tv::ParseAgreementKey(v.get_object(), true);
    if (!parsed.ok()) __builtin_trap();
    return std::move(*parsed);
  }();
  return key;
}

const tv::TrustedIssuer& Issuer() {
  static const tv::TrustedIssuer issuer = [] {
    tv::TrustedIssuer i;
    i.issuer = "https://as.example.com";
    i.introspection.enabled = true;
    return i;
  }();
  return issuer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto header = tv::PeekJweHeader(text); header.ok()) (void)credentials::ReadBinding(*header);
  if (auto opened = tv::OpenCompact(text, {&ServiceKey()}); opened.ok()) {
    // Only what was sealed to the key opens, and its header is what was authenticated.
    if (auto binding = credentials::ReadBinding(opened->header); binding.ok()) {
      (void)credentials::AllowsHost(*binding, "api.example.com");
      (void)ToJson(credentials::BindingHeader(*binding));
    }
  }
  (void)credentials::ParseRecord(text, "h_x", "a-record-secret-of-at-least-32-bytes");
  (void)credentials::VerifyGrant(text, tv::KeySet{}, absl::FromUnixSeconds(1'700'000'000));
  auto answer = tv::ReadIntrospectionResponse(text, Issuer(), absl::FromUnixSeconds(1'700'000'000));
  if (answer.ok() && answer->reason == v1::REASON_OK) {
    // An active answer is always this issuer's, and always has an expiry.
    if (!answer->token || answer->token->claims.issuer != Issuer().issuer || !answer->token->claims.expires_at) {
      __builtin_trap();
    }
  }
  (void)tv::LooksOpaque(text);
  return 0;
}
