// Reading one sample from a Prometheus text endpoint, for tests that check what
// a running service counted.
#pragma once

#include <optional>
#include <string>

namespace mcpauth::test {

// The value of the sample written exactly as `name_with_labels` at `url` (e.g.
// "mcpauth_redis_up" or "mcpauth_jwks_unknown_kid_total{outcome=\"refetched\"}";
// labels in the order the endpoint prints them, which for prometheus-cpp is
// sorted by name). nullopt when the endpoint cannot be read or has no such sample.
std::optional<double> ScrapeMetric(const std::string& url, const std::string& name_with_labels);

// The same, from exposition text already fetched.
std::optional<double> FindMetric(const std::string& exposition, const std::string& name_with_labels);

// The body of GET `url`, or nullopt on a transport failure or a status other than 200.
std::optional<std::string> HttpGetBody(const std::string& url);

}  // namespace mcpauth::test
