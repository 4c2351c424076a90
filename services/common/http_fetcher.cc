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
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view name = line.substr(0, colon);
    std::string_view value = TrimAsciiWhitespace(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "cache-control")) t->response.cache_control = std::string(value);
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

absl::StatusOr<HttpResponse> CurlFetcher::Get(const std::string& url) { return Perform(url, nullptr); }

absl::StatusOr<HttpResponse> CurlFetcher::PostForm(const HttpFormPost& post) { return Perform(post.url, &post); }

absl::StatusOr<HttpResponse> CurlFetcher::Perform(const std::string& url, const HttpFormPost* post) {
  if (absl::Status s = CheckFetchUrl(url); !s.ok()) return s;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  Transfer t;
  t.max_body = options_.max_body_bytes;
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, &curl_slist_free_all);
  CURL* c = curl.get();
  if (post != nullptr) {
    // Appending keeps the list's head, which header_list owns.
    headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    if (!post->authorization.empty()) {
      headers = curl_slist_append(headers, StrCat("Authorization: ", post->authorization).c_str());
    }
    // No "Expect: 100-continue" for larger forms (a token near max_token_bytes).
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post->body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post->body.data());
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
    return absl::UnavailableError(StrCat(post != nullptr ? "POST " : "GET ", url, ": ", curl_easy_strerror(rc)));
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
