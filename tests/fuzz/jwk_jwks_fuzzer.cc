// libFuzzer target: the JWK and JWK Set parsers (RFC 7517/7518/8037), as fed by an
// issuer's jwks_uri, plus what is done with every key that parses (algorithm fit,
// RFC 7638 thumbprint, public export). The input is the document's bytes; it is
// also read as one JWK object with private members allowed (the CLI's key files).
#include <boost/json.hpp>
#include <cstdint>
#include <string>

#include "services/common/json.h"
#include "services/token_validation/alg.h"
#include "services/token_validation/jwk.h"
#include "services/token_validation/jwks.h"

using namespace mcpauth;
using namespace mcpauth::tv;

namespace {

void Exercise(const Jwk& key) {
  for (const char* name : {"RS256", "PS512", "ES256", "ES384", "ES512", "EdDSA"}) {
    if (const AlgSpec* alg = FindAlg(name)) (void)key.UsableWith(*alg);
  }
  const std::string thumbprint = key.Thumbprint();
  if (thumbprint.size() != 43) __builtin_trap();  // SHA-256, base64url without padding
  (void)ToJson(key.PublicJson());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto set = ParseJwks(text);
  if (set.ok()) {
    for (const auto& key : set->keys) {
      if (key->has_private()) __builtin_trap();  // a published set never yields private keys
      Exercise(*key);
    }
  }
  boost::json::value doc;
  if (ParseStrictJson(text, doc) == JsonParseError::kNone && doc.is_object()) {
    auto key = Jwk::Parse(doc.get_object(), JwkPrivacy::kAllowPrivate);
    if (key.ok()) Exercise(*key);
    auto public_only = Jwk::Parse(doc.get_object(), JwkPrivacy::kPublicOnly);
    if (public_only.ok() && public_only->has_private()) __builtin_trap();
  }
  return 0;
}
