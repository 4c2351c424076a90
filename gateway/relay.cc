#include "gateway/relay.h"

#include <algorithm>

#include <boost/json.hpp>

#include "gateway/sse.h"
#include "services/common/json.h"
#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

constexpr size_t kChunk = 16 * 1024;

bool IsEventStream(const http::response_header<>& h) {
  return StartsWithIgnoreCase(TrimAsciiWhitespace(View(h[http::field::content_type])), "text/event-stream");
}

// The client response header: the upstream's status and end-to-end headers (not
// those its Connection header names, RFC 9110 §7.6.1).
http::response<http::empty_body> ClientHeader(const http::response_header<>& upstream, bool keep_alive,
                                              const RelayOptions& options) {
  http::response<http::empty_body> res;
  res.result(upstream.result_int());
  res.version(11);
  const std::vector<std::string> connection_tokens = ConnectionTokens(upstream);
  for (const auto& field : upstream) {
    const std::string_view name = View(field.name_string());
    if (IsHopByHopHeader(name) || field.name() == http::field::content_length ||
        std::find(connection_tokens.begin(), connection_tokens.end(), AsciiLower(name)) != connection_tokens.end()) {
      continue;
    }
    res.insert(field.name_string(), field.value());
  }
  for (const auto& [name, value] : options.extra_headers) res.set(name, value);
  res.keep_alive(keep_alive);
  return res;
}

// Merges the gateway's own messages into a JSON reply body (object or array).
std::string MergeJson(std::string_view body, const std::vector<std::string>& own) {
  std::string out = "[";
  bool first = true;
  auto add = [&](std::string_view m) {
    if (!first) out.push_back(',');
    out.append(m);
    first = false;
  };
  for (const std::string& m : own) add(m);
  boost::json::value upstream;
  if (!TrimAsciiWhitespace(body).empty() && ParseStrictJson(body, upstream) == JsonParseError::kNone) {
    if (upstream.is_array()) {
      for (const auto& m : upstream.get_array()) add(ToJson(m));
    } else {
      add(body);
    }
  }
  out.push_back(']');
  return out;
}

}  // namespace

std::vector<std::string> ConnectionTokens(const http::fields& fields) {
  std::vector<std::string> tokens;
  auto [begin, end] = fields.equal_range(http::field::connection);
  for (auto it = begin; it != end; ++it) {
    for (std::string_view t : SplitSkipEmpty(View(it->value()), ',')) tokens.push_back(AsciiLower(TrimAsciiWhitespace(t)));
  }
  return tokens;
}

bool IsBodyless(unsigned status, bool head_request) {
  return head_request || status / 100 == 1 || status == 204 || status == 304;
}

bool IsHopByHopHeader(std::string_view name) {
  for (std::string_view h : {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
                             "upgrade", "proxy-authenticate", "proxy-authorization"}) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}

