// JWS signature verification and creation (RFC 7515 §5.2, RFC 7518 §3) on OpenSSL 3.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/token_validation/alg.h"
#include "services/token_validation/jwk.h"
#include "services/token_validation/reason.h"

namespace mcpauth::tv {

// REASON_OK, REASON_SIGNATURE_MALFORMED (length wrong for the algorithm and key),
// REASON_SIGNATURE_INVALID, or REASON_KEY_ALG_MISMATCH when `key` cannot be used
// with `alg`. ECDSA signatures are the raw r‖s of RFC 7518 §3.4, each exactly the
// curve size and 1 ≤ r, s < n; DER is refused.
Reason VerifySignature(const AlgSpec& alg, const Jwk& key, std::string_view signing_input,
                       std::string_view signature);

// Signs `signing_input`; `key` must hold private material usable with `alg`.
absl::StatusOr<std::string> Sign(const AlgSpec& alg, const Jwk& key, std::string_view signing_input);

}  // namespace mcpauth::tv
