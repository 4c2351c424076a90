#include "gateway/upstream.h"

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

Task<beast::error_code> UpstreamPool::Acquire(const UpstreamTarget& target, absl::Duration connect_timeout,
                                              std::optional<beast::tcp_stream>& out, bool& reused) {
  auto& idle = idle_[target.Key()];
  while (!idle.empty()) {
    beast::tcp_stream stream = std::move(idle.back());
    idle.pop_back();
    if (stream.socket().is_open()) {
      out.emplace(std::move(stream));
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
  idle.push_back(std::move(stream));
}

}  // namespace mcpauth::gw
