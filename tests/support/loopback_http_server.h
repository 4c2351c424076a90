// A scriptable HTTP/1.1 server on 127.0.0.1 for tests (Boost.Beast on its own
// thread): plays a JWKS endpoint, an authorization server or an upstream. Each
// path answers with a fixed reply or a handler, both replaceable while it runs;
// requests are counted per path. Stop() closes the listener so connections are
// refused (an outage); Start() again listens on the same port (the recovery).
//
// One request at a time, one request per connection (every reply says
// "Connection: close"), which is all tests need and keeps Stop() immediate.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace mcpauth::test {

struct HttpRequestInfo {
  std::string method;
  std::string target;  // as sent, with the query
  std::string path;    // the target without the query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header named `name` (any case), or "".
  std::string Header(std::string_view name) const;
};

struct HttpReply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Extra headers, e.g. {"Cache-Control", "max-age=60"}.
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpReply(const HttpRequestInfo&)>;

class LoopbackHttpServer {
 public:
  LoopbackHttpServer();
  ~LoopbackHttpServer();  // Stop()
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  // Listens on 127.0.0.1: a port the kernel picks the first time, the same port
  // on every later Start().
  absl::Status Start();
  // Closes the listener and any open connection; waits for the server thread.
  void Stop();
  bool running() const;

  int port() const;  // 0 before the first Start()
  // http://127.0.0.1:PORT + path
  std::string Url(std::string_view path = "") const;

  // Requests to `path` (exact match, query ignored) get what `handler` returns
  // (called on the server thread). Unknown paths get 404.
  void SetHandler(std::string path, HttpHandler handler);
  // Requests to `path` get a copy of `reply`.
  void SetResponse(std::string path, HttpReply reply);
  // Requests received for `path` (including those answered 404).
  int RequestCount(std::string_view path) const;
  int TotalRequests() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mcpauth::test
