// Server-sent events (the MCP Streamable HTTP response stream), split event by event
// so a gateway that must rewrite messages (list filtering) can do it per event while
// still relaying each event as soon as it is complete.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpauth::gw {

class SseEventSplitter {
 public:
  // Appends bytes; returns the events completed by them, each with its terminating
  // blank line, exactly as received.
  std::vector<std::string> Feed(std::string_view bytes);
  // Bytes of an event not yet terminated.
  const std::string& pending() const { return pending_; }

 private:
  std::string pending_;
};

// Rewrites the data of one event with `transform` (which receives the joined data
// lines and returns the replacement, or nullopt to keep the event as it was). Other
// fields (event, id, retry, comments) are kept in order.
std::string RewriteSseEvent(std::string_view event,
                            const std::function<std::optional<std::string>(std::string_view)>& transform);

// One SSE event carrying `data` (a JSON-RPC message serialized on one line).
std::string SseMessageEvent(std::string_view data);

}  // namespace mcpauth::gw
