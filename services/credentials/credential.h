// What a stored credential is: a sealed secret (a JWE the service alone can open)
// whose protected header binds it to an owner, the hosts it may be sent to and how
// it is injected (CredentialBinding), kept under an opaque handle in a record the
// service authenticates (so whoever can write the store cannot add or rebind one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "mcpauth/v1/credentials.pb.h"

namespace mcpauth::credentials {

struct CredentialBinding {
  std::string issuer;     // mcpauth_iss: the owner's token issuer
  std::string subject;    // mcpauth_sub: the owner's token subject
  std::string client_id;  // mcpauth_client_id: only this client's tokens ("": any)
  std::vector<std::string> hosts;  // mcpauth_hosts: "host" or "host:port", lower case
  v1::InjectionKind injection = v1::INJECTION_KIND_UNSPECIFIED;
  std::string injection_name;      // the header or query parameter (header and query kinds)
  std::string label;               // mcpauth_label
  std::optional<int64_t> expires_at;  // mcpauth_exp, Unix seconds
  std::vector<std::string> resources; // mcpauth_resources: the MCP servers (resource URIs) it is for; empty: any

  // "<issuer>\n<subject>": whose it is.
  std::string Owner() const;
};

// Reads and checks the binding members of a JWE protected header; InvalidArgument
// naming the member otherwise.
absl::StatusOr<CredentialBinding> ReadBinding(const boost::json::object& header);

// The binding as header members (what the CLI seals with).
boost::json::object BindingHeader(const CredentialBinding& binding);

// True when `host_port` (a URL's host, with ":port" when it is not the scheme's
// default) is one of the binding's hosts. Exact, case-insensitive; no wildcards.
bool AllowsHost(const CredentialBinding& binding, std::string_view host_port);

// True when an MCP server at `resource` may use the credential.
bool AllowsResource(const CredentialBinding& binding, std::string_view resource);

// True when `text` holds a control character (U+0000-001F, U+007F): such a value
// would split the header or log line it is written into.
bool HasControlCharacters(std::string_view text);

// A new opaque handle: "h_" and 128 random bits, base64url.
std::string NewHandle();

struct CredentialRecord {
  std::string handle;
  std::string sealed;       // the compact JWE, as stored
  int64_t created_at = 0;   // Unix seconds
};

// The record as stored: JSON with an HMAC-SHA256 (keyed by the record secret) over
// the handle, the sealed value and the creation time.
std::string SerializeRecord(const CredentialRecord& record, std::string_view record_secret);
// The record read back: InvalidArgument when it is not a record, when its MAC does
// not verify, or when it was stored under another handle.
absl::StatusOr<CredentialRecord> ParseRecord(std::string_view stored, std::string_view handle,
                                             std::string_view record_secret);

// What List and Store answer with.
void FillInfo(const CredentialRecord& record, const CredentialBinding& binding, v1::CredentialInfo* info);

}  // namespace mcpauth::credentials
