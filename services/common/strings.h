// Small string helpers over std::string_view. (Debian's abseil is built with its
// own absl::string_view, which does not accept std::string_view, so absl's string
// functions are awkward here; these cover what the project needs.)
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mcpauth {

namespace strings_internal {

inline void AppendOne(std::string& out, std::string_view s) { out.append(s); }
inline void AppendOne(std::string& out, const char* s) { out.append(s); }
inline void AppendOne(std::string& out, const std::string& s) { out.append(s); }
inline void AppendOne(std::string& out, char c) { out.push_back(c); }
inline void AppendOne(std::string& out, bool b) { out.append(b ? "true" : "false"); }
template <typename T>
  requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>)
void AppendOne(std::string& out, T value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, ec == std::errc() ? end : buffer);
}
// Anything else that converts to std::string_view (absl::string_view, boost strings).
template <typename T>
  requires(!std::is_arithmetic_v<T> && requires(const T& t) { std::string_view(t.data(), t.size()); })
void AppendOne(std::string& out, const T& value) {
  out.append(value.data(), value.size());
}

}  // namespace strings_internal

template <typename... Args>
void StrAppend(std::string& out, const Args&... args) {
  (strings_internal::AppendOne(out, args), ...);
}

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  StrAppend(out, args...);
  return out;
}

std::string StrJoin(const std::vector<std::string>& parts, std::string_view separator);
std::vector<std::string_view> SplitSkipEmpty(std::string_view text, char separator);
std::string_view TrimAsciiWhitespace(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix);
std::string AsciiLower(std::string_view text);
bool ParseInt64(std::string_view text, int64_t& out);
bool ParseDouble(std::string_view text, double& out);
std::string HexEncode(std::string_view bytes);
// True when `text` can be an HTTP field value as it stands (RFC 9110 §5.5): no
// control characters but HTAB (so no CR, LF or NUL that would end the field).
bool IsHttpFieldValue(std::string_view text);
// True when `text` is an HTTP token (RFC 9110 §5.6.2): a field name or a method.
bool IsHttpToken(std::string_view text);

}  // namespace mcpauth
