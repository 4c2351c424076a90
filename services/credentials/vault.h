// The service's private keys: what opens sealed credentials. Loaded once from the
// key files (a mounted Secret); the first key is the one credentials are sealed to
// (its public half is what the CLI and clients seal with); the others still open
// what was sealed to them, so keys can be rotated.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/token_validation/jwe.h"

namespace mcpauth::credentials {

class Vault {
 public:
  // ConfigError (naming `key_path`[i]) when a file is unreadable or not a private
  // P-256 ECDH-ES JWK, or two keys share a kid.
  static Vault FromFiles(const std::vector<std::string>& files, const std::string& key_path);
  explicit Vault(std::vector<tv::AgreementKey> keys);

  // Opens a sealed credential (InvalidArgument saying why it cannot be opened).
  absl::StatusOr<tv::JweOpened> Open(std::string_view sealed) const;
  // The key credentials are sealed to, public members only.
  const boost::json::object& PublicJwk() const { return keys_.front().public_jwk; }

 private:
  std::vector<tv::AgreementKey> keys_;
};

}  // namespace mcpauth::credentials
