#include "services/common/http_fetcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth {
namespace {

struct Transfer {
  HttpResponse response;
  size_t max_body = 0;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->response.body.size() + n > t->max_body) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->response.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {  // a status line: a new response (after an interim 1xx)
    t->response.headers.clear();
    t->response.cache_control.clear();
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view name = line.substr(0, colon);
    std::string_view value = TrimAsciiWhitespace(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "cache-control")) t->response.cache_control = std::string(value);
    t->response.headers.emplace_back(name, value);
  }
  return n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

CurlFetcher::CurlFetcher(CurlFetcherOptions options) : options_(options) { GlobalInit(); }

absl::StatusOr<HttpResponse> HttpFetcher::PostForm(const HttpFormPost& post) {
  return absl::UnimplementedError(StrCat("this fetcher cannot POST to ", post.url));
}

absl::StatusOr<HttpResponse> CurlFetcher::Get(const std::string& url) {
  return Exchange({.method = "GET", .url = url, .headers = {{"Accept", "application/json"}}, .body = ""});
}

absl::StatusOr<HttpResponse> CurlFetcher::PostForm(const HttpFormPost& post) {
  HttpExchange exchange{.method = "POST",
                        .url = post.url,
                        .headers = {{"Accept", "application/json"}, {"Content-Type", "application/x-www-form-urlencoded"}},
                        .body = post.body};
  if (!post.authorization.empty()) exchange.headers.emplace_back("Authorization", post.authorization);
  return Exchange(exchange);
}

absl::StatusOr<HttpResponse> CurlFetcher::Exchange(const HttpExchange& exchange) {
  const std::string& url = exchange.url;
  if (absl::Status s = CheckFetchUrl(url); !s.ok()) return s;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  Transfer t;
  t.max_body = options_.max_body_bytes;
  // No "Expect: 100-continue" for larger bodies (a token near max_token_bytes).
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, &curl_slist_free_all);
  for (const auto& [name, value] : exchange.headers) {
    // Appending keeps the list's head, which header_list owns. "Name:" would remove a
    // header; an empty value is sent as "Name;".
    curl_slist_append(headers, (value.empty() ? StrCat(name, ";") : StrCat(name, ": ", value)).c_str());
  }
  CURL* c = curl.get();
  if (exchange.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (exchange.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, exchange.method.c_str());
  }
  // A body, or a method that carries one (an empty POST still says Content-Length: 0).
  if (!exchange.body.empty() || exchange.method == "POST" || exchange.method == "PUT" || exchange.method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(exchange.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, exchange.body.data());
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(options_.total_timeout)));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "mcpauth/0.1");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  const CURLcode rc = curl_easy_perform(c);
  if (t.too_large) {
    return absl::ResourceExhaustedError(
        StrCat("response from ", url, " exceeds ", options_.max_body_bytes, " bytes"));
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(StrCat(exchange.method, " ", url, ": ", curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status);
  char* content_type = nullptr;
  curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type != nullptr) t.response.content_type = content_type;
  return std::move(t.response);
}

std::optional<absl::Duration> CacheControlMaxAge(std::string_view cache_control) {
  std::optional<absl::Duration> out;
  for (std::string_view directive : SplitSkipEmpty(cache_control, ',')) {
    directive = TrimAsciiWhitespace(directive);
    if (EqualsIgnoreCase(directive, "no-store") || EqualsIgnoreCase(directive, "no-cache")) {
      return absl::ZeroDuration();
    }
    if (StartsWithIgnoreCase(directive, "max-age=")) {
      int64_t seconds = 0;
      if (ParseInt64(directive.substr(8), seconds) && seconds >= 0) out = absl::Seconds(seconds);
    }
  }
  return out;
}

absl::Duration EffectiveCacheTtl(absl::Duration configured, std::string_view cache_control) {
  const absl::Duration floor = std::min(configured, absl::Seconds(30));
  const std::optional<absl::Duration> max_age = CacheControlMaxAge(cache_control);
  if (!max_age) return configured;
  return std::clamp(*max_age, floor, configured);
}

}  // namespace mcpauth
