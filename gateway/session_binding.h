// Binds each MCP session (Mcp-Session-Id) to the principal that opened it, so a
// request presenting another principal's session id is refused (MCP security best
// practices: sessions are never authentication). Shared through Redis when
// configured so every gateway replica agrees; a binding never changes once made
// (a second owner is refused, never written over), and each replica also keeps
// what it has seen in process.
//
// A session id the gateway holds no binding for (evicted, expired, lost with an
// unshared store, or never issued) is not let through: MCP's answer for a session
// the server does not know is 404, and the client starts a new one.
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

  // An opaque owner key for a principal (a hash: subjects are not written to
  // Redis): the subject, or for a token without one its client. Empty when the
  // token names neither: such a caller cannot own a session.
  static std::string OwnerKey(std::string_view issuer, std::string_view subject, std::string_view client_id);

  enum class Owner {
    kUnknown,      // no binding
    kSame,         // bound to this owner
    kOther,        // bound to another owner
    kUnavailable,  // the shared store could not answer (and this replica has no binding)
  };
  // Binds `session_id` to `owner` unless it is bound already: kSame when it is (now)
  // this owner's, kOther when it is another's (nothing changes). A shared store
  // that cannot be written leaves the binding on this replica only (kSame).
  Owner Bind(std::string_view session_id, const std::string& owner);
  // A front door's first use of a session id (it never sees the upstream issue one):
  // as Bind, but a shared store that cannot answer is kUnavailable, never a binding
  // made on this replica alone (another replica could then bind it to someone else).
  Owner Claim(std::string_view session_id, const std::string& owner);
  Owner Check(std::string_view session_id, const std::string& owner);

 private:
  KeyValueStore* shared_;
  KeyValueStore* local_;
  absl::Duration ttl_;
};

}  // namespace mcpauth::gw
