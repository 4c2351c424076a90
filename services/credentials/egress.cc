#include "services/credentials/egress.h"

#include <openssl/crypto.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <condition_variable>
#include <mutex>
#include <set>

#include "services/common/http_fetcher.h"
#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/strings.h"
#include "services/common/url_policy.h"
#include "services/credentials/grant.h"

namespace mcpauth::credentials {
namespace {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// What an MCP server sends that never goes to the third party: framing and routing
// (the service sets them), the egress's own headers, credentials of any kind (the
// credential is the one added), and forwarding headers that would name the cluster.
bool NeverPassedOn(std::string_view name) {
  const std::string lower = AsciiLower(name);
  // Accept-Encoding and Range too: an answer that repeats the secret must come back
  // whole and uncompressed, or it could not be redacted.
  for (std::string_view n : {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
                             "te", "trailer", "expect", "proxy-authorization", "proxy-connection", "authorization",
                             "cookie", "forwarded", "accept-encoding", "range", "if-range"}) {
    if (lower == n) return true;
  }
  return lower.starts_with("x-mcp-") || lower.starts_with("x-forwarded-") || lower.find('_') != std::string::npos;
}

// What comes back from the third party to the MCP server.
bool PassedBack(std::string_view name) {
  for (std::string_view n : {"content-type", "content-language", "cache-control", "etag", "last-modified",
                             "retry-after", "location", "www-authenticate", "x-ratelimit-limit",
                             "x-ratelimit-remaining", "x-ratelimit-reset"}) {
    if (EqualsIgnoreCase(name, n)) return true;
  }
  return false;
}

EgressAnswer Refusal(int status, std::string_view code, std::string_view description) {
  EgressAnswer a;
  a.status = status;
  a.headers.emplace_back("Content-Type", "application/json");
  boost::json::object body{{"error", code}, {"error_description", description}};
  a.body = ToJson(body);
  return a;
}

// Replaces every occurrence of `secret` in `text`; true when there was one.
bool Redact(std::string& text, std::string_view secret) {
  if (secret.empty()) return false;
  bool found = false;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
    at += 10;
    found = true;
  }
  return found;
}

struct Wiped {
  std::string bytes;
  ~Wiped() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

// libcurl through the suite's fetcher (its URL rules, no redirects, the body cap);
// only the headers PassedBack names come back.
class CurlOutbound final : public OutboundClient {
 public:
  explicit CurlOutbound(CurlOutboundOptions options)
      : fetcher_(CurlFetcherOptions{.connect_timeout = std::min(options.timeout, absl::Seconds(5)),
                                    .total_timeout = options.timeout,
                                    .max_body_bytes = options.max_response_bytes}) {}

  absl::StatusOr<EgressAnswer> Call(const OutboundRequest& r) override {
    absl::StatusOr<HttpResponse> response =
        fetcher_.Exchange({.method = r.method, .url = r.url, .headers = r.headers, .body = r.body});
    if (!response.ok()) return response.status();
    EgressAnswer answer;
    answer.status = static_cast<int>(response->status);
    answer.body = std::move(response->body);
    for (auto& [name, value] : response->headers) {
      if (PassedBack(name)) answer.headers.emplace_back(std::move(name), std::move(value));
    }
    return answer;
  }

 private:
  CurlFetcher fetcher_;
};

}  // namespace

std::unique_ptr<OutboundClient> MakeCurlOutbound(CurlOutboundOptions options) {
  return std::make_unique<CurlOutbound>(options);
}

std::string EgressRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return "";
}

int EgressRequest::Count(std::string_view name) const {
  int n = 0;
  for (const auto& h : headers) n += EqualsIgnoreCase(h.first, name) ? 1 : 0;
  return n;
}

Egress::Egress(const Vault* vault, CredentialStore* store, KeyValueStore* grant_uses, const tv::KeySet* grant_keys,
               OutboundClient* outbound, CredentialsMetrics* metrics, const Clock* clock)
    : vault_(vault),
      store_(store),
      grant_uses_(grant_uses),
      grant_keys_(grant_keys),
      outbound_(outbound),
      metrics_(metrics),
      clock_(clock) {}

