#include "gateway/upstream.h"

#include <poll.h>

#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth::gw {

absl::StatusOr<UpstreamTarget> UpstreamTarget::Parse(const std::string& url) {
  auto parsed = ParseUri(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->scheme() != "http") {
    return absl::InvalidArgumentError(
        StrCat("upstream \"", url, "\": only http:// upstreams are supported (the gateway terminates TLS "
               "towards clients; upstreams are reached inside the cluster)"));
  }
  UpstreamTarget t;
  t.host = std::string(parsed->host_address());
  t.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  t.path = std::string(parsed->encoded_path());
  if (t.path.empty()) t.path = "/";
  t.host_header = parsed->has_port() ? StrCat(parsed->encoded_host_and_port()) : std::string(parsed->encoded_host());
  return t;
}

Task<ResponseHeadOutcome> ReadFinalResponseHead(beast::tcp_stream& upstream, beast::flat_buffer& buffer,
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

bool IdleConnectionIsClean(tcp::socket& socket) {
  if (!socket.is_open()) return false;
  pollfd p{.fd = socket.native_handle(), .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, 0) == 0;
}

Task<beast::error_code> UpstreamPool::Acquire(const UpstreamTarget& target, absl::Duration connect_timeout,
                                              std::optional<beast::tcp_stream>& out, bool& reused) {
  auto& idle = idle_[target.Key()];
  const auto now = std::chrono::steady_clock::now();
  while (!idle.empty()) {
    Idle candidate = std::move(idle.back());
    idle.pop_back();
    if (now - candidate.since <= absl::ToChronoNanoseconds(max_idle_time_) &&
        IdleConnectionIsClean(candidate.stream.socket())) {
      out.emplace(std::move(candidate.stream));
      reused = true;
      co_return beast::error_code{};
    }
  }
  reused = false;
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(target.host, target.port, asio::as_tuple(asio::use_awaitable));
  if (rec) co_return rec;
  beast::tcp_stream stream(executor);
  stream.expires_after(absl::ToChronoNanoseconds(connect_timeout));
  auto [cec, endpoint] = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  if (cec) co_return cec;
  stream.socket().set_option(tcp::no_delay(true));
  out.emplace(std::move(stream));
  co_return beast::error_code{};
}

void UpstreamPool::Release(const UpstreamTarget& target, beast::tcp_stream&& stream) {
  auto& idle = idle_[target.Key()];
  if (idle.size() >= max_idle_per_target_) return;  // closed on destruction
  stream.expires_never();
  idle.push_back(Idle{std::move(stream), std::chrono::steady_clock::now()});
}

}  // namespace mcpauth::gw
