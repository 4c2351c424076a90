// When mcpauth-credentials is deployed (gateway.credentials), every request the
// gateway forwards for a user carries two more identity headers:
//   X-MCP-Auth-Grant        a fresh grant (services/credentials/grant.h) signed with
//                           the gateway's key: the MCP server passes it back on the
//                           egress port, and it speaks only for this user, only for
//                           grant_ttl, at most grant_max_uses calls;
//   X-MCP-Auth-Credentials  the handles the user holds, "label=handle, …", from the
//                           service's List (kept handles_cache_ttl per user).
// Clients can never send either (they are dropped like every identity header).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gateway/http.h"
#include "mcpauth/v1/credentials.grpc.pb.h"
#include "mcpauth/v1/token_validation.pb.h"
#include "services/common/digest_cache.h"
#include "services/token_validation/jwk.h"

namespace mcpauth::gw {

struct GrantOptions {
  absl::Duration ttl = absl::Seconds(60);
  int64_t max_uses = 16;
  absl::Duration handles_cache_ttl = absl::Seconds(5);
  absl::Duration list_timeout = absl::Seconds(1);
};

class CredentialGrants {
 public:
  CredentialGrants(std::shared_ptr<const tv::Jwk> key, GrantOptions options,
                   std::shared_ptr<grpc::Channel> credentials);

  // Appends the grant and the handle list for `principal` (nothing for a principal
  // without a subject). A List that fails leaves the handle list out (logged); the
  // request goes on.
  // `resource`: the route's, which the grant names and the handles are listed for.
  Task<void> AddHeaders(const v1::Principal& principal, const std::string& resource,
                        std::vector<std::pair<std::string, std::string>>& headers, const std::string& grant_header,
                        const std::string& credentials_header);

 private:
  Task<std::string> Handles(const v1::Principal& principal, const std::string& resource);

  std::shared_ptr<const tv::Jwk> key_;
  GrantOptions options_;
  std::unique_ptr<v1::Credentials::Stub> stub_;
  DigestCache<std::string> handles_;  // by issuer, subject, client and resource
};

}  // namespace mcpauth::gw
