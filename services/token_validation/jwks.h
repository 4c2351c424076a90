// JWK Sets (RFC 7517 §5). Parsing is tolerant per key and strict per set: one
// malformed or unusable key is skipped (and reported) while the good keys in the
// same set keep working; a document that is not a key set at all is an error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/token_validation/jwk.h"

namespace mcpauth::tv {

struct KeySet {
  std::vector<std::shared_ptr<const Jwk>> keys;
  // One line per skipped key ("keys[2] (kid \"a\"): jwk n: ..."), for logs.
  std::vector<std::string> skipped;

  // Keys whose kid equals `kid`.
  std::vector<const Jwk*> WithKid(std::string_view kid) const;
  bool HasKid(std::string_view kid) const { return !WithKid(kid).empty(); }
};

// Keys with a private member are skipped (a published key set must be public), and
// so are keys sharing a kid with another key: which one a kid means would be
// ambiguous.
absl::StatusOr<KeySet> ParseJwks(std::string_view json);

}  // namespace mcpauth::tv
