// Strict base64url (RFC 4648 §5) as JOSE uses it (RFC 7515 §2): no padding, no
// whitespace, no characters outside the URL-safe alphabet, and no non-zero bits
// left over in the last character (so every byte string has exactly one encoding).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mcpauth {

// Returns the decoded bytes, or nullopt when `encoded` is not canonical base64url.
std::optional<std::string> Base64UrlDecode(std::string_view encoded);

std::string Base64UrlEncode(std::string_view bytes);

}  // namespace mcpauth
