// JSON parsing for security decisions. Boost.JSON keeps the last of repeated member
// names; a token whose meaning depends on which duplicate wins must be refused
// instead (RFC 7515 §5.2, RFC 8725 §3.8), so this parser reports them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "absl/time/time.h"

namespace mcpauth {

enum class JsonParseError {
  kNone,
  kSyntax,           // not JSON, trailing garbage, or nested too deep
  kDuplicateMember,  // an object repeats a member name
};

struct StrictJsonOptions {
  size_t max_depth = 32;
};

// Parses `text` as exactly one JSON value into `out`.
JsonParseError ParseStrictJson(std::string_view text, boost::json::value& out,
                               const StrictJsonOptions& options = {});

// Typed lookups that never throw. Each returns nullopt when the member is absent
// or has another type; callers that must tell the two apart use `Has` first.
const boost::json::value* FindMember(const boost::json::object& object, std::string_view name);
std::optional<std::string> StringMember(const boost::json::object& object, std::string_view name);

// A JSON number (integer or floating point) as a double; nullopt for other types.
std::optional<double> NumberValue(const boost::json::value& value);

// A member holding Unix milliseconds (how the suite writes times into shared cache
// entries) as a time; nullopt when absent or not a number.
std::optional<absl::Time> UnixMillisMember(const boost::json::object& object, std::string_view name);

// Serializes `value` compactly.
std::string ToJson(const boost::json::value& value);

}  // namespace mcpauth
