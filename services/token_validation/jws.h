// JWS compact serialization (RFC 7515 §7.1): splitting, strict decoding, and the
// checks on the protected header that come before any key is looked at.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "services/token_validation/alg.h"
#include "services/token_validation/reason.h"

namespace mcpauth::tv {

struct ParsedJws {
  std::string_view signing_input;  // "header.payload" as sent (points into the token)
  boost::json::object header;
  std::string payload;             // decoded bytes (a JWT's claims JSON)
  std::string signature;           // decoded bytes
  const AlgSpec* alg = nullptr;
  std::optional<std::string> kid;
  std::optional<std::string> typ;
};

// Fills `out` or returns the first reason the token is unusable. Only compact
// serialization is accepted; `none`, HMAC and unknown algorithms are refused, and
// so is any `crit` extension (none is understood). The `jwk`, `jku`, `x5u` and
// `x5c` header parameters are read by no one: keys come only from the issuer's
// configured key set.
Reason ParseCompactJws(std::string_view token, ParsedJws& out);

// RFC 9068 §4 / RFC 8725 §3.11: access tokens are typed "at+jwt"; plain "JWT" and
// an absent typ are accepted for providers that do not type their tokens. Anything
// else — "dpop+jwt", an ID token's typ — is a token of another kind.
bool IsAccessTokenTyp(const std::optional<std::string>& typ);

}  // namespace mcpauth::tv
