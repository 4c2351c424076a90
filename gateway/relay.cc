#include "gateway/relay.h"

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

// The client response header: the upstream's status and end-to-end headers.
http::response<http::empty_body> ClientHeader(const http::response_header<>& upstream, bool keep_alive,
                                              const RelayOptions& options) {
  http::response<http::empty_body> res;
  res.result(upstream.result_int());
  res.version(11);
  for (const auto& field : upstream) {
    if (IsHopByHopHeader(View(field.name_string())) || field.name() == http::field::content_length) continue;
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

bool IsHopByHopHeader(std::string_view name) {
  for (std::string_view h : {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
                             "upgrade", "proxy-authenticate", "proxy-authorization"}) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}

Task<RelayResult> RelayResponse(beast::tcp_stream& upstream, beast::flat_buffer& upstream_buffer,
                                http::response_parser<http::buffer_body>& parser, beast::tcp_stream& client,
                                bool client_keep_alive, const RelayOptions& options) {
  RelayResult result;
  const http::response_header<>& head = parser.get().base();
  result.status = head.result_int();
  const bool stream = IsEventStream(head);
  const bool rewrite = options.transform || !options.own_messages.empty();
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
    result.body_bytes += n;
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
    if (!options.own_messages.empty() && res.result() == http::status::accepted) res.result(http::status::ok);
    if (!options.own_messages.empty()) res.set(http::field::content_type, "application/json");
    res.content_length(body.size());
    if (!co_await write_header(res)) co_return result;
    co_await write(asio::buffer(body));
    result.upstream_reusable = parser.is_done() && parser.keep_alive();
    result.client_ok = result.client_ok && client_keep_alive;
    co_return result;
  }

  const bool known_length = parser.content_length().has_value() && !stream;
  http::response<http::empty_body> res = ClientHeader(head, client_keep_alive, options);
  if (known_length) {
    res.content_length(*parser.content_length());
  } else if (parser.is_done()) {
    res.content_length(0);
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
  result.upstream_reusable = !result.upstream_failed && parser.is_done() && parser.keep_alive();
  result.client_ok = result.client_ok && client_keep_alive;
  co_return result;
}

}  // namespace mcpauth::gw
