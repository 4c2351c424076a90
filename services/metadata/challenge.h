// Every WWW-Authenticate challenge the suite sends is built here, so they stay
// consistent: Bearer (RFC 6750) and DPoP (RFC 9449 §7.1) schemes, the absolute
// resource_metadata URL (RFC 9728 §5.1), scope, and error / error_description only
// when a token was presented (RFC 6750 §3.1).
//
// One value per scheme, parameters in this order:
//   Bearer resource_metadata="…", scope="…", error="…", error_description="…"
//   DPoP algs="ES256 …", resource_metadata="…", scope="…", error="…", error_description="…"
// Absent parameters are left out. Values are quoted-strings: quotes and backslashes
// are escaped, and characters outside printable ASCII (%x20-7E) removed.
//
//   kind                status  error               schemes
//   no token            401     (none)              every accepted scheme
//   invalid token       401     invalid_token       every accepted scheme
//   insufficient scope  403     insufficient_scope  every accepted scheme
//                       401     invalid_token       (when scope challenges are off: clients before 2025-11-25)
//   invalid request     400     invalid_request     every accepted scheme
//   invalid DPoP proof  401     invalid_dpop_proof  DPoP only
//   use DPoP nonce      401     use_dpop_nonce      DPoP only, plus a DPoP-Nonce header
//
// The error goes on the challenge of the scheme the request used; when that is not
// known, or not among those sent, on every challenge. The scope parameter carries
// the server-level required scopes; for insufficient scope, those plus the scopes
// the operation needs (so a client stepping up keeps what it had). It is sent only
// where scope challenges are on: scope_enforcement "always", or "auto" for clients
// whose MCP-Protocol-Version is 2025-11-25 or later.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/v1/metadata.pb.h"
#include "services/common/authorization_config.h"

namespace mcpauth::metadata {

// What is wrong (NO_TOKEN, INVALID_TOKEN, ...; the table above) and which scheme the
// request used (UNSPECIFIED when none, or not known: both at once). Labels, e.g.
// "invalid_token", are the error codes and the metric labels (proto/enum_label.h).
using ChallengeKind = v1::ChallengeKind;
using PresentedScheme = v1::PresentedScheme;

// What challenges depend on besides the request (the same for every resource).
struct ChallengeSettings {
  std::vector<std::string> required_scopes;  // server-level
  ScopeEnforcement scope_enforcement = v1::SCOPE_ENFORCEMENT_AUTO;
  bool bearer_accepted = true;  // false when dpop_required
  bool dpop_accepted = false;
  std::vector<std::string> dpop_algorithms;  // the algs parameter

  bool operator==(const ChallengeSettings&) const = default;
};

struct ChallengeRequest {
  ChallengeKind kind = v1::CHALLENGE_KIND_NO_TOKEN;
  std::string resource;          // the protected resource; empty: the default one
  std::string protocol_version;  // the client's MCP-Protocol-Version; empty when absent
  PresentedScheme scheme = v1::PRESENTED_SCHEME_UNSPECIFIED;
  std::vector<std::string> operation_scopes;  // insufficient scope: what the operation needs
  std::string error_description;              // sent only with an error
  std::string dpop_nonce;                     // for the DPoP-Nonce header (use_dpop_nonce needs one)
};

struct Challenge {
  int http_status = 401;
  std::string error;  // the error code sent; empty for no token
  // One value per challenge: send each as a WWW-Authenticate header, or all in one.
  std::vector<std::string> www_authenticate;
  std::string dpop_nonce;  // the DPoP-Nonce header value; empty: none

  // All challenges in one header value, joined with ", " (RFC 9110 §11.6.1).
  std::string JoinedWwwAuthenticate() const;
  bool operator==(const Challenge&) const = default;
};

// True when a client speaking `protocol_version` gets scope parameters and 403
// step-up. Dated versions compare as strings; a missing or undated version reads
// as the oldest (MCP assumes 2025-03-26 without the header).
bool ScopeChallengesEnabled(ScopeEnforcement enforcement, std::string_view protocol_version);

// The challenge for `request`; `resource_metadata_url` is the protected resource's
// absolute metadata URL (empty: the parameter is left out).
Challenge BuildChallenge(const ChallengeSettings& settings, std::string_view resource_metadata_url,
                         const ChallengeRequest& request);

// `value` as an RFC 9110 quoted-string, with characters outside %x20-7E removed.
std::string QuotedString(std::string_view value);

}  // namespace mcpauth::metadata
