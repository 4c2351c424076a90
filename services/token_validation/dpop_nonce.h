// Stateless DPoP server nonces (RFC 9449 §8, §9): a nonce is the time step it was
// issued in and an HMAC-SHA-256 of that step under a secret every replica shares,
// so any replica can check a nonce any other issued, and nothing is stored.
//
//   nonce = base64url( step as 8 bytes big-endian ‖ HMAC(secret, label ‖ step)[0..16) )
//   step  = floor(unix time / lifetime)
//
// A nonce is accepted in the step it was issued in and the next one (so it stays
// good for at least one lifetime and at most two), and one step early, which only
// a replica whose clock runs ahead can have issued. Everyone gets the same nonce
// within a step: a nonce limits how long a pre-made proof stays usable; it does
// not identify the client (replay is the jti store's job).
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"

namespace mcpauth::tv {

// A secret shorter than this is refused.
inline constexpr size_t kMinDpopNonceSecretBytes = 16;

class DpopNonces {
 public:
  // `secret` must be at least kMinDpopNonceSecretBytes; `lifetime` at least 1 s.
  DpopNonces(std::string secret, absl::Duration lifetime, const Clock* clock = SystemClock::Get());

  // The nonce for the current step.
  std::string Issue() const;
  // True for a nonce of the previous, current or next step under this secret.
  bool Accepts(std::string_view nonce) const;

  absl::Duration lifetime() const { return lifetime_; }

  // 32 random bytes, for a process without a configured secret.
  static std::string RandomSecret();

 private:
  int64_t StepAt(absl::Time t) const;
  std::string NonceFor(int64_t step) const;
  std::string CachedNonceFor(int64_t step) const;

  const std::string secret_;
  const absl::Duration lifetime_;
  const Clock* clock_;
  // The latest step's nonce, computed once per step.
  mutable std::mutex mu_;
  mutable int64_t cached_step_ = -1;
  mutable std::string cached_nonce_;
};

}  // namespace mcpauth::tv
