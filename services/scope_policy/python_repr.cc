#include "services/scope_policy/python_repr.h"

#include <cstdint>
#include <optional>

namespace mcpauth::sp {
namespace {

// Code points above U+00FF that Python 3.11 (Unicode 14.0) does not print:
// categories Zs, Zl, Zp, Cf and Co. Generated with
//   [c for c in range(0x100, 0x110000) if unicodedata.category(chr(c)) in (...)]
// and merged into ranges.
constexpr std::pair<char32_t, char32_t> kNotPrintable[] = {
    {0x600, 0x605},     {0x61C, 0x61C},     {0x6DD, 0x6DD},     {0x70F, 0x70F},   {0x890, 0x891},
    {0x8E2, 0x8E2},     {0x1680, 0x1680},   {0x180E, 0x180E},   {0x2000, 0x200F}, {0x2028, 0x202F},
    {0x205F, 0x2064},   {0x2066, 0x206F},   {0x3000, 0x3000},   {0xE000, 0xF8FF}, {0xFEFF, 0xFEFF},
    {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x13438}, {0x1BCA0, 0x1BCA3},
    {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xF0000, 0xFFFFD}, {0x100000, 0x10FFFD},
};

bool Printable(char32_t c) {
  if (c < 0x20 || c == 0x7f) return false;
  if (c < 0x80) return true;
  if (c <= 0x9f || c == 0xa0 || c == 0xad) return false;  // C1 controls, NBSP, soft hyphen
  if (c < 0x100) return true;
  if (c >= 0xFDD0 && c <= 0xFDEF) return false;  // noncharacters
  if ((c & 0xFFFE) == 0xFFFE) return false;      // U+xFFFE, U+xFFFF in every plane
  for (const auto& [first, last] : kNotPrintable) {
    if (c < first) return true;
    if (c <= last) return false;
  }
  return true;
}

// Decodes one UTF-8 sequence at the start of `text`: the code point and its length,
// or nullopt for an invalid, overlong or surrogate sequence.
std::optional<std::pair<char32_t, size_t>> DecodeUtf8(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(0);
  size_t length;
  char32_t c;
  if (b0 < 0x80) return std::make_pair(static_cast<char32_t>(b0), size_t{1});
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    c = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    c = b0 & 0x07;
  } else {
    return std::nullopt;
  }
  if (text.size() < length) return std::nullopt;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return std::nullopt;
    c = (c << 6) | (byte(i) & 0x3F);
  }
  if ((length == 3 && c < 0x800) || (length == 4 && (c < 0x10000 || c > 0x10FFFF))) return std::nullopt;
  if (c >= 0xD800 && c <= 0xDFFF) return std::nullopt;
  return std::make_pair(c, length);
}

void AppendHex(std::string& out, uint32_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHex[(value >> shift) & 0xF]);
}

void AppendEscaped(std::string& out, char32_t c) {
  if (c < 0x100) {
    out.append("\\x");
    AppendHex(out, c, 2);
  } else if (c < 0x10000) {
    out.append("\\u");
    AppendHex(out, c, 4);
  } else {
    out.append("\\U");
    AppendHex(out, c, 8);
  }
}

}  // namespace

std::string PythonRepr(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back(quote);
  size_t i = 0;
  while (i < text.size()) {
    const auto decoded = DecodeUtf8(text.substr(i));
    if (!decoded) {
      AppendEscaped(out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    const auto [c, length] = *decoded;
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (!Printable(c)) {
      AppendEscaped(out, c);
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  out.push_back(quote);
  return out;
}

std::string PythonListRepr(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(PythonRepr(items[i]));
  }
  out.push_back(']');
  return out;
}

}  // namespace mcpauth::sp
