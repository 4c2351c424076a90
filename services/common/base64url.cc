#include "services/common/base64url.h"

#include "absl/strings/escaping.h"


namespace mcpauth {
namespace {

// Value of a base64url character, or -1.
int AlphabetValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> Base64UrlDecode(std::string_view encoded) {
  // absl decodes leniently (it accepts padding and ignores trailing bits); these
  // checks make the accepted language exactly the canonical unpadded encodings.
  if (encoded.size() % 4 == 1) return std::nullopt;
  for (char c : encoded) {
    if (AlphabetValue(c) < 0) return std::nullopt;
  }
  if (!encoded.empty()) {
    const int last = AlphabetValue(encoded.back());
    const size_t tail = encoded.size() % 4;
    if (tail == 2 && (last & 0x0F) != 0) return std::nullopt;
    if (tail == 3 && (last & 0x03) != 0) return std::nullopt;
  }
  std::string out;
  if (!absl::WebSafeBase64Unescape(absl::string_view(encoded.data(), encoded.size()), &out)) return std::nullopt;
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()), &out);
  return out;
}

}  // namespace mcpauth
