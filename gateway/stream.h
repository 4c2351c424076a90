// A connection the gateway reads and writes: plain TCP, or TLS over it (a client's
// connection when gateway.tls is on, an https upstream's). One type for both, so the
// request path, the relay and the upstream pool do not care which. Timeouts are the
// TCP layer's (Beast's tcp_stream), and apply to TLS reads and writes alike.
#pragma once

#include <chrono>
#include <memory>
#include <utility>
#include <variant>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "gateway/http.h"

namespace mcpauth::gw {

namespace ssl = asio::ssl;

class Stream {
 public:
  using executor_type = beast::tcp_stream::executor_type;
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;

  explicit Stream(beast::tcp_stream tcp) : layer_(std::move(tcp)) {}
  // TLS over `tcp`, its handshake still to be made; the stream keeps `context` alive.
  Stream(beast::tcp_stream tcp, std::shared_ptr<ssl::context> context)
      : context_(std::move(context)), layer_(std::in_place_type<TlsStream>, std::move(tcp), *context_) {}

  executor_type get_executor() { return tcp().get_executor(); }
  beast::tcp_stream& tcp() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, layer_);
  }
  tcp::socket& socket() { return tcp().socket(); }
  template <typename Duration>
  void expires_after(Duration d) {
    tcp().expires_after(d);
  }
  void expires_never() { tcp().expires_never(); }

  // Null for plain TCP.
  TlsStream* tls() { return std::get_if<TlsStream>(&layer_); }

  // AsyncReadStream and AsyncWriteStream, as Beast's HTTP functions want them.
  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, layer_);
        },
        token, buffers);
  }
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          std::visit([&](auto& s) { s.async_write_some(b, std::move(handler)); }, layer_);
        },
        token, buffers);
  }

  // Ends the connection: for TLS a close_notify first (bounded by `grace`; the
  // peer's answer to it is not awaited past that), then the TCP send side.
  Task<void> Close(std::chrono::milliseconds grace);

 private:
  std::shared_ptr<ssl::context> context_;
  std::variant<beast::tcp_stream, TlsStream> layer_;
};

}  // namespace mcpauth::gw
