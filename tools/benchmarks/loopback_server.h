// The skeleton the small loopback HTTP programs share (mcpauth-bench-upstream,
// tests/fault's mcpauth-fault-upstream): listen on 127.0.0.1:PORT, run one coroutine
// per accepted connection on `threads` threads, stop on SIGINT / SIGTERM; and the
// per-connection request loop of a JSON-RPC upstream.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mcpauth::loopback {

using ConnectionHandler = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

// `usage` is printed when PORT is missing; THREADS (argv[2]) is read only when
// `threads_from_args`. Returns the process exit code.
inline int RunServer(int argc, char** argv, const char* usage, bool threads_from_args, ConnectionHandler serve) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s\n", usage);
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const int threads = threads_from_args && argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
  asio::io_context io(threads);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
          if (ec) continue;
          socket.set_option(tcp::no_delay(true));
          asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
        }
      },
      asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, auto) { io.stop(); });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return 0;
}

using Request = boost::beast::http::request<boost::beast::http::string_body>;
// Answers one request: the JSON text of a 200 application/json reply, or nothing
// when it has answered on `stream` itself (an SSE stream), which ends the connection.
using RequestHandler = boost::asio::awaitable<std::optional<std::string>> (*)(boost::beast::tcp_stream& stream,
                                                                             const Request& request);

// The request's JSON-RPC id as JSON text ("1", "\"a\""); "null" when there is none.
inline std::string JsonRpcIdOf(const std::string& body) {
  boost::system::error_code ec;
  const boost::json::value request = boost::json::parse(body, ec);
  const boost::json::value* id = !ec && request.is_object() ? request.as_object().if_contains("id") : nullptr;
  return id == nullptr ? "null" : boost::json::serialize(*id);
}

// Writes the head of a chunked text/event-stream 200 reply; the error, if any.
inline boost::asio::awaitable<boost::system::error_code> WriteSseHead(boost::beast::tcp_stream& stream) {
  namespace http = boost::beast::http;
  http::response<http::empty_body> head(http::status::ok, 11);
  head.set(http::field::content_type, "text/event-stream");
  head.chunked(true);
  http::response_serializer<http::empty_body> serializer(head);
  auto [ec, n] = co_await http::async_write_header(stream, serializer, boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return ec;
}

// One connection: reads requests, answers each through `handle`, keeps the
// connection while the client asks for keep-alive.
inline boost::asio::awaitable<void> ServeRequests(boost::asio::ip::tcp::socket socket, RequestHandler handle) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  boost::beast::tcp_stream stream(std::move(socket));
  boost::beast::flat_buffer buffer;
  for (;;) {
    Request req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    std::optional<std::string> body = co_await handle(stream, req);
    if (!body) break;
    http::response<http::string_body> res(http::status::ok, 11);
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(*body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !req.keep_alive()) break;
  }
  boost::beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace mcpauth::loopback
