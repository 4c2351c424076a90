// Keys and tokens for token-validation unit tests, made with our own signer.
// (Interop with an independent implementation lives in interop/ and vectors/.)
#pragma once

#include <memory>
#include <string>

#include <boost/json/object.hpp>

#include "services/token_validation/jwk.h"
#include "services/token_validation/keygen.h"

namespace mcpauth::tv::testing {

struct TestKey {
  std::shared_ptr<Jwk> private_key;
  boost::json::object public_jwk;
  const AlgSpec* alg;
};

// A fresh key for `alg` ("ES256", …) with `kid`.
TestKey MakeKey(const std::string& alg, const std::string& kid);

// {"keys":[...]} of the given keys' public halves.
std::string JwksOf(std::initializer_list<const TestKey*> keys);

// Signs `claims` with `key`. `header` members override the defaults (alg, kid, typ at+jwt).
std::string Mint(const TestKey& key, const boost::json::object& claims, const boost::json::object& header = {});

// Base64url-encodes `header` and `payload` as given and appends `signature` bytes
// encoded: for hand-built malformed tokens.
std::string Assemble(const std::string& header_json, const std::string& payload_json,
                     const std::string& signature_bytes);

}  // namespace mcpauth::tv::testing
