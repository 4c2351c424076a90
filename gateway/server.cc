#include "gateway/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "services/common/log.h"
#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

absl::StatusOr<tcp::endpoint> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError(StrCat("\"", listen, "\" is not host:port"));
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int64_t port = 0;
  if (!ParseInt64(std::string_view(listen).substr(colon + 1), port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(StrCat("\"", listen, "\" has a bad port"));
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("\"", listen, "\": \"", host, "\" is not an IP address"));
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

Response PlainError(http::status status, std::string_view message) {
  Response res = Gateway::JsonResponse(status, StrCat(R"({"error":")", message, R"("})"), false);
  return res;
}

}  // namespace

Server::~Server() {
  for (auto& w : workers_) {
    w->io.stop();
    if (w->thread.joinable()) w->thread.join();
  }
}

absl::Status Server::Start(const std::string& listen) {
  auto endpoint = ParseListen(listen);
  if (!endpoint.ok()) return endpoint.status();
  const int n = threads_ > 0 ? threads_ : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->acceptor = std::make_unique<tcp::acceptor>(w->io);
    boost::system::error_code ec;
    tcp::endpoint bind_to = *endpoint;
    if (i > 0) bind_to.port(port_);  // the port the first worker got (matters when 0 was asked)
    w->acceptor->open(bind_to.protocol(), ec);
    if (!ec) w->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      ::setsockopt(w->acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
      w->acceptor->bind(bind_to, ec);
    }
    if (!ec) w->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return absl::UnavailableError(StrCat("cannot listen on ", listen, ": ", ec.message()));
    if (i == 0) port_ = w->acceptor->local_endpoint().port();
    w->pool = std::make_unique<UpstreamPool>(gateway_->limits().upstream_idle_timeout);
    workers_.push_back(std::move(w));
  }
  asio::co_spawn(workers_.front()->io, RefreshTls(*workers_.front()), asio::detached);
  for (auto& w : workers_) {
    Worker* worker = w.get();
    asio::co_spawn(worker->io, Accept(*worker), asio::detached);
    worker->thread = std::thread([worker] { worker->io.run(); });
  }
  return absl::OkStatus();
}

Task<void> Server::Accept(Worker& worker) {
  for (;;) {
    auto [ec, socket] = co_await worker.acceptor->async_accept(as_tuple(use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !worker.acceptor->is_open()) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (open_connections_.load() >= gateway_->limits().max_connections) {
      // Holding connections open without using them must not keep others out.
      if (EvictWaiting(worker)) {
        gateway_->metrics()->CountDroppedConnection("evicted_waiting");
      } else {
        gateway_->metrics()->CountDroppedConnection("connection_limit");
        if (tls_ == nullptr) asio::co_spawn(worker.io, Refuse(std::move(socket)), asio::detached);
        continue;  // with TLS: closed (the socket goes out of scope)
      }
    }
    asio::co_spawn(worker.io, Serve(std::move(socket), worker), asio::detached);
  }
}

Task<void> Server::RefreshTls(Worker& worker) {
  asio::steady_timer timer(worker.io);
  while (!draining_) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(as_tuple(use_awaitable));
    if (ec) co_return;
    if (tls_ != nullptr) tls_->Current();
    gateway_->RefreshUpstreamTls();
  }
}

bool Server::EvictWaiting(Worker& worker) {
  for (Waiting& w : worker.waiting) {
    if (w.evicted) continue;
    w.evicted = true;
    boost::system::error_code ignored;
    w.stream->socket().close(ignored);  // its pending read ends; the connection goes
    return true;
  }
  return false;
}

