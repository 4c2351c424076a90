// mcpauth-bench-upstream PORT [THREADS]: a minimal, fast MCP upstream for benchmarks.
// Answers every POST with a JSON-RPC result for the request's id (a tools/call
// result), keep-alive, so what is measured in front of it is the layer in front of it.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>
#include <string>

#include "tools/benchmarks/loopback_server.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

asio::awaitable<std::optional<std::string>> Answer(beast::tcp_stream& stream, const mcpauth::loopback::Request& req) {
  if (req.method() == http::verb::get) {
    // An MCP GET stream: headers, then nothing until the client goes away.
    if (co_await mcpauth::loopback::WriteSseHead(stream)) co_return std::nullopt;
    char sink[64];
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    (void)ec;
    co_return std::nullopt;
  }
  co_return "{\"jsonrpc\":\"2.0\",\"id\":" + mcpauth::loopback::JsonRpcIdOf(req.body()) +
      ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}";
}

asio::awaitable<void> Serve(tcp::socket socket) { return mcpauth::loopback::ServeRequests(std::move(socket), Answer); }

}  // namespace

int main(int argc, char** argv) {
  return mcpauth::loopback::RunServer(argc, argv, "mcpauth-bench-upstream PORT [THREADS]", true, Serve);
}
