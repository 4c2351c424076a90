#include "tests/fakes/fake_fetcher.h"

#include "services/common/strings.h"

namespace mcpauth::testing {

void FakeFetcher::Serve(const std::string& url, std::string body, long status, std::string cache_control) {
  std::lock_guard<std::mutex> lock(mu_);
  responses_[url] = HttpResponse{status, std::move(body), "application/json", std::move(cache_control)};
}

void FakeFetcher::Fail(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  responses_.erase(url);
}

absl::StatusOr<HttpResponse> FakeFetcher::Get(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[url];
  auto it = responses_.find(url);
  if (it == responses_.end()) return absl::UnavailableError(StrCat("GET ", url, ": connection refused"));
  return it->second;
}

absl::StatusOr<HttpResponse> FakeFetcher::PostForm(const HttpFormPost& post) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posts_.push_back(post);
    auto it = responses_.find(post.url);
    if (it == responses_.end()) {
      ++counts_[post.url];
      return absl::UnavailableError(StrCat("POST ", post.url, ": connection refused"));
    }
  }
  return Get(post.url);
}

std::vector<HttpFormPost> FakeFetcher::Posts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return posts_;
}

int FakeFetcher::Count(const std::string& url) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(url);
  return it == counts_.end() ? 0 : it->second;
}

int FakeFetcher::Total() const {
  std::lock_guard<std::mutex> lock(mu_);
  int total = 0;
  for (const auto& [url, n] : counts_) total += n;
  return total;
}

}  // namespace mcpauth::testing
