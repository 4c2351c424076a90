// Relays an upstream response to the client as it arrives: SSE streams event by
// event (chunked), JSON bodies as they come, never buffered whole unless the
// gateway must rewrite them (list filtering, batch members it answered itself).
// Backpressure is natural: the next upstream read waits for the client write.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gateway/http.h"
#include "gateway/stream.h"

namespace mcpauth::gw {

struct RelayOptions {
  absl::Duration write_timeout = absl::Seconds(30);
  // Rewrites each JSON-RPC message (a JSON body, or an SSE event's data); nullopt
  // keeps it. Null: relay bytes untouched.
  std::function<std::optional<std::string>(std::string_view)> transform;
  // JSON-RPC messages the gateway answered itself (denied batch members), merged
  // into the reply: into a JSON array, or as SSE events ahead of the upstream's.
  std::vector<std::string> own_messages;
  // Headers added to the client response (CORS, …).
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // Largest JSON body the gateway will hold to rewrite.
  size_t max_rewrite_bytes = 16 * 1024 * 1024;
  // Called once when the response turns out to be a stream (text/event-stream), and
  // again (with false) when it ends: the open-stream gauge.
  std::function<void(bool)> on_stream;
  // The request was HEAD: the response has no content whatever its headers say.
  bool head_request = false;
};

struct RelayResult {
  unsigned status = 0;
  bool client_ok = true;           // the client connection can be reused
  bool upstream_reusable = false;  // the upstream connection can go back to the pool
  bool upstream_failed = false;    // the upstream broke off mid-response
};

// `parser` has read the upstream response header already.
Task<RelayResult> RelayResponse(Stream& upstream, beast::flat_buffer& upstream_buffer,
                                http::response_parser<http::buffer_body>& parser, Stream& client,
                                bool client_keep_alive, const RelayOptions& options);

// Headers that describe one connection, not the message (RFC 9110 §7.6.1).
bool IsHopByHopHeader(std::string_view name);

// The header names a message's Connection header lists (lower case): hop-by-hop
// for that message too.
std::vector<std::string> ConnectionTokens(const http::fields& fields);

// Responses without content (RFC 9110 §6.4.1): 1xx, 204, 304, and any answer to HEAD.
bool IsBodyless(unsigned status, bool head_request);

}  // namespace mcpauth::gw
