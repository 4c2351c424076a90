// The client side's checks of a TLS peer, for every outbound TLS connection the
// suite makes (the gateway's https upstreams, Redis and Sentinel).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

struct ssl_st;

namespace mcpauth {

// The handshake on `ssl` will require the peer's certificate to name `host`: a DNS
// name (no partial wildcards; also sent as SNI, RFC 6066 §3) or an IP address
// (matched against the certificate's IP addresses).
absl::Status ExpectPeerName(ssl_st* ssl, const std::string& host);

// Why a handshake on `ssl` failed, for a log line: the certificate check's verdict
// when there was one ("certificate has expired"), else `error`.
std::string HandshakeFailure(ssl_st* ssl, std::string_view error);

}  // namespace mcpauth