EgressAnswer Egress::Handle(const EgressRequest& request) {
  const absl::Time started = clock_->Now();
  const std::string handle = request.Header(kHandleHeader);
  const std::string url_text = request.Header(kUrlHeader);
  std::string owner_issuer, owner_subject, host, jti;
  // One audit line and one count per call, whatever the outcome.
  auto finish = [&](const std::string& result, EgressAnswer answer) {
    if (metrics_ != nullptr) metrics_->CountEgress(result, absl::ToDoubleSeconds(clock_->Now() - started));
    log::Info("credential use", {{"result", result},
                                 {"status", answer.status},
                                 {"handle", handle},
                                 {"issuer", owner_issuer},
                                 {"subject", owner_subject},
                                 {"host", host},
                                 {"method", request.method},
                                 {"grant", jti},
                                 {"peer", request.peer}});
    return answer;
  };

  if (request.target != kEgressPath) return finish("bad_request", Refusal(404, "not_found", "use /v1/egress"));
  for (std::string_view name : {kHandleHeader, kGrantHeader, kUrlHeader}) {
    if (request.Count(name) > 1) {
      return finish("bad_request", Refusal(400, "invalid_request", StrCat(name, " may be sent once")));
    }
  }
  const std::string grant_text = request.Header(kGrantHeader);
  if (grant_text.empty()) {
    return finish("grant_missing", Refusal(401, "grant_missing",
                                           "no grant: pass on the X-MCP-Auth-Grant of the request being served"));
  }
  const GrantCheck check = VerifyGrant(grant_text, *grant_keys_, started);
  if (check.refusal != GrantRefusal::kNone) {
    const bool expired = check.refusal == GrantRefusal::kExpired;
    return finish(expired ? "grant_expired" : "grant_invalid",
                  Refusal(401, expired ? "grant_expired" : "grant_invalid", check.detail));
  }
  const Grant& grant = check.grant;
  owner_issuer = grant.token_issuer;
  owner_subject = grant.subject;
  jti = grant.jti;
  if (handle.empty() || url_text.empty()) {
    return finish("bad_request", Refusal(400, "invalid_request", "X-MCP-Credential and X-MCP-Egress-Url are required"));
  }

  auto record = store_->Find(handle);
  if (!record.ok()) {
    if (absl::IsUnavailable(record.status())) {
      return finish("store_error", Refusal(503, "temporarily_unavailable", "the credential store did not answer"));
    }
    return finish("unknown_handle", Refusal(404, "unknown_handle", "no such credential"));
  }
  if (!record->has_value()) return finish("unknown_handle", Refusal(404, "unknown_handle", "no such credential"));
  auto header = tv::PeekJweHeader((*record)->sealed);
  auto binding = header.ok() ? ReadBinding(*header) : absl::StatusOr<CredentialBinding>(header.status());
  if (!binding.ok()) return finish("unknown_handle", Refusal(404, "unknown_handle", "no such credential"));
  if (binding->Owner() != grant.Owner() || (!binding->client_id.empty() && binding->client_id != grant.client_id)) {
    return finish("not_owner",
                  Refusal(403, "not_owner", "the credential does not belong to the user of the request being served"));
  }
  if (!AllowsResource(*binding, grant.resource)) {
    return finish("not_for_resource", Refusal(403, "not_for_resource",
                                              "the credential is not for the MCP server of the request being served"));
  }
  if (binding->expires_at && absl::FromUnixSeconds(*binding->expires_at) <= started) {
    return finish("credential_expired", Refusal(403, "credential_expired", "the credential has expired"));
  }

  auto parsed = ParseUri(url_text);
  if (!parsed.ok() || (parsed->scheme() != "https" && parsed->scheme() != "http") || parsed->host().empty() ||
      parsed->has_userinfo() || parsed->has_fragment()) {
    return finish("bad_request", Refusal(400, "invalid_request", "X-MCP-Egress-Url must be an absolute http(s) URL "
                                                                 "without user or fragment"));
  }
  boost::urls::url url(*parsed);
  url.normalize_scheme();
  host = AsciiLower(std::string_view(url.encoded_host()));
  const bool default_port = !url.has_port() || (url.scheme() == "https" && url.port() == "443") ||
                            (url.scheme() == "http" && url.port() == "80");
  const std::string host_port = default_port ? host : StrCat(host, ":", std::string_view(url.port()));
  if (!AllowsHost(*binding, host_port)) {
    return finish("host_not_allowed", Refusal(403, "host_not_allowed",
                                              StrCat("the credential may not be sent to ", host_port)));
  }
  if (absl::Status fetchable = CheckFetchUrl(url.buffer()); !fetchable.ok()) {
    return finish("host_not_allowed", Refusal(403, "host_not_allowed", std::string(fetchable.message())));
  }

  // Counted last, when everything else holds: each use of a grant is one call.
  auto uses = grant_uses_->Increment(StrCat(kRedisKeyPrefix, "credential-grant:", grant.jti),
                                     grant.expires_at - started + absl::Seconds(10));
  if (!uses.ok()) {
    return finish("store_error", Refusal(503, "temporarily_unavailable", "the grant store did not answer"));
  }
  if (*uses > grant.max_uses) {
    return finish("grant_used_up", Refusal(401, "grant_used_up",
                                           StrCat("the grant was already used ", grant.max_uses,
                                                  grant.max_uses == 1 ? " time" : " times", " (replayed?)")));
  }

  auto opened = vault_->Open((*record)->sealed);
  if (!opened.ok()) {
    log::Error("a stored credential cannot be opened", {{"handle", handle}, {"error", std::string(opened.status().message())}});
    return finish("store_error", Refusal(500, "server_error", "the credential cannot be opened"));
  }
  Wiped secret{std::move(opened->plaintext)};

  OutboundRequest out;
  out.method = request.method;
  for (const auto& [name, value] : request.headers) {
    if (NeverPassedOn(name)) continue;
    if (binding->injection == v1::INJECTION_KIND_HEADER && EqualsIgnoreCase(name, binding->injection_name)) continue;
    out.headers.emplace_back(name, value);
  }
  switch (binding->injection) {
    case v1::INJECTION_KIND_HEADER:
      out.headers.emplace_back(binding->injection_name, secret.bytes);
      break;
    case v1::INJECTION_KIND_QUERY: {
      // Everything but unreserved characters escaped: no third-party parser can read
      // a '=' or '/' of the secret as structure.
      url.params().erase(binding->injection_name);
      Wiped value{boost::urls::encode(secret.bytes, boost::urls::unreserved_chars)};
      url.encoded_params().append({binding->injection_name, boost::urls::pct_string_view(value.bytes)});
      break;
    }
    default:
      out.headers.emplace_back("Authorization", StrCat("Bearer ", secret.bytes));
  }
  out.headers.emplace_back("Accept-Encoding", "identity");
  out.url = std::string(url.buffer());
  out.body = request.body;
  absl::StatusOr<EgressAnswer> answer = outbound_->Call(out);
  OPENSSL_cleanse(out.url.data(), out.url.size());
  for (auto& [name, value] : out.headers) OPENSSL_cleanse(value.data(), value.size());
  if (!answer.ok()) {
    // Never the fetcher's own text: it names the URL, which may hold the secret.
    return finish("upstream_error",
                  Refusal(502, "upstream_error",
                          StrCat(host_port, absl::IsResourceExhausted(answer.status())
                                                ? ": the answer is larger than credentials.max_response_bytes"
                                                : ": no answer (unreachable, refused or timed out)")));
  }
  // The secret as sent, and as a URL would spell it.
  Wiped encoded{boost::urls::encode(secret.bytes, boost::urls::unreserved_chars)};
  bool echoed = false;
  for (const std::string* form : {&secret.bytes, &encoded.bytes}) {
    echoed = Redact(answer->body, *form) || echoed;
    for (auto& [name, value] : answer->headers) echoed = Redact(value, *form) || echoed;
  }
  if (echoed && metrics_ != nullptr) metrics_->CountEcho();
  return finish("ok", std::move(*answer));
}

