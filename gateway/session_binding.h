// Binds each MCP session (Mcp-Session-Id) to the principal that opened it, so a
// request presenting another principal's session id is refused (MCP security best
// practices: sessions are never authentication). Shared through Redis when
// configured so every gateway replica agrees; a binding never changes once made,
// so each replica also keeps what it has seen in process.
#pragma once

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "services/common/kv_store.h"

namespace mcpauth::gw {

class SessionBindings {
 public:
  // `shared` may be null (no Redis): bindings are then per replica.
  SessionBindings(KeyValueStore* shared, KeyValueStore* local, absl::Duration ttl)
      : shared_(shared), local_(local), ttl_(ttl) {}

  // An opaque owner key for a principal (a hash: subjects are not written to Redis).
  static std::string OwnerKey(std::string_view issuer, std::string_view subject);

  void Bind(std::string_view session_id, const std::string& owner);

  enum class Owner { kUnknown, kSame, kOther };
  Owner Check(std::string_view session_id, const std::string& owner);

 private:
  KeyValueStore* shared_;
  KeyValueStore* local_;
  absl::Duration ttl_;
};

}  // namespace mcpauth::gw
