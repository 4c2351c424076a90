// Outbound HTTP with libcurl: keys and metadata (GET), token introspection (a form
// POST), and the credentials service's egress (any request). Behind an interface so
// tests substitute canned responses and count fetches.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mcpauth {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string cache_control;
  // Every header of the final response (interim 1xx answers' are dropped), in order.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Any request: the method, the URL, the headers as given, the body.
struct HttpExchange {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// An application/x-www-form-urlencoded POST (RFC 7662 §2.1 introspection).
struct HttpFormPost {
  std::string url;
  std::string body;           // already form-encoded
  std::string authorization;  // an Authorization header value, or ""
};

class HttpFetcher {
 public:
  virtual ~HttpFetcher() = default;
  // GETs `url`. A transport failure is an error status; any HTTP status is a response.
  virtual absl::StatusOr<HttpResponse> Get(const std::string& url) = 0;
  // POSTs a form. Like Get: a transport failure is an error, any status a response.
  // The default refuses (fetchers that only serve keys need not implement it).
  virtual absl::StatusOr<HttpResponse> PostForm(const HttpFormPost& post);
};

struct CurlFetcherOptions {
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration total_timeout = absl::Seconds(5);
  size_t max_body_bytes = 1 << 20;
};

// Refuses URLs that CheckFetchUrl refuses, never follows redirects, and stops
// reading past max_body_bytes.
class CurlFetcher final : public HttpFetcher {
 public:
  explicit CurlFetcher(CurlFetcherOptions options = {});
  absl::StatusOr<HttpResponse> Get(const std::string& url) override;
  absl::StatusOr<HttpResponse> PostForm(const HttpFormPost& post) override;
  // Sends `exchange` as given (the same URL rules, timeouts and body cap).
  absl::StatusOr<HttpResponse> Exchange(const HttpExchange& exchange);

 private:

  CurlFetcherOptions options_;
};

// max-age from a Cache-Control value; nullopt when absent. no-store and no-cache
// read as zero.
std::optional<absl::Duration> CacheControlMaxAge(std::string_view cache_control);

// How long to keep a fetched document: the configured TTL, shortened by the
// server's max-age when that is smaller, but never below a floor that keeps a
// "max-age=0" server from turning every request into a fetch.
absl::Duration EffectiveCacheTtl(absl::Duration configured, std::string_view cache_control);

}  // namespace mcpauth
