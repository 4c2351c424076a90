// The gateway's connections: one io_context per thread, each with its own acceptor
// on the same port (SO_REUSEPORT lets the kernel spread connections) and its own
// upstream pool, so a request never crosses threads. Limits from the config: open
// connections (at the cap, a connection that is only waiting for a request is closed
// to make room; when none is, the new one gets a 503 and a close), header size and
// time, body size (413), idle keep-alive time. With gateway.tls, every connection is
// TLS: the handshake must end within the header timeout, and a connection over the
// cap is closed without an answer (a 503 would cost a handshake).
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gateway/gateway.h"

namespace mcpauth::gw {

class Server {
 public:
  // `tls`: set, clients connect with TLS (gateway.tls); not owned.
  Server(Gateway* gateway, int threads, TlsContextSource* tls = nullptr)
      : gateway_(gateway), threads_(threads), tls_(tls) {}
  ~Server();

  // Binds `listen` ("host:port"; port 0 picks one) on every thread and starts serving.
  absl::Status Start(const std::string& listen);
  unsigned short port() const { return port_; }

  // One of the workers' executors, in turn: where work that does not arrive on a
  // connection (ext_authz calls) runs its coroutines. After Start.
  asio::any_io_executor NextExecutor();

  // Stops accepting, lets requests in flight finish for up to `grace`, then stops.
  void Drain(absl::Duration grace);

 private:
  // A connection waiting for a request (its first, or the next on keep-alive):
  // the one kind that may be closed to make room for a new connection at the cap.
  struct Waiting {
    Stream* stream;
    bool evicted = false;
  };
  struct Worker {
    asio::io_context io{1};
    std::unique_ptr<tcp::acceptor> acceptor;
    std::unique_ptr<UpstreamPool> pool;
    std::thread thread;
    std::list<Waiting> waiting;  // oldest first; touched only on this worker's thread
  };
  // At the connection cap: closes this worker's longest-waiting connection; false
  // when none waits (every connection here is busy with a request).
  bool EvictWaiting(Worker& worker);
  Task<void> Accept(Worker& worker);
  // Once a second: TLS files due for a read are read (changes load without waiting
  // for a connection).
  Task<void> RefreshTls(Worker& worker);
  Task<void> Serve(tcp::socket socket, Worker& worker);
  // Over max_connections: a short 503 with Retry-After, then the connection closes.
  Task<void> Refuse(tcp::socket socket);

  Gateway* gateway_;
  int threads_;
  TlsContextSource* tls_;
  unsigned short port_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<int> active_requests_{0};
  std::atomic<int64_t> open_connections_{0};  // across workers: limits.max_connections
  std::atomic<bool> draining_{false};
  std::atomic<size_t> next_worker_{0};
};

}  // namespace mcpauth::gw
