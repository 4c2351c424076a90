#include "proto/enum_label.h"

#include <cctype>

#include <google/protobuf/descriptor.h>

namespace mcpauth::enum_label_internal {
namespace {

// "ChallengeKind" → "CHALLENGE_KIND_", the prefix protobuf style gives its values.
std::string ValuePrefix(const std::string& enum_name) {
  std::string out;
  for (size_t i = 0; i < enum_name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(enum_name[i]);
    if (i > 0 && std::isupper(c)) out.push_back('_');
    out.push_back(static_cast<char>(std::toupper(c)));
  }
  return out + "_";
}

}  // namespace

Table BuildTable(const google::protobuf::EnumDescriptor& descriptor) {
  const std::string prefix = ValuePrefix(descriptor.name());
  Table table;
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor& value = *descriptor.value(i);
    std::string label = value.name();
    if (label.starts_with(prefix)) label.erase(0, prefix.size());
    for (char& c : label) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    table.emplace_back(value.number(), std::move(label));
  }
  return table;
}

}  // namespace mcpauth::enum_label_internal
