// Key generation and token signing: what the CLI and tests need to play an
// authorization server. Never used on the validation path.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "services/token_validation/alg.h"
#include "services/token_validation/jwk.h"

namespace mcpauth::tv {

// A new private JWK for `alg` with kid, alg and use=sig set. RSA keys have
// `rsa_bits` bits (at least 2048).
absl::StatusOr<boost::json::object> GeneratePrivateJwk(const AlgSpec& alg, const std::string& kid,
                                                       int rsa_bits = 2048);

// Signs a JWS compact serialization with `key`: the header gets alg, typ (unless
// `header` sets it) and the key's kid; `header` members are added as given.
absl::StatusOr<std::string> SignCompact(const AlgSpec& alg, const Jwk& key, const boost::json::object& header,
                                        std::string_view payload);

// The algorithm a key should sign with: its own alg, else the default for its type.
const AlgSpec* DefaultAlgFor(const Jwk& key);

}  // namespace mcpauth::tv