// ---- the HTTP server ----

namespace {

// A socket for Beast's synchronous reads and writes that gives up at a deadline:
// the socket is non-blocking and each wait is a poll() bounded by what is left, so a
// caller that sends (or reads) slowly or not at all is dropped (blocking sockets
// with SO_RCVTIMEO would not do: Asio polls again without a limit).
class DeadlineSocket {
 public:
  explicit DeadlineSocket(tcp::socket& socket) : socket_(socket) {
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
  }
  void ExpiresAfter(absl::Duration d) { deadline_ = absl::Now() + d; }

  template <typename Buffers>
  size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    return Retry(POLLIN, [&] { return socket_.read_some(buffers, ec); }, ec);
  }
  template <typename Buffers>
  size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <typename Buffers>
  size_t write_some(const Buffers& buffers, boost::system::error_code& ec) {
    return Retry(POLLOUT, [&] { return socket_.write_some(buffers, ec); }, ec);
  }
  template <typename Buffers>
  size_t write_some(const Buffers& buffers) {
    boost::system::error_code ec;
    const size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  template <typename Op>
  size_t Retry(short events, Op op, boost::system::error_code& ec) {
    for (;;) {
      const size_t n = op();
      if (ec != boost::asio::error::would_block && ec != boost::asio::error::try_again) return n;
      const int64_t left = absl::ToInt64Milliseconds(deadline_ - absl::Now());
      if (left <= 0) {
        ec = boost::asio::error::timed_out;
        return 0;
      }
      pollfd p{socket_.native_handle(), events, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
      if (ready == 0) {
        ec = boost::asio::error::timed_out;
        return 0;
      }
      if (ready < 0 && errno != EINTR) {
        ec = boost::system::error_code(errno, boost::system::system_category());
        return 0;
      }
    }
  }

  tcp::socket& socket_;
  absl::Time deadline_ = absl::InfiniteFuture();
};

}  // namespace

struct EgressServer::State {
  boost::asio::io_context io;
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable drained;
  int64_t connections = 0;  // under mu
  std::set<int> open_fds;   // under mu: shut down on Stop so their threads end
};

EgressServer::EgressServer(EgressServerOptions options, std::function<EgressAnswer(const EgressRequest&)> handler)
    : options_(std::move(options)), handler_(std::move(handler)), state_(std::make_shared<State>()) {}

EgressServer::~EgressServer() { Stop(); }

absl::Status EgressServer::Start() {
  const size_t colon = options_.listen.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError(StrCat("not host:port: ", options_.listen));
  std::string host = options_.listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int64_t port = 0;
  if (!ParseInt64(options_.listen.substr(colon + 1), port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(StrCat("not host:port: ", options_.listen));
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("not an IP address: ", host));
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  state_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) state_->acceptor.bind(endpoint, ec);
  if (!ec) state_->acceptor.listen(128, ec);
  if (ec) return absl::UnavailableError(StrCat("cannot listen on ", options_.listen, ": ", ec.message()));
  port_ = state_->acceptor.local_endpoint().port();

  acceptor_ = std::thread([state = state_, options = options_, handler = handler_] {
    while (!state->stopping) {
      tcp::socket socket(state->io);
      boost::system::error_code aec;
      state->acceptor.accept(socket, aec);
      if (aec || state->stopping) break;
      {
        // Counted and registered before its thread starts, so Stop sees every one.
        std::lock_guard<std::mutex> lock(state->mu);
        if (state->connections >= options.max_connections) continue;  // closed as `socket` goes
        ++state->connections;
        state->open_fds.insert(socket.native_handle());
      }
      std::thread([state, options, handler, socket = std::move(socket)]() mutable {
        const int fd = socket.native_handle();
        DeadlineSocket stream(socket);
        boost::beast::flat_buffer buffer;
        boost::system::error_code rec;
        const std::string peer = socket.remote_endpoint(rec).address().to_string();
        while (!state->stopping) {
          http::request_parser<http::string_body> parser;
          parser.header_limit(16 * 1024);
          parser.body_limit(static_cast<uint64_t>(options.max_body_bytes));
          // The whole request (headers and body) within idle_timeout.
          stream.ExpiresAfter(options.idle_timeout);
          http::read(stream, buffer, parser, rec);
          if (rec == http::error::body_limit) {
            http::response<http::string_body> too_large{http::status::payload_too_large, 11};
            too_large.set(http::field::content_type, "application/json");
            too_large.body() = R"({"error":"invalid_request","error_description":"the body is too large"})";
            too_large.keep_alive(false);
            too_large.prepare_payload();
            stream.ExpiresAfter(options.idle_timeout);
            http::write(stream, too_large, rec);
            break;
          }
          if (rec) break;
          const auto& req = parser.get();
          EgressRequest request{.method = std::string(req.method_string()),
                                .target = std::string(req.target()),
                                .headers = {},
                                .body = req.body(),
                                .peer = peer};
          for (const auto& field : req) request.headers.emplace_back(field.name_string(), field.value());
          EgressAnswer answer = handler(request);
          http::response<http::string_body> response{static_cast<http::status>(answer.status), 11};
          for (const auto& [name, value] : answer.headers) {
            if (IsHttpFieldValue(value)) response.insert(name, value);
          }
          response.body() = std::move(answer.body);
          response.keep_alive(req.keep_alive());
          response.prepare_payload();
          stream.ExpiresAfter(options.idle_timeout);
          http::write(stream, response, rec);
          if (rec || !req.keep_alive()) break;
        }
        socket.shutdown(tcp::socket::shutdown_both, rec);
        std::lock_guard<std::mutex> lock(state->mu);
        state->open_fds.erase(fd);
        socket.close(rec);
        if (--state->connections == 0) state->drained.notify_all();
      }).detach();
    }
  });
  return absl::OkStatus();
}

void EgressServer::Stop() {
  if (state_->stopping.exchange(true)) return;
  boost::system::error_code ec;
  ::shutdown(state_->acceptor.native_handle(), SHUT_RDWR);
  state_->acceptor.close(ec);
  if (acceptor_.joinable()) acceptor_.join();
  // Every connection's socket is shut, so reads and writes end at once; a call in
  // flight to a third party ends within egress_timeout. Only then may the handler's
  // objects go.
  std::unique_lock<std::mutex> lock(state_->mu);
  for (int fd : state_->open_fds) ::shutdown(fd, SHUT_RDWR);
  state_->drained.wait(lock, [&] { return state_->connections == 0; });
}

}  // namespace mcpauth::credentials
