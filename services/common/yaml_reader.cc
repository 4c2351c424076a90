#include "services/common/yaml_reader.h"

#include <malloc.h>

#include <cmath>

#include "services/common/strings.h"

namespace mcpauth {
namespace {

std::string Describe(const YAML::Node& node) {
  if (node.IsNull()) return "null";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return StrCat("\"", node.Scalar(), "\"");
}

}  // namespace

YamlSection::YamlSection(YAML::Node node, std::string path)
    : node_(std::move(node)), path_(std::move(path)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    throw ConfigError(StrCat(path_.empty() ? "config" : path_, ": expected a mapping, got ",
                                   Describe(node_)));
  }
}

std::string YamlSection::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : StrCat(path_, ".", key);
}

bool YamlSection::Has(std::string_view key) const {
  return node_.IsMap() && node_[std::string(key)].IsDefined() && !node_[std::string(key)].IsNull();
}

void YamlSection::Fail(std::string_view key, std::string_view message) const {
  throw ConfigError(StrCat(PathOf(key), ": ", message));
}

YAML::Node YamlSection::Get(std::string_view key) {
  read_.emplace(key);
  // Absent and explicit null both read as "not set" (an undefined node).
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node value = node_[std::string(key)];
  if (!value.IsDefined() || value.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  return value;
}

std::string YamlSection::String(std::string_view key, std::string_view fallback) {
  auto value = OptionalString(key);
  return value ? *value : std::string(fallback);
}

std::optional<std::string> YamlSection::OptionalString(std::string_view key) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsScalar()) Fail(key, StrCat("expected a string, got ", Describe(v)));
  return v.Scalar();
}

bool YamlSection::Bool(std::string_view key, bool fallback) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return fallback;
  if (v.IsScalar()) {
    const std::string& s = v.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  Fail(key, StrCat("expected true or false, got ", Describe(v)));
}

int64_t YamlSection::Int(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return fallback;
  int64_t out = 0;
  if (!v.IsScalar() || !ParseInt64(v.Scalar(), out)) {
    Fail(key, StrCat("expected an integer, got ", Describe(v)));
  }
  if (out < min || out > max) {
    Fail(key, StrCat("must be between ", min, " and ", max, ", got ", out));
  }
  return out;
}

double YamlSection::Number(std::string_view key, double fallback, double min, double max) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return fallback;
  double out = 0;
  if (!v.IsScalar() || !ParseDouble(v.Scalar(), out) || !std::isfinite(out)) {
    Fail(key, StrCat("expected a number, got ", Describe(v)));
  }
  if (out < min || out > max) Fail(key, StrCat("must be between ", min, " and ", max, ", got ", out));
  return out;
}

absl::Duration YamlSection::Seconds(std::string_view key, absl::Duration fallback,
                                    absl::Duration min, absl::Duration max) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return fallback;
  double seconds = 0;
  if (!v.IsScalar() || !ParseDouble(v.Scalar(), seconds) || !std::isfinite(seconds)) {
    Fail(key, StrCat("expected a number of seconds, got ", Describe(v)));
  }
  absl::Duration out = absl::Seconds(seconds);
  if (out < min || out > max) {
    Fail(key, StrCat("must be between ", absl::ToDoubleSeconds(min), " and ",
                           absl::ToDoubleSeconds(max), " seconds, got ", seconds));
  }
  return out;
}

std::vector<std::string> YamlSection::StringList(std::string_view key,
                                                 std::vector<std::string> fallback) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return fallback;
  if (!v.IsSequence()) Fail(key, StrCat("expected a list of strings, got ", Describe(v)));
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) {
      Fail(StrCat(key, "[", i, "]"), StrCat("expected a string, got ", Describe(v[i])));
    }
    out.push_back(v[i].Scalar());
  }
  return out;
}

std::vector<std::string> YamlSection::StringOrList(std::string_view key,
                                                   std::vector<std::string> fallback) {
  YAML::Node v = Get(key);
  if (v.IsDefined() && v.IsScalar()) return {v.Scalar()};
  return StringList(key, std::move(fallback));
}

YamlSection YamlSection::Section(std::string_view key) {
  YAML::Node v = Get(key);
  if (v.IsDefined() && !v.IsMap()) Fail(key, StrCat("expected a mapping, got ", Describe(v)));
  return YamlSection(v, PathOf(key));
}

std::vector<YamlSection> YamlSection::SectionList(std::string_view key) {
  YAML::Node v = Get(key);
  std::vector<YamlSection> out;
  if (!v.IsDefined()) return out;
  if (!v.IsSequence()) Fail(key, StrCat("expected a list, got ", Describe(v)));
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string item_path = StrCat(PathOf(key), "[", i, "]");
    if (!v[i].IsMap()) {
      throw ConfigError(StrCat(item_path, ": expected a mapping, got ", Describe(v[i])));
    }
    out.emplace_back(v[i], item_path);
  }
  return out;
}

std::vector<std::pair<std::string, YamlSection>> YamlSection::NamedSections() const {
  std::vector<std::pair<std::string, YamlSection>> out;
  if (!node_.IsMap()) return out;
  out.reserve(node_.size());
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) throw ConfigError(StrCat(path_, ": keys must be strings"));
    std::string name = kv.first.Scalar();
    // As Section(name): a null value reads as an empty section, anything else must be a mapping.
    YAML::Node value = kv.second.IsNull() ? YAML::Node(YAML::NodeType::Undefined) : kv.second;
    out.emplace_back(name, YamlSection(value, PathOf(name)));
  }
  return out;
}

std::string YamlSection::OneOf(std::string_view key, std::string_view fallback,
                               std::initializer_list<std::string_view> choices) {
  return OneOf(key, fallback, std::span<const std::string_view>(choices.begin(), choices.size()));
}

std::string YamlSection::OneOf(std::string_view key, std::string_view fallback,
                               std::span<const std::string_view> choices) {
  std::string value = String(key, fallback);
  std::string list;
  for (std::string_view c : choices) {
    if (value == c) return value;
    StrAppend(list, list.empty() ? "" : ", ", c);
  }
  Fail(key, StrCat("expected one of ", list, ", got \"", value, "\""));
}

std::optional<std::string_view> YamlSection::Alias(std::initializer_list<std::string_view> names) {
  std::optional<std::string_view> found;
  for (std::string_view name : names) {
    if (!Has(name)) continue;
    if (found) Fail(name, StrCat("conflicts with ", PathOf(*found), "; set only one of them"));
    found = name;
  }
  for (std::string_view name : names) read_.emplace(name);
  return found;
}

void YamlSection::RejectUnknownKeys() const {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (read_.find(key) == read_.end()) Fail(key, "unknown key");
  }
}

YAML::Node LoadYamlFile(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(StrCat(path, ": cannot read the file"));
  } catch (const YAML::Exception& e) {
    throw ConfigError(StrCat(path, ": invalid YAML at line ", e.mark.line + 1, ", column ",
                                   e.mark.column + 1, ": ", e.msg));
  }
}

void ReleaseFreedMemory() { malloc_trim(0); }

}  // namespace mcpauth
