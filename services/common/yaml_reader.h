// Strict, path-aware reading of the suite's YAML configuration. Every accessor
// records the key it read; `RejectUnknownKeys` then refuses anything left over, so
// a typo such as `cache_tll` is an error naming `authorization.cache_tll` instead
// of a silently ignored setting.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/time/time.h"

namespace mcpauth {

// Thrown while loading configuration only; the message starts with the key's path.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class YamlSection {
 public:
  // `node` must be a mapping or null/undefined (an absent section reads as empty).
  YamlSection(YAML::Node node, std::string path);

  const std::string& path() const { return path_; }
  // The dotted path of `key` inside this section, for error messages.
  std::string PathOf(std::string_view key) const;
  bool Has(std::string_view key) const;

  std::string String(std::string_view key, std::string_view fallback = "");
  std::optional<std::string> OptionalString(std::string_view key);
  bool Bool(std::string_view key, bool fallback);
  int64_t Int(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  // A number (integer or decimal) between min and max.
  double Number(std::string_view key, double fallback, double min, double max);
  // A number of seconds (integer or decimal) as a duration.
  absl::Duration Seconds(std::string_view key, absl::Duration fallback, absl::Duration min,
                         absl::Duration max);
  std::vector<std::string> StringList(std::string_view key, std::vector<std::string> fallback = {});
  // A string or a list of strings.
  std::vector<std::string> StringOrList(std::string_view key, std::vector<std::string> fallback = {});
  YamlSection Section(std::string_view key);
  std::vector<YamlSection> SectionList(std::string_view key);
  // The entries of a mapping whose keys are user-chosen names (e.g. tool names), in
  // one pass: yaml-cpp finds a key by a linear scan, so Section(name) for every name
  // would be quadratic (100,000 tool rules took minutes to load).
  std::vector<std::pair<std::string, YamlSection>> NamedSections() const;

  // A string that must be one of `choices`.
  std::string OneOf(std::string_view key, std::string_view fallback, std::span<const std::string_view> choices);
  std::string OneOf(std::string_view key, std::string_view fallback, std::initializer_list<std::string_view> choices);

  // Reads the first of `names` present; two present at once is an error.
  std::optional<std::string_view> Alias(std::initializer_list<std::string_view> names);

  [[noreturn]] void Fail(std::string_view key, std::string_view message) const;
  // Throws for the first key in this section that no accessor read.
  void RejectUnknownKeys() const;

 private:
  YAML::Node Get(std::string_view key);

  YAML::Node node_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

// Loads a YAML file; a missing file or a syntax error is a ConfigError naming it.
YAML::Node LoadYamlFile(const std::string& path);

// yaml-cpp's node tree is about fifty times the size of the text (a 100,000-rule
// policy, 4.5 MB, takes some 230 MB while it is read). Call once a large document's
// tree is gone: hands the freed memory back to the system, so the service's
// resident size falls back to what it keeps (without this it stays at the peak).
void ReleaseFreedMemory();

}  // namespace mcpauth
