// `mcpauth credentials …`: make the credentials service's key pair, seal a secret
// for a user (client-side: only the public key is needed), and store, list and
// revoke handles on a running mcpauth-credentials.
#pragma once

#include <string>
#include <vector>

namespace mcpauth::cli {

extern const char* const kCredentialsUsage;

int CredentialsCommand(const std::vector<std::string>& args);

}  // namespace mcpauth::cli