Task<void> Server::Refuse(tcp::socket socket) {
  beast::tcp_stream client(std::move(socket));
  Response res = PlainError(http::status::service_unavailable, "too_many_connections");
  res.set(http::field::retry_after, "1");
  client.expires_after(std::chrono::seconds(1));
  co_await http::async_write(client, res, as_tuple(use_awaitable));
  boost::system::error_code ignored;
  client.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

Task<void> Server::Serve(tcp::socket socket, Worker& worker) {
  ++open_connections_;
  struct Closed {
    std::atomic<int64_t>& count;
    ~Closed() { --count; }
  } closed{open_connections_};
  const GatewayLimits& limits = gateway_->limits();
  GatewayMetrics* metrics = gateway_->metrics();
  boost::system::error_code peer_ec;
  const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
  Stream client = tls_ ? Stream(beast::tcp_stream(std::move(socket)), tls_->Current())
                       : Stream(beast::tcp_stream(std::move(socket)));
  // Until a request arrives the connection only waits: at the cap it may be closed
  // to make room (while its TLS handshake runs, too).
  auto wait_for = [&](auto operation) -> Task<std::pair<beast::error_code, bool>> {
    worker.waiting.push_back(Waiting{&client});
    const auto waiting = std::prev(worker.waiting.end());
    const beast::error_code ec = co_await operation();
    const bool evicted = waiting->evicted;
    worker.waiting.erase(waiting);
    co_return std::pair{ec, evicted};
  };
  if (Stream::TlsStream* tls = client.tls()) {
    client.expires_after(absl::ToChronoNanoseconds(limits.header_timeout));
    auto [hec, evicted] = co_await wait_for([&]() -> Task<beast::error_code> {
      auto [ec] = co_await tls->async_handshake(ssl::stream_base::server, as_tuple(use_awaitable));
      co_return ec;
    });
    if (hec || evicted) {
      if (!evicted) {
        metrics->CountDroppedConnection("tls_handshake");
        log::Debug("client TLS handshake failed", {{"peer", peer.address().to_string()}, {"error", hec.message()}});
      }
      co_return;
    }
  }
  beast::flat_buffer buffer;
  bool first = true;
  bool linger = false;  // input may be left unread at close
  auto reply_and_close = [&](http::status status, std::string_view message) -> Task<void> {
    Response res = PlainError(status, message);
    client.expires_after(absl::ToChronoNanoseconds(limits.write_timeout));
    co_await http::async_write(client, res, as_tuple(use_awaitable));
  };
  while (!draining_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
    client.expires_after(absl::ToChronoNanoseconds(first ? limits.header_timeout : limits.idle_timeout));
    auto [ec, evicted] = co_await wait_for([&]() -> Task<beast::error_code> {
      auto [ec, n] = co_await http::async_read_header(client, buffer, parser, as_tuple(use_awaitable));
      co_return ec;
    });
    if (evicted) break;
    if (ec) {
      if (ec == beast::error::timeout) {
        metrics->CountDroppedConnection(first || buffer.size() > 0 ? "header_timeout" : "idle");
      } else if (ec == http::error::body_limit) {
        // A Content-Length over the limit is refused before any body is read.
        metrics->CountDroppedConnection("body_too_large");
        co_await reply_and_close(http::status::payload_too_large, "request_body_too_large");
        linger = true;
      } else if (ec == http::error::header_limit) {
        metrics->CountDroppedConnection("header_too_large");
        co_await reply_and_close(http::status::request_header_fields_too_large, "request_header_too_large");
      } else if (ec != http::error::end_of_stream && ec != asio::error::eof && ec != asio::error::connection_reset) {
        // Malformed framing, including conflicting Content-Length / Transfer-Encoding:
        // refused, and the connection closed so nothing can be smuggled after it.
        metrics->CountDroppedConnection("bad_request");
        co_await reply_and_close(http::status::bad_request, "bad_request");
      }
      break;
    }
    // A request the pipeline will refuse whatever its body says (no credentials)
    // is read only as far as the answer needs; one announcing more is answered
    // from its header alone, and the connection closed after.
    const uint64_t body_limit = gateway_->BodyBytesToRead(parser.get());
    const bool limited = body_limit < static_cast<uint64_t>(limits.max_body_bytes);
    bool body_complete = !(limited && parser.content_length() && *parser.content_length() > body_limit);
    if (body_complete) {
      if (limited) parser.body_limit(body_limit);
      // The body is wanted: say so to a client waiting for it (RFC 9110 §10.1.1).
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> cont(http::status::continue_, 11);
        co_await http::async_write(client, cont, as_tuple(use_awaitable));
      }
      client.expires_after(absl::ToChronoNanoseconds(limits.header_timeout));
      auto [bec, bn] = co_await http::async_read(client, buffer, parser, as_tuple(use_awaitable));
      if (bec == http::error::body_limit && limited) {
        body_complete = false;
      } else if (bec) {
        if (bec == http::error::body_limit) {
          metrics->CountDroppedConnection("body_too_large");
          co_await reply_and_close(http::status::payload_too_large, "request_body_too_large");
          linger = true;
        } else if (bec == beast::error::timeout) {
          metrics->CountDroppedConnection("body_timeout");
        } else {
          metrics->CountDroppedConnection("bad_request");
          co_await reply_and_close(http::status::bad_request, "bad_request");
        }
        break;
      }
    }
    Request request = parser.release();
    if (!body_complete) {
      request.body().clear();
      request.keep_alive(false);
      linger = true;
    }
    if (draining_) request.keep_alive(false);
    ++active_requests_;
    const bool keep = co_await gateway_->Handle(request, client, peer, *worker.pool, body_complete);
    --active_requests_;
    if (!keep || !body_complete) break;
    first = false;
  }
  co_await client.Close(std::chrono::seconds(1));
  if (linger) {
    // Lingering close, as nginx does: input left unread when the socket closes makes
    // the kernel reset the connection, which can destroy the answer before the
    // client reads it. What still arrives is read and dropped, within bounds.
    char sink[16 * 1024];
    uint64_t drained = 0;
    client.expires_after(std::chrono::seconds(2));
    while (drained < static_cast<uint64_t>(limits.max_body_bytes)) {
      // Below TLS: what is left is only to be dropped.
      auto [ec, n] = co_await client.tcp().async_read_some(asio::buffer(sink), as_tuple(use_awaitable));
      if (ec) break;
      drained += n;
    }
  }
}

asio::any_io_executor Server::NextExecutor() {
  return workers_[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers_.size()]->io.get_executor();
}

void Server::Drain(absl::Duration grace) {
  draining_ = true;
  for (auto& w : workers_) {
    asio::post(w->io, [acceptor = w->acceptor.get()] {
      boost::system::error_code ec;
      acceptor->close(ec);
    });
  }
  const absl::Time deadline = absl::Now() + grace;
  while (active_requests_ > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  if (active_requests_ > 0) {
    log::Warn("grace period over; closing requests still in flight", {{"requests", active_requests_.load()}});
  }
  for (auto& w : workers_) w->io.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

}  // namespace mcpauth::gw
