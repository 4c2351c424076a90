#include "tests/support/scripted_upstream.h"

#include <sys/socket.h>

#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "services/common/strings.h"

namespace mcpauth::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::vector<std::string> ReceivedRequest::Values(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) values.push_back(v);
  }
  return values;
}

std::string RawResponse(int status, std::string_view body, std::string_view headers) {
  return StrCat("HTTP/1.1 ", status, " X\r\n", headers, "Content-Length: ", body.size(), "\r\n\r\n", body);
}

struct ScriptedUpstream::State {
  mutable std::mutex mu;
  ScriptedHandler handler;
  std::vector<ReceivedRequest> requests;
  std::vector<int> open_fds;  // to shut down at Stop
  int connections = 0;
  int late_writes = 0;
  int port = 0;

  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread accept_thread;
  std::vector<std::thread> connection_threads;

  void Serve(tcp::socket socket, int connection) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      http::read_header(socket, buffer, parser, ec);
      if (ec) break;
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        asio::write(socket, asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")), ec);
        if (ec) break;
      }
      http::read(socket, buffer, parser, ec);
      if (ec) break;
      const auto& message = parser.get();
      ReceivedRequest request;
      request.connection = connection;
      request.method = std::string(message.method_string());
      request.target = std::string(message.target());
      for (const auto& field : message) {
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      request.body = message.body();
      ScriptedHandler handler;
      {
        std::lock_guard<std::mutex> lock(mu);
        requests.push_back(request);
        handler = this->handler;
      }
      const ScriptedAnswer answer = handler ? handler(request) : ScriptedAnswer{RawResponse(200, "{}")};
      asio::write(socket, asio::buffer(answer.bytes), ec);
      if (ec) break;
      if (!answer.later.empty()) {
        std::this_thread::sleep_for(absl::ToChronoNanoseconds(answer.later_delay));
        asio::write(socket, asio::buffer(answer.later), ec);
        if (ec) break;
        std::lock_guard<std::mutex> lock(mu);
        ++late_writes;
      }
      if (answer.close) break;
    }
    {
      // Forgotten before it closes, so Stop never shuts down a reused descriptor.
      std::lock_guard<std::mutex> lock(mu);
      std::erase(open_fds, socket.native_handle());
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
};

ScriptedUpstream::ScriptedUpstream() : state_(std::make_shared<State>()) {}

ScriptedUpstream::~ScriptedUpstream() { Stop(); }

absl::Status ScriptedUpstream::Start() {
  State& s = *state_;
  boost::system::error_code ec;
  s.acceptor = std::make_unique<tcp::acceptor>(s.io);
  const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(StrCat("ScriptedUpstream: listen: ", ec.message()));
  s.port = s.acceptor->local_endpoint().port();
  s.accept_thread = std::thread([state = state_] {
    for (;;) {
      boost::system::error_code aec;
      tcp::socket socket(state->io);
      state->acceptor->accept(socket, aec);
      if (aec) return;  // closed by Stop
      std::lock_guard<std::mutex> lock(state->mu);
      const int connection = ++state->connections;
      state->open_fds.push_back(socket.native_handle());
      state->connection_threads.emplace_back(
          [state, connection](tcp::socket sock) { state->Serve(std::move(sock), connection); }, std::move(socket));
    }
  });
  return absl::OkStatus();
}

void ScriptedUpstream::Stop() {
  State& s = *state_;
  if (!s.acceptor) return;
  // shutdown() wakes a thread blocked in accept() or read() on the same socket.
  ::shutdown(s.acceptor->native_handle(), SHUT_RDWR);
  s.accept_thread.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    for (int fd : s.open_fds) ::shutdown(fd, SHUT_RDWR);
    threads.swap(s.connection_threads);
  }
  for (auto& t : threads) t.join();
  s.acceptor.reset();
}

int ScriptedUpstream::port() const { return state_->port; }

std::string ScriptedUpstream::Url(std::string_view path) const { return StrCat("http://127.0.0.1:", port(), path); }

void ScriptedUpstream::SetHandler(ScriptedHandler handler) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->handler = std::move(handler);
}

std::vector<ReceivedRequest> ScriptedUpstream::Requests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests;
}

int ScriptedUpstream::LateWrites() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->late_writes;
}

int ScriptedUpstream::Connections() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->connections;
}

}  // namespace mcpauth::test
