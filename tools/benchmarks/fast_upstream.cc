// mcpauth-bench-upstream PORT [THREADS]: a minimal, fast MCP upstream for benchmarks.
// Answers every POST with a JSON-RPC result for the request's id (a tools/call
// result), keep-alive, so what is measured in front of it is the layer in front of it.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/benchmarks/loopback_server.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// The "id" of a JSON-RPC request, as raw JSON text ("1", "\"a\""); "null" if absent.
std::string IdOf(const std::string& body) {
  const size_t key = body.find("\"id\"");
  if (key == std::string::npos) return "null";
  size_t start = body.find(':', key) + 1;
  while (start < body.size() && body[start] == ' ') ++start;
  size_t end = start;
  if (end < body.size() && body[end] == '"') {
    end = body.find('"', end + 1) + 1;
  } else {
    while (end < body.size() && body[end] != ',' && body[end] != '}') ++end;
  }
  return body.substr(start, end - start);
}

asio::awaitable<void> Serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    if (req.method() == http::verb::get) {
      // An MCP GET stream: headers, then nothing until the client goes away.
      http::response<http::empty_body> head(http::status::ok, 11);
      head.set(http::field::content_type, "text/event-stream");
      head.chunked(true);
      http::response_serializer<http::empty_body> sr(head);
      auto [hec, hn] = co_await http::async_write_header(stream, sr, asio::as_tuple(asio::use_awaitable));
      if (hec) break;
      char sink[64];
      auto [rec, rn] = co_await stream.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
      (void)rec;
      break;
    }
    http::response<http::string_body> res(http::status::ok, 11);
    res.set(http::field::content_type, "application/json");
    res.body() = "{\"jsonrpc\":\"2.0\",\"id\":" + IdOf(req.body()) +
                 ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}";
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !req.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

int main(int argc, char** argv) {
  return mcpauth::loopback::RunServer(argc, argv, "mcpauth-bench-upstream PORT [THREADS]", true, Serve);
}
