// An HttpFetcher with canned responses per URL that counts every request, so tests
// can assert how many fetches a cache made.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "services/common/http_fetcher.h"

namespace mcpauth::testing {

class FakeFetcher final : public HttpFetcher {
 public:
  // Serves `body` with `status` (and Cache-Control) at `url` from now on.
  void Serve(const std::string& url, std::string body, long status = 200, std::string cache_control = "");
  // Makes `url` fail at the transport level (connection refused).
  void Fail(const std::string& url);
  absl::StatusOr<HttpResponse> Get(const std::string& url) override;
  // Form POSTs are answered from what Serve set for the URL (Fail: refused), counted
  // with the GETs, and kept, so tests can read what was sent.
  absl::StatusOr<HttpResponse> PostForm(const HttpFormPost& post) override;
  std::vector<HttpFormPost> Posts() const;
  int Count(const std::string& url) const;
  int Total() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, HttpResponse> responses_;
  std::map<std::string, int> counts_;
  std::vector<HttpFormPost> posts_;
};

}  // namespace mcpauth::testing
