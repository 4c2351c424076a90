#include "tests/support/metrics_scrape.h"

#include "services/common/http_fetcher.h"
#include "services/common/strings.h"

namespace mcpauth::test {

std::optional<std::string> HttpGetBody(const std::string& url) {
  CurlFetcher fetcher(
      CurlFetcherOptions{.connect_timeout = absl::Seconds(1), .total_timeout = absl::Seconds(5)});
  auto response = fetcher.Get(url);
  if (!response.ok() || response->status != 200) return std::nullopt;
  return std::move(response->body);
}

std::optional<double> FindMetric(const std::string& exposition, const std::string& name_with_labels) {
  for (std::string_view line : SplitSkipEmpty(exposition, '\n')) {
    if (line.starts_with('#') || !line.starts_with(name_with_labels)) continue;
    std::string_view rest = line.substr(name_with_labels.size());
    if (rest.empty() || rest.front() != ' ') continue;  // a longer name, or other labels
    rest = TrimAsciiWhitespace(rest);
    rest = rest.substr(0, rest.find(' '));  // drop an optional timestamp
    double value = 0;
    if (ParseDouble(rest, value)) return value;
  }
  return std::nullopt;
}

std::optional<double> ScrapeMetric(const std::string& url, const std::string& name_with_labels) {
  auto body = HttpGetBody(url);
  if (!body) return std::nullopt;
  return FindMetric(*body, name_with_labels);
}

}  // namespace mcpauth::test
