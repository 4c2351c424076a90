// Connections to upstream MCP servers: where each route goes, and a per-thread
// pool of idle keep-alive connections (each io_context has its own, so no locks).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/http.h"

namespace mcpauth::gw {

struct UpstreamTarget {
  std::string host;
  std::string port;
  std::string path;         // the upstream's MCP endpoint path, e.g. "/mcp"
  std::string host_header;  // host[:port] as the upstream expects it

  // Parses an http:// URL. (https upstreams are not supported yet.)
  static absl::StatusOr<UpstreamTarget> Parse(const std::string& url);
  std::string Key() const { return host + ":" + port; }
};

class UpstreamPool {
 public:
  explicit UpstreamPool(size_t max_idle_per_target = 64) : max_idle_per_target_(max_idle_per_target) {}

  // An idle connection to `target`, or a new one. `reused` says which (a reused
  // connection may have been closed by the upstream meanwhile; callers retry once).
  Task<beast::error_code> Acquire(const UpstreamTarget& target, absl::Duration connect_timeout,
                                  std::optional<beast::tcp_stream>& out, bool& reused);
  // Returns a connection whose last response was read completely and kept alive.
  void Release(const UpstreamTarget& target, beast::tcp_stream&& stream);

 private:
  size_t max_idle_per_target_;
  std::map<std::string, std::vector<beast::tcp_stream>> idle_;
};

}  // namespace mcpauth::gw
