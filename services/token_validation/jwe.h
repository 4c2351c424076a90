// JWE compact serialization (RFC 7516) with one key management mode and one content
// cipher: ECDH-ES direct key agreement on P-256 (RFC 7518 §4.6, Concat KDF with
// SHA-256) and A256GCM (§5.3). That is how a credential is sealed to the
// credentials service: anyone with its public key (the CLI, a browser, npm jose)
// can seal; only the service's private key opens. Everything else a JWE can say
// (key wrapping, compression, other curves and ciphers, crit) is refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "services/token_validation/jwk.h"

namespace mcpauth::tv {

inline constexpr char kJweAlg[] = "ECDH-ES";
inline constexpr char kJweEnc[] = "A256GCM";

// A P-256 key for ECDH-ES, from a JWK: kty EC, crv P-256, `use` "enc" if present,
// `alg` "ECDH-ES" if present, key_ops (if any) allowing deriveKey or deriveBits.
// With `with_private`, d is required; without, private members are refused.
struct AgreementKey {
  std::string kid;
  EvpPkeyPtr pkey;
  boost::json::object public_jwk;  // kty, crv, x, y (and kid, use "enc", alg "ECDH-ES")
};
absl::StatusOr<AgreementKey> ParseAgreementKey(const boost::json::object& jwk, bool with_private);

// A new P-256 key pair for ECDH-ES as a private JWK (kid, use "enc", alg "ECDH-ES").
absl::StatusOr<boost::json::object> GenerateAgreementJwk(const std::string& kid);

// Concat KDF (NIST SP 800-56A §5.8.1, as RFC 7518 §4.6.2 profiles it) for direct
// key agreement: AlgorithmID is the `enc` value, PartyUInfo/PartyVInfo the decoded
// apu/apv, SuppPubInfo the key length in bits. Exposed for the RFC 7518 Appendix C
// vector.
std::string ConcatKdf(std::string_view z, std::string_view algorithm_id, std::string_view apu,
                      std::string_view apv, size_t key_bytes);

// The shared secret Z of `private_key` and `peer_public` (both P-256).
absl::StatusOr<std::string> EcdhSharedSecret(EVP_PKEY* private_key, EVP_PKEY* peer_public);

struct JweOpened {
  boost::json::object header;  // the protected header, as sent
  std::string plaintext;
};

// Encrypts `plaintext` to `recipient`: a fresh ephemeral key, header {alg, enc,
// kid (the recipient's, when it has one), epk} plus `extra_header` members (they are
// authenticated as the AAD; alg, enc, epk, kid, zip and crit may not be among them).
absl::StatusOr<std::string> SealCompact(const AgreementKey& recipient, std::string_view plaintext,
                                        const boost::json::object& extra_header = {});

// Decrypts a compact JWE with one of `keys` (the one its kid names; without a kid,
// the only key). InvalidArgument saying what is wrong: the shape, a header member,
// the key, or (one message for all) that authentication failed.
absl::StatusOr<JweOpened> OpenCompact(std::string_view jwe, const std::vector<const AgreementKey*>& keys);

// The protected header of a compact JWE, decoded and parsed (nothing verified).
absl::StatusOr<boost::json::object> PeekJweHeader(std::string_view jwe);

}  // namespace mcpauth::tv
