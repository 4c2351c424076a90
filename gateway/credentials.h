// Where the access token is (the extractor, in Envoy's jwt_authn terms): exactly one
// Authorization header with the Bearer or DPoP scheme and one token, and for DPoP the
// proof header. Tokens anywhere else (query, form body) are refused, not read.
#pragma once

#include <string>

#include "gateway/http.h"

namespace mcpauth::gw {

struct Credentials {
  enum class Outcome {
    kNone,            // no credentials: 401 challenge without error
    kPresent,         // scheme + token (+ proof) found
    kInvalidRequest,  // malformed: 400 invalid_request (two Authorization headers, extra parts, token in query/body)
    kInvalidProof,    // more than one DPoP header: 401 invalid_dpop_proof
  };
  Outcome outcome = Outcome::kNone;
  std::string scheme;  // "Bearer" | "DPoP", as we spell them
  std::string token;
  std::string proof;   // the DPoP header, when present
  std::string detail;  // why, for error_description
};

Credentials ExtractCredentials(const Request& request);

}  // namespace mcpauth::gw