Task<RelayResult> RelayResponse(Stream& upstream, beast::flat_buffer& upstream_buffer,
                                http::response_parser<http::buffer_body>& parser, Stream& client,
                                bool client_keep_alive, const RelayOptions& options) {
  RelayResult result;
  const http::response_header<>& head = parser.get().base();
  result.status = head.result_int();
  const bool bodyless = IsBodyless(result.status, options.head_request);
  const bool stream = !bodyless && IsEventStream(head);
  const bool rewrite = !options.own_messages.empty() || (options.transform && !bodyless);
  // The connection can serve another request only at a message boundary: the
  // response read to its end and not one byte beyond it.
  auto at_boundary = [&] { return parser.is_done() && parser.keep_alive() && upstream_buffer.size() == 0; };
  char buffer[kChunk];

  // Reads the next piece of the upstream body into `buffer`; returns bytes read,
  // 0 at the end; sets upstream_failed on errors.
  auto read_some = [&]() -> Task<size_t> {
    upstream.expires_never();
    // A read may parse only framing (a chunk header) and yield no body bytes; keep
    // reading until there are some or the message is complete.
    while (!parser.is_done()) {
      parser.get().body().data = buffer;
      parser.get().body().size = sizeof(buffer);
      auto [ec, n] = co_await http::async_read_some(upstream, upstream_buffer, parser, as_tuple(use_awaitable));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        result.upstream_failed = true;
        co_return 0;
      }
      const size_t got = sizeof(buffer) - parser.get().body().size;
      if (got > 0) co_return got;
    }
    co_return 0;
  };
  auto write = [&](auto buffers) -> Task<bool> {
    client.expires_after(absl::ToChronoNanoseconds(options.write_timeout));
    auto [ec, n] = co_await asio::async_write(client, buffers, as_tuple(use_awaitable));
    if (ec) result.client_ok = false;
    co_return !ec;
  };
  auto write_header = [&](http::response<http::empty_body>& res) -> Task<bool> {
    http::response_serializer<http::empty_body> sr(res);
    client.expires_after(absl::ToChronoNanoseconds(options.write_timeout));
    auto [ec, n] = co_await http::async_write_header(client, sr, as_tuple(use_awaitable));
    if (ec) result.client_ok = false;
    co_return !ec;
  };

  if (!stream && rewrite) {
    // A JSON reply the gateway must edit: hold it (bounded), edit, send.
    std::string body;
    for (;;) {
      const size_t n = co_await read_some();
      if (n == 0) break;
      body.append(buffer, n);
      if (body.size() > options.max_rewrite_bytes) {
        result.upstream_failed = true;
        break;
      }
    }
    if (result.upstream_failed) {
      result.client_ok = false;
      co_return result;
    }
    if (options.transform) {
      if (auto replaced = options.transform(body)) body = std::move(*replaced);
    }
    if (!options.own_messages.empty()) body = MergeJson(body, options.own_messages);
    http::response<http::empty_body> res = ClientHeader(head, client_keep_alive, options);
    if (!options.own_messages.empty()) {
      // The gateway's replies need a body: an upstream 202 (or 204) becomes 200.
      if (res.result() == http::status::accepted || res.result() == http::status::no_content) {
        res.result(http::status::ok);
      }
      res.set(http::field::content_type, "application/json");
    }
    res.content_length(body.size());
    if (!co_await write_header(res)) co_return result;
    co_await write(asio::buffer(body));
    result.upstream_reusable = at_boundary();
    result.client_ok = result.client_ok && client_keep_alive;
    co_return result;
  }

  http::response<http::empty_body> res = ClientHeader(head, client_keep_alive, options);
  if (bodyless) {
    // No Content-Length, no chunked framing, no bytes after the header (RFC 9112 §6.3).
    if (!co_await write_header(res)) co_return result;
    result.upstream_reusable = at_boundary();
    result.client_ok = result.client_ok && client_keep_alive;
    co_return result;
  }
  const bool known_length = !stream && (parser.content_length().has_value() || parser.is_done());
  if (known_length) {
    res.content_length(parser.content_length().value_or(0));
  } else {
    res.chunked(true);
  }
  if (!co_await write_header(res)) co_return result;
  if (stream && options.on_stream) options.on_stream(true);

  SseEventSplitter splitter;
  bool first_chunk = true;
  while (result.client_ok) {
    const size_t n = co_await read_some();
    if (n == 0) break;
    std::string_view piece(buffer, n);
    std::string edited;
    if (stream && rewrite) {
      if (first_chunk) {
        for (const std::string& m : options.own_messages) edited += SseMessageEvent(m);
      }
      for (const std::string& event : splitter.Feed(piece)) {
        edited += options.transform ? RewriteSseEvent(event, options.transform) : event;
      }
      piece = edited;
    }
    first_chunk = false;
    if (piece.empty()) continue;
    if (known_length) {
      co_await write(asio::buffer(piece.data(), piece.size()));
    } else {
      co_await write(http::make_chunk(asio::buffer(piece.data(), piece.size())));
    }
  }
  if (stream && options.on_stream) options.on_stream(false);
  if (result.client_ok && !known_length) {
    if (result.upstream_failed) {
      // End the chunked body without its last chunk: the client sees the stream
      // broke rather than a clean end.
      result.client_ok = false;
    } else {
      co_await write(http::make_chunk_last());
    }
  }
  if (result.upstream_failed) result.client_ok = false;
  result.upstream_reusable = !result.upstream_failed && at_boundary();
  result.client_ok = result.client_ok && client_keep_alive;
  co_return result;
}

}  // namespace mcpauth::gw
