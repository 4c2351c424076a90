// The skeleton the small loopback HTTP programs share (mcpauth-bench-upstream,
// tests/fault's mcpauth-fault-upstream): listen on 127.0.0.1:PORT, run one coroutine
// per accepted connection on `threads` threads, stop on SIGINT / SIGTERM.
#pragma once

#include <boost/asio.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
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

}  // namespace mcpauth::loopback
