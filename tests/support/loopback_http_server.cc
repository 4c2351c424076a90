#include "tests/support/loopback_http_server.h"

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "services/common/strings.h"

namespace mcpauth::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(10);

std::string PathOf(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return std::string(target.substr(0, target.find('?')));
  return std::string(parsed->encoded_path());
}

}  // namespace

std::string HttpRequestInfo::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return "";
}

struct LoopbackHttpServer::State {
  // Configuration and counters, touched by both threads.
  mutable std::mutex mu;
  std::map<std::string, HttpHandler, std::less<>> handlers;
  std::map<std::string, int, std::less<>> counts;
  int total = 0;
  int port = 0;

  // Owned by the thread calling Start()/Stop().
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  HttpReply Dispatch(const HttpRequestInfo& request) {
    HttpHandler handler;
    {
      std::lock_guard<std::mutex> lock(mu);
      ++counts[request.path];
      ++total;
      if (auto it = handlers.find(request.path); it != handlers.end()) handler = it->second;
    }
    if (!handler) return HttpReply{.status = 404, .body = "not found", .content_type = "text/plain"};
    return handler(request);
  }

  void Accept() {
    acceptor->async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // the acceptor was closed
      Serve(std::make_shared<beast::tcp_stream>(std::move(socket)));
      Accept();
    });
  }

  // Reads one request, answers it and closes the connection.
  void Serve(std::shared_ptr<beast::tcp_stream> stream) {
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto request = std::make_shared<http::request<http::string_body>>();
    stream->expires_after(kIoTimeout);
    http::async_read(*stream, *buffer, *request,
                     [this, stream, buffer, request](beast::error_code ec, size_t) {
                       if (ec) return;
                       Respond(stream, *request);
                     });
  }

  void Respond(std::shared_ptr<beast::tcp_stream> stream, const http::request<http::string_body>& request) {
    HttpRequestInfo info;
    info.method = std::string(request.method_string());
    info.target = std::string(request.target());
    info.path = PathOf(info.target);
    for (const auto& field : request) {
      info.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    info.body = request.body();
    const HttpReply reply = Dispatch(info);

    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(reply.status), request.version());
    response->set(http::field::server, "mcpauth-test");
    response->set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) response->set(name, value);
    response->body() = reply.body;
    response->keep_alive(false);
    response->prepare_payload();
    stream->expires_after(kIoTimeout);
    http::async_write(*stream, *response, [stream, response](beast::error_code, size_t) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }
};

LoopbackHttpServer::LoopbackHttpServer() : state_(std::make_unique<State>()) {}

LoopbackHttpServer::~LoopbackHttpServer() { Stop(); }

absl::Status LoopbackHttpServer::Start() {
  State& s = *state_;
  if (s.io) return absl::FailedPreconditionError("LoopbackHttpServer already running");
  auto io = std::make_unique<asio::io_context>(1);
  auto acceptor = std::make_unique<tcp::acceptor>(*io);
  beast::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), static_cast<uint16_t>(port()));
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(StrCat("LoopbackHttpServer: listen on ", port(), ": ", ec.message()));
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.port = acceptor->local_endpoint().port();
  }
  s.io = std::move(io);
  s.acceptor = std::move(acceptor);
  s.Accept();
  s.thread = std::thread([io = s.io.get()] { io->run(); });
  return absl::OkStatus();
}

void LoopbackHttpServer::Stop() {
  State& s = *state_;
  if (!s.io) return;
  s.io->stop();
  s.thread.join();
  // Closing the listener refuses new connections; destroying the io_context
  // destroys the pending handlers and with them every open connection.
  s.acceptor.reset();
  s.io.reset();
}

bool LoopbackHttpServer::running() const { return state_->io != nullptr; }

int LoopbackHttpServer::port() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->port;
}

std::string LoopbackHttpServer::Url(std::string_view path) const {
  return StrCat("http://127.0.0.1:", port(), path);
}

void LoopbackHttpServer::SetHandler(std::string path, HttpHandler handler) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->handlers[std::move(path)] = std::move(handler);
}

void LoopbackHttpServer::SetResponse(std::string path, HttpReply reply) {
  SetHandler(std::move(path), [reply = std::move(reply)](const HttpRequestInfo&) { return reply; });
}

int LoopbackHttpServer::RequestCount(std::string_view path) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->counts.find(path);
  return it == state_->counts.end() ? 0 : it->second;
}

int LoopbackHttpServer::TotalRequests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->total;
}

}  // namespace mcpauth::test
