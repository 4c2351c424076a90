// The PEM files a TLS setting names, checked when the process that uses them
// starts: a wrong path, a file without a certificate, or a key that does not belong
// to its certificate is a ConfigError naming the key (exit 2), not a handshake that
// fails later. (Only the process that uses a file checks it: each pod mounts only
// its own certificates, while every service reads the whole configuration.)
#pragma once

#include <string>
#include <string_view>

#include "services/common/service_section.h"

namespace mcpauth {

// `key_path` is the setting's path, e.g. "token_validation.tls".
void CheckServerTls(const ServerTls& tls, std::string_view key_path);
void CheckClientTls(const ClientTls& tls, std::string_view key_path);

}  // namespace mcpauth
