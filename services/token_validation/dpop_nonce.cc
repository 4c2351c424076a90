#include "services/token_validation/dpop_nonce.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "services/common/base64url.h"

namespace mcpauth::tv {
namespace {

constexpr std::string_view kLabel = "mcpauth dpop nonce v1";
constexpr size_t kMacBytes = 16;
constexpr size_t kNonceBytes = 8 + kMacBytes;

std::string StepBytes(int64_t step) {
  std::string out(8, '\0');
  auto value = static_cast<uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}

}  // namespace

DpopNonces::DpopNonces(std::string secret, absl::Duration lifetime, const Clock* clock)
    : secret_(std::move(secret)), lifetime_(std::max(lifetime, absl::Seconds(1))), clock_(clock) {
  if (secret_.size() < kMinDpopNonceSecretBytes) throw std::invalid_argument("DPoP nonce secret too short");
}

std::string DpopNonces::RandomSecret() {
  std::string secret(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(secret.size())) != 1) {
    throw std::runtime_error("OpenSSL could not generate random bytes");
  }
  return secret;
}

int64_t DpopNonces::StepAt(absl::Time t) const { return absl::ToUnixSeconds(t) / absl::ToInt64Seconds(lifetime_); }

std::string DpopNonces::NonceFor(int64_t step) const {
  const std::string step_bytes = StepBytes(step);
  const std::string message = std::string(kLabel) + step_bytes;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  return Base64UrlEncode(step_bytes + std::string(reinterpret_cast<const char*>(mac), kMacBytes));
}

std::string DpopNonces::Issue() const { return CachedNonceFor(StepAt(clock_->Now())); }

std::string DpopNonces::CachedNonceFor(int64_t step) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (step == cached_step_) return cached_nonce_;
  std::string nonce = NonceFor(step);
  if (step > cached_step_) {
    cached_step_ = step;
    cached_nonce_ = nonce;
  }
  return nonce;
}

bool DpopNonces::Accepts(std::string_view nonce) const {
  const std::optional<std::string> bytes = Base64UrlDecode(nonce);
  if (!bytes || bytes->size() != kNonceBytes) return false;
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>((*bytes)[i]);
  const auto step = static_cast<int64_t>(value);
  const int64_t now = StepAt(clock_->Now());
  if (step < now - 1 || step > now + 1) return false;
  // Canonical base64url: equal bytes have equal encodings. The current step's
  // nonce is cached, so the common case costs no HMAC.
  const std::string expected = CachedNonceFor(step);
  return expected.size() == nonce.size() && CRYPTO_memcmp(expected.data(), nonce.data(), nonce.size()) == 0;
}

}  // namespace mcpauth::tv
