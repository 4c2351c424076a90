// JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037): parsing into OpenSSL keys,
// deciding which algorithms a key may verify, and RFC 7638 thumbprints.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <openssl/evp.h>

#include "absl/status/statusor.h"
#include "services/token_validation/alg.h"

namespace mcpauth::tv {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// RSA keys shorter than this are never used (RFC 7518 §3.3 requires 2048 bits).
inline constexpr int kMinRsaBits = 2048;
// Keys longer than this are refused to bound verification cost.
inline constexpr int kMaxRsaBits = 16384;

enum class JwkPrivacy {
  kPublicOnly,    // verification keys: private members make the key unusable
  kAllowPrivate,  // signing keys (CLI, tests)
};

class Jwk {
 public:
  std::string_view kty() const { return kty_; }  // "RSA" | "EC" | "OKP"
  std::string_view crv() const { return crv_; }
  const std::string& kid() const { return kid_; }
  const std::optional<std::string>& alg() const { return alg_; }
  bool has_private() const { return has_private_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }
  int bits() const { return bits_; }

  // True when this key may verify or produce signatures with `alg`: its type
  // and curve fit, and its own `alg` (if any) names exactly this algorithm.
  bool UsableWith(const AlgSpec& alg) const;

  // RFC 7638 thumbprint (SHA-256, base64url) of the public members.
  std::string Thumbprint() const;
  // The public members as a JWK object (kty, crv/n/e/x/y, and kid/alg/use if set).
  boost::json::object PublicJson() const;

  // Parses `object`; the error says which member is wrong.
  static absl::StatusOr<Jwk> Parse(const boost::json::object& object, JwkPrivacy privacy);

 private:
  std::string kty_, crv_, kid_;
  std::optional<std::string> alg_;
  std::optional<std::string> use_;
  // Base64url public members as given (n/e, x/y, x), for thumbprints and export.
  std::string n_, e_, x_, y_;
  bool has_private_ = false;
  int bits_ = 0;
  EvpPkeyPtr pkey_;
};

// True when `object` carries any private-key member (d, p, q, dp, dq, qi, oth, k).
bool HasPrivateMembers(const boost::json::object& object);

// Whether a JWK object can be a key for `alg` judging by its members alone, with
// no key built: kty (and crv) fit the algorithm, an alg member names it, use (if
// any) is "sig", key_ops (if any) allow verify, EC and OKP coordinates have the
// curve's size, an RSA modulus has between kMinRsaBits and `max_rsa_bits` bits and
// its public exponent at most 32. Base64url decoding only, so it can run on
// keys a client sends before anything costly is done with them.
bool JwkMembersFit(const boost::json::object& jwk, const AlgSpec& alg, int max_rsa_bits);

// RFC 7638 thumbprint of a JWK object from its required members as written;
// nullopt when kty is not RSA, EC or OKP or a required member is missing or not
// a string. The same value Jwk::Thumbprint gives once the key is parsed.
std::optional<std::string> JwkThumbprint(const boost::json::object& jwk);

}  // namespace mcpauth::tv
