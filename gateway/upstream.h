// Connections to upstream MCP servers: where each route goes, and a per-thread
// pool of idle keep-alive connections (each io_context has its own, so no locks).
//
// A pooled connection must be exactly at a message boundary: a connection goes back
// only after its response was read completely with nothing after it, and before it
// is used again it must have nothing to read (no stray bytes, no close from the
// upstream) and must not have idled longer than the upstream would keep it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/strings.h"
#include "absl/time/time.h"
#include "gateway/http.h"
#include "gateway/stream.h"

namespace mcpauth::gw {

class TlsContextSource;

struct UpstreamTarget {
  std::string host;
  std::string port;
  std::string path;         // the upstream's MCP endpoint path, e.g. "/mcp"
  std::string host_header;  // host[:port] as the upstream expects it
  bool tls = false;         // https://
  // https only: the name (or address) the upstream's certificate must carry, also
  // sent as SNI; and where the route's TLS contexts come from (owned by the gateway).
  std::string tls_name;
  TlsContextSource* tls_source = nullptr;

  // Parses an http:// or https:// URL.
  static absl::StatusOr<UpstreamTarget> Parse(const std::string& url);
  // Which pooled connections may serve this target: same address, and for https
  // the same checks made (name, roots, client certificate). Two routes to one
  // upstream with different TLS settings never share a connection.
  std::string Key() const {
    if (!tls) return StrCat("http://", host, ":", port);
    return StrCat("https://", host, ":", port, " ", tls_name, " ", reinterpret_cast<uintptr_t>(tls_source));
  }
};

// Why no connection to an upstream could be had.
struct ConnectFailure {
  enum class Kind { kTimeout, kUnreachable, kTls };
  Kind kind;
  std::string detail;  // for the log line: the resolver's, socket's or TLS check's words
};

class UpstreamPool {
 public:
  // `max_idle_time`: connections idle longer are closed instead of reused (keep it
  // below the upstream's own keep-alive timeout: Node's default is 5 s).
  explicit UpstreamPool(absl::Duration max_idle_time = absl::Seconds(4), size_t max_idle_per_target = 64)
      : max_idle_time_(max_idle_time), max_idle_per_target_(max_idle_per_target) {}

  // An idle connection to `target`, or a new one. `reused` says which (a reused
  // connection may still have been closed by the upstream an instant ago).
  // For https, a new connection's handshake (and the certificate check) is part of it.
  Task<std::optional<ConnectFailure>> Acquire(const UpstreamTarget& target, absl::Duration connect_timeout,
                                              std::optional<Stream>& out, bool& reused);
  // Returns a connection whose last response was read completely and kept alive.
  void Release(const UpstreamTarget& target, Stream&& stream);

 private:
  struct Idle {
    Stream stream;
    std::chrono::steady_clock::time_point since;
  };
  absl::Duration max_idle_time_;
  size_t max_idle_per_target_;
  std::map<std::string, std::vector<Idle>> idle_;
};

// How reading a response head from the upstream ended.
enum class ResponseHeadOutcome {
  kFinal,         // a final (non-1xx) response head is in the parser
  kTimeout,       // nothing final before the deadline
  kClosedUnread,  // the connection ended before a single byte of a response
  kBroken,        // an error or malformed framing after some bytes
  kUnexpected,    // 101 Switching Protocols (never asked for) or endless interim answers
};

// Reads the final response head, passing over interim 1xx responses (100 Continue,
// 102, 103 Early Hints: RFC 9110 §15.2; none is relayed). `parser` is re-made for
// each message. `head_request`: the response has no content whatever it says.
Task<ResponseHeadOutcome> ReadFinalResponseHead(Stream& upstream, beast::flat_buffer& buffer,
                                                std::optional<http::response_parser<http::buffer_body>>& parser,
                                                bool head_request);

// True when an idle connection has nothing to read: no bytes the upstream sent
// unasked (on the socket, or held by TLS), no end of stream, no error. (A
// non-blocking poll; never waits.)
bool IdleConnectionIsClean(Stream& stream);

}  // namespace mcpauth::gw
