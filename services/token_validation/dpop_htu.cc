#include "services/token_validation/dpop_htu.h"

#include <boost/url/url_view.hpp>

#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth::tv {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 §6.2.2.2: decode %XX of unreserved characters, uppercase the hex of the
// rest. `lower` also lowercases every literal character (for the host, §6.2.2.1).
// The input was accepted by the URI parser, so every '%' starts a valid triplet;
// anything else is copied as it is.
std::string NormalizePercent(std::string_view text, bool lower) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      const auto byte = static_cast<unsigned char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
      if (IsUnreserved(byte)) {
        const char decoded = static_cast<char>(byte);
        out.push_back(lower && decoded >= 'A' && decoded <= 'Z' ? static_cast<char>(decoded - 'A' + 'a') : decoded);
      } else {
        out.push_back('%');
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0x0F]);
      }
      continue;
    }
    out.push_back(lower && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

// RFC 3986 §5.2.4 remove_dot_segments, step by step, on a path whose unreserved
// characters are already decoded (so "%2E%2E" has become ".." and goes too).
std::string RemoveDotSegments(std::string_view path) {
  std::string in(path), out;
  size_t pos = 0;  // `in` from pos on is the input buffer still to process
  auto rest = [&] { return std::string_view(in).substr(pos); };
  auto drop_last_segment = [&] {
    const size_t slash = out.rfind('/');
    out.resize(slash == std::string::npos ? 0 : slash);
  };
  while (pos < in.size()) {
    const std::string_view r = rest();
    if (r.starts_with("../")) {  // A
      pos += 3;
    } else if (r.starts_with("./")) {
      pos += 2;
    } else if (r.starts_with("/./")) {  // B: "/./" → "/"
      pos += 2;
    } else if (r == "/.") {
      in.replace(pos, 2, "/");
    } else if (r.starts_with("/../")) {  // C: "/../" → "/", and the last output segment goes
      pos += 3;
      drop_last_segment();
    } else if (r == "/..") {
      in.replace(pos, 3, "/");
      drop_last_segment();
    } else if (r == "." || r == "..") {  // D
      pos = in.size();
    } else {  // E: the first segment, with its leading "/", moves to the output
      const size_t next = r.find('/', 1);
      const size_t take = next == std::string_view::npos ? r.size() : next;
      out.append(r.substr(0, take));
      pos += take;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> NormalizeHtu(std::string_view uri) {
  auto parsed = ParseUri(uri);
  if (!parsed.ok() || !parsed->has_authority()) return std::nullopt;
  const boost::urls::url_view& u = *parsed;
  const std::string scheme = AsciiLower(std::string_view(u.scheme().data(), u.scheme().size()));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const std::string_view host(u.encoded_host().data(), u.encoded_host().size());
  if (host.empty()) return std::nullopt;

  std::string out = StrCat(scheme, "://");
  if (u.has_userinfo()) {
    StrAppend(out,
              NormalizePercent(std::string_view(u.encoded_userinfo().data(), u.encoded_userinfo().size()),
                               /*lower=*/false),
              "@");
  }
  StrAppend(out, NormalizePercent(host, /*lower=*/true));
  // §6.2.3: an empty port and the scheme's default port are omitted; other ports
  // are written without leading zeros.
  const std::string_view port(u.port().data(), u.port().size());
  if (!port.empty()) {
    int64_t number = 0;
    if (!ParseInt64(port, number)) return std::nullopt;
    const int64_t default_port = scheme == "https" ? 443 : 80;
    if (number != default_port) StrAppend(out, ":", number);
  }
  const std::string_view path(u.encoded_path().data(), u.encoded_path().size());
  const std::string normalized_path = RemoveDotSegments(NormalizePercent(path, /*lower=*/false));
  StrAppend(out, normalized_path.empty() ? std::string_view("/") : std::string_view(normalized_path));
  return out;
}

bool HtuMatches(std::string_view htu, std::string_view request_uri) {
  const std::optional<std::string> a = NormalizeHtu(htu);
  if (!a) return false;
  const std::optional<std::string> b = NormalizeHtu(request_uri);
  return b && *a == *b;
}

}  // namespace mcpauth::tv
