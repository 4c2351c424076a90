// Reading a sample straight from a prometheus::Registry, for unit tests that
// check what a component counted.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <prometheus/registry.h>

namespace mcpauth::sp::testing {

// The value of the counter or gauge `name` whose labels are exactly `labels`.
inline std::optional<double> MetricValue(prometheus::Registry& registry, const std::string& name,
                                         const std::map<std::string, std::string>& labels = {}) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have != labels) continue;
      if (family.type == prometheus::MetricType::Counter) return metric.counter.value;
      if (family.type == prometheus::MetricType::Gauge) return metric.gauge.value;
      if (family.type == prometheus::MetricType::Histogram) return static_cast<double>(metric.histogram.sample_count);
    }
  }
  return std::nullopt;
}

}  // namespace mcpauth::sp::testing
