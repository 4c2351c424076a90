#include "gateway/upstream.h"

#include <poll.h>

#include <openssl/ssl.h>

#include "gateway/tls_context.h"
#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth::gw {

absl::StatusOr<UpstreamTarget> UpstreamTarget::Parse(const std::string& url) {
  auto parsed = ParseUri(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->scheme() != "http" && parsed->scheme() != "https") {
    return absl::InvalidArgumentError(StrCat("upstream \"", url, "\": expected an http:// or https:// URL"));
  }
  UpstreamTarget t;
  t.tls = parsed->scheme() == "https";
  t.host = std::string(parsed->host_address());
  t.tls_name = t.host;
  t.port = parsed->has_port() ? std::string(parsed->port()) : t.tls ? "443" : "80";
  t.path = std::string(parsed->encoded_path());
  if (t.path.empty()) t.path = "/";
  t.host_header = parsed->has_port() ? StrCat(parsed->encoded_host_and_port()) : std::string(parsed->encoded_host());
  return t;
}

Task<ResponseHeadOutcome> ReadFinalResponseHead(Stream& upstream, beast::flat_buffer& buffer,
                                                std::optional<http::response_parser<http::buffer_body>>& parser,
                                                bool head_request) {
  // A server has no reason to send more than a few interim answers; an upstream
  // that keeps sending them is not going to answer.
  constexpr int kMaxInterimResponses = 16;
  size_t total_read = 0;
  for (int interim = 0; interim <= kMaxInterimResponses; ++interim) {
    parser.emplace();
    parser->body_limit(boost::none);
    if (head_request) parser->skip(true);
    auto [ec, n] = co_await http::async_read_header(upstream, buffer, *parser, asio::as_tuple(asio::use_awaitable));
    total_read += n;
    if (ec == beast::error::timeout) co_return ResponseHeadOutcome::kTimeout;
    if (ec) co_return total_read == 0 && buffer.size() == 0 ? ResponseHeadOutcome::kClosedUnread : ResponseHeadOutcome::kBroken;
    const unsigned status = parser->get().result_int();
    if (status / 100 != 1) co_return ResponseHeadOutcome::kFinal;
    if (status == 101) co_return ResponseHeadOutcome::kUnexpected;
    // An interim response has no content (Beast's parser is already done with it).
  }
  co_return ResponseHeadOutcome::kUnexpected;
}

bool IdleConnectionIsClean(Stream& stream) {
  tcp::socket& socket = stream.socket();
  if (!socket.is_open()) return false;
  if (Stream::TlsStream* tls = stream.tls()) {
    // Records TLS has taken in but the HTTP side has not read: as good as bytes
    // on the socket (the upstream said something unasked).
    SSL* ssl = tls->native_handle();
    if (SSL_has_pending(ssl) != 0 || BIO_ctrl_pending(SSL_get_rbio(ssl)) != 0) return false;
  }
  pollfd p{.fd = socket.native_handle(), .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, 0) == 0;
}

Task<std::optional<ConnectFailure>> UpstreamPool::Acquire(const UpstreamTarget& target, absl::Duration connect_timeout,
                                                          std::optional<Stream>& out, bool& reused) {
  auto& idle = idle_[target.Key()];
  const auto now = std::chrono::steady_clock::now();
  while (!idle.empty()) {
    Idle candidate = std::move(idle.back());
    idle.pop_back();
    if (now - candidate.since <= absl::ToChronoNanoseconds(max_idle_time_) &&
        IdleConnectionIsClean(candidate.stream)) {
      out.emplace(std::move(candidate.stream));
      reused = true;
      co_return std::nullopt;
    }
  }
  reused = false;
  auto failed = [](const beast::error_code& ec, std::string detail) {
    return ConnectFailure{ec == beast::error::timeout ? ConnectFailure::Kind::kTimeout : ConnectFailure::Kind::kUnreachable,
                          std::move(detail)};
  };
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(target.host, target.port, asio::as_tuple(asio::use_awaitable));
  if (rec) co_return failed(rec, StrCat("cannot resolve \"", target.host, "\": ", rec.message()));
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_after(absl::ToChronoNanoseconds(connect_timeout));
  auto [cec, endpoint] = co_await tcp_stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  if (cec) co_return failed(cec, StrCat("cannot connect: ", cec.message()));
  tcp_stream.socket().set_option(tcp::no_delay(true));
  if (!target.tls) {
    out.emplace(std::move(tcp_stream));
    co_return std::nullopt;
  }
  // The handshake shares the connect timeout: both are "reaching the upstream".
  Stream stream(std::move(tcp_stream), target.tls_source->Current());
  if (absl::Status s = PrepareUpstreamTls(*stream.tls(), target.tls_name); !s.ok()) {
    co_return ConnectFailure{ConnectFailure::Kind::kTls, std::string(s.message())};
  }
  auto [hec] = co_await stream.tls()->async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
  if (hec) {
    if (hec == beast::error::timeout) co_return failed(hec, "TLS handshake timed out");
    co_return ConnectFailure{ConnectFailure::Kind::kTls, TlsFailureDetail(*stream.tls(), hec)};
  }
  out.emplace(std::move(stream));
  co_return std::nullopt;
}

void UpstreamPool::Release(const UpstreamTarget& target, Stream&& stream) {
  auto& idle = idle_[target.Key()];
  if (idle.size() >= max_idle_per_target_) return;  // closed on destruction
  stream.expires_never();
  idle.push_back(Idle{std::move(stream), std::chrono::steady_clock::now()});
}

}  // namespace mcpauth::gw
