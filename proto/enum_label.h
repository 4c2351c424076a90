// Each enum of the suite is defined once, in proto/mcpauth/v1, and spelled outside
// C++ by its label: the value's name without the enum's prefix, in lower case
// (CHALLENGE_KIND_INVALID_TOKEN is "invalid_token", SCOPE_STRATEGY_WILDCARD is
// "wildcard"). YAML values, metric labels and RFC error codes are these labels.
//
//   EnumLabel(v1::SCOPE_ENFORCEMENT_NEVER)          → "never"
//   EnumFromLabel<v1::ScopeStrategy>("hierarchic")  → v1::SCOPE_STRATEGY_HIERARCHIC
//   EnumLabels<v1::ScopeStrategy>()                 → {"exact", "wildcard", "hierarchic"}
//
// The value 0 (UNSPECIFIED, or NONE) has a label but is never read from one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/generated_enum_reflection.h>

namespace mcpauth {
namespace enum_label_internal {

// (value, label) in declaration order.
using Table = std::vector<std::pair<int, std::string>>;
Table BuildTable(const google::protobuf::EnumDescriptor& descriptor);

template <typename E>
const Table& TableOf() {
  static const Table table = BuildTable(*google::protobuf::GetEnumDescriptor<E>());
  return table;
}

}  // namespace enum_label_internal

// "" for a value the enum does not declare.
template <typename E>
std::string_view EnumLabel(E value) {
  for (const auto& [v, label] : enum_label_internal::TableOf<E>()) {
    if (v == static_cast<int>(value)) return label;
  }
  return "";
}

// nullopt for an unknown label and for the label of the value 0.
template <typename E>
std::optional<E> EnumFromLabel(std::string_view label) {
  for (const auto& [v, l] : enum_label_internal::TableOf<E>()) {
    if (v != 0 && l == label) return static_cast<E>(v);
  }
  return std::nullopt;
}

// The labels a configuration may use: every value's but 0's, in declaration order.
template <typename E>
std::vector<std::string> EnumLabels() {
  std::vector<std::string> out;
  for (const auto& [v, l] : enum_label_internal::TableOf<E>()) {
    if (v != 0) out.push_back(l);
  }
  return out;
}

}  // namespace mcpauth
