// The `credentials` section: mcpauth-credentials, the service that keeps users'
// downstream secrets sealed and makes calls with them on the MCP server's behalf.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/service_section.h"

namespace mcpauth {

struct CredentialsSection : ServiceSection {
  // The section is present: the service is deployed (the gateway then attaches
  // grants and the caller's handles to the requests it forwards).
  bool enabled = false;
  // The HTTP port the MCP servers make their third-party calls through.
  std::string egress_listen = "127.0.0.1:8090";
  // How MCP servers reach the egress port (told to them by nothing; for documentation
  // and the chart). Default: egress_listen.
  std::string egress_address;
  // The service's private ECDH-ES key(s) (JWK files, P-256, use "enc"): credentials
  // are sealed to the first; the others still open what was sealed to them (rotation).
  std::vector<std::string> key_files;
  // At least 32 random bytes: authenticates stored records, so whoever can write to
  // the store (Redis) cannot add or rebind credentials.
  std::string record_secret_file;
  // The gateway's grant verification keys (a JWKS file with its public key(s)).
  std::string grant_keys_file;
  absl::Duration egress_timeout = absl::Seconds(10);
  // A caller must send a whole request (and read the answer) within this; an idle
  // keep-alive connection is closed after it.
  absl::Duration egress_idle_timeout = absl::Seconds(30);
  int64_t max_request_bytes = 1 << 20;
  int64_t max_response_bytes = 4 << 20;
  int64_t max_connections = 1024;  // open egress connections; more are closed
};

}  // namespace mcpauth
