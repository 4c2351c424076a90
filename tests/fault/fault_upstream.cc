// mcpauth-fault-upstream PORT: an MCP upstream for fault-injection tests, run as its
// own process so a test can kill it mid-stream. Answers by the tool name of a
// tools/call:
//   "slow"    the result after 1.5 s (requests in flight during a SIGTERM); logs
//             "slow request started" when it arrives
//   "stream"  an SSE response, one event every 100 ms for up to 2 minutes (a stream
//             the test cuts by killing this process)
//   anything  at once, a result that reports what identity reached the upstream:
//             {"subject":…, "scopes":…, "anonymous":…, "authorization":…}
// An initialize opens a session: its answer carries Mcp-Session-Id (fault-N), and
// the connection closes after it.
// GET opens the same kind of SSE stream. Keep-alive; one thread.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "tools/benchmarks/loopback_server.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// A JSON string literal for header values (they hold no quotes or control bytes
// in these tests, but escape the two that would break the document anyway).
std::string Quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

asio::awaitable<void> Stream(beast::tcp_stream& stream, const std::string& id) {
  if (co_await mcpauth::loopback::WriteSseHead(stream)) co_return;
  asio::steady_timer timer(stream.get_executor());
  for (int i = 0; i < 1200; ++i) {
    const std::string event =
        "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
        "\"params\":{\"progressToken\":" +
        id + ",\"progress\":" + std::to_string(i) + "}}\n\n";
    auto [ec, n] =
        co_await asio::async_write(stream, http::make_chunk(asio::buffer(event)), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    timer.expires_after(100ms);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_await asio::async_write(stream, http::make_chunk_last(), asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<std::optional<std::string>> Answer(beast::tcp_stream& stream, const mcpauth::loopback::Request& req) {
  const std::string& body = req.body();
  const std::string id = mcpauth::loopback::JsonRpcIdOf(body);
  if (req.method() == http::verb::get || body.find("\"name\":\"stream\"") != std::string::npos) {
    // Tests poll the log for this line to know a stream is open.
    std::printf("stream started\n");
    std::fflush(stdout);
    co_await Stream(stream, id);
    co_return std::nullopt;
  }
  if (body.find("\"method\":\"initialize\"") != std::string::npos) {
    static int sessions = 0;
    http::response<http::string_body> res(http::status::ok, 11);
    res.set(http::field::content_type, "application/json");
    res.set("Mcp-Session-Id", "fault-" + std::to_string(++sessions));
    res.body() = "{\"jsonrpc\":\"2.0\",\"id\":" + id +
                 ",\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                 "\"serverInfo\":{\"name\":\"fault-upstream\",\"version\":\"1\"}}}";
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    co_return std::nullopt;
  }
  if (body.find("\"name\":\"slow\"") != std::string::npos) {
    // Tests poll the log for this line to know a slow request is in flight.
    std::printf("slow request started\n");
    std::fflush(stdout);
    asio::steady_timer timer(stream.get_executor(), 1500ms);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return "{\"jsonrpc\":\"2.0\",\"id\":" + id +
      ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"subject\":" +
      Quoted(req["X-MCP-Auth-Subject"]) + ",\"scopes\":" + Quoted(req["X-MCP-Auth-Scopes"]) +
      ",\"anonymous\":" + Quoted(req["X-MCP-Auth-Anonymous"]) +
      ",\"authorization\":" + Quoted(req[http::field::authorization]) + "}}";
}

asio::awaitable<void> Serve(tcp::socket socket) { return mcpauth::loopback::ServeRequests(std::move(socket), Answer); }

}  // namespace

int main(int argc, char** argv) {
  return mcpauth::loopback::RunServer(argc, argv, "mcpauth-fault-upstream PORT", false, Serve);
}
