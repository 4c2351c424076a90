#include "services/scope_policy/resource_uri.h"

#include <algorithm>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "services/common/strings.h"

namespace mcpauth::sp {
namespace {

// The schemes WHATWG URL parsers (the TypeScript SDK's `new URL`, pydantic's
// AnyUrl) give special handling: they read "file:secret/x" and "https:/host/x" as
// having an authority, fold default ports, and take numeric hosts for IPv4.
std::string_view DefaultPort(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return "80";
  if (scheme == "https" || scheme == "wss") return "443";
  return "";
}
bool IsSpecial(std::string_view scheme) { return scheme == "file" || !DefaultPort(scheme).empty(); }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A host a WHATWG parser would read as an IPv4 address: its last label is a number
// (decimal, octal "0…" or hex "0x…"). Fine only in the canonical dotted-quad form.
bool IsNonCanonicalIpv4(std::string_view host) {
  const std::string_view last = host.substr(host.rfind('.') == std::string_view::npos ? 0 : host.rfind('.') + 1);
  const bool numeric = AllDigits(last) || (last.size() > 1 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X'));
  if (!numeric) return false;
  boost::system::error_code ec;
  const auto v4 = boost::asio::ip::make_address_v4(std::string(host), ec);
  return ec || v4.to_string() != host;
}

}  // namespace

absl::StatusOr<std::string> NormalizeResourceUri(std::string_view uri) {
  auto parsed = boost::urls::parse_uri(uri);
  if (!parsed) return absl::InvalidArgumentError("it is not an absolute URI (RFC 3986)");
  const std::string raw_path = AsciiLower(std::string_view(parsed->encoded_path()));
  for (std::string_view encoded : {"%2f", "%5c", "%00"}) {
    if (raw_path.find(encoded) != std::string::npos) {
      return absl::InvalidArgumentError("its path holds an encoded '/', '\\' or NUL");
    }
  }
  boost::urls::url url(*parsed);
  url.normalize();
  const std::string scheme(url.scheme());
  if (IsSpecial(scheme)) {
    // What a WHATWG parser would read differently is refused rather than guessed at.
    if (!url.has_authority()) return absl::InvalidArgumentError(StrCat("a ", scheme, " URI needs \"//\" and a host part"));
    if (url.has_userinfo()) return absl::InvalidArgumentError("it carries user information");
    if (url.host_type() == boost::urls::host_type::ipv6) {
      boost::system::error_code ec;
      const auto v6 = boost::asio::ip::make_address_v6(std::string(url.host_address()), ec);
      if (ec || v6.to_string() != url.host_address()) {
        return absl::InvalidArgumentError("its IPv6 host is not in canonical form (RFC 5952)");
      }
    } else if (IsNonCanonicalIpv4(url.encoded_host())) {
      return absl::InvalidArgumentError("its host reads as an IPv4 address not in dotted-quad form");
    }
    if (url.has_port()) {
      std::string_view port = url.port();
      if (scheme == "file") return absl::InvalidArgumentError("a file URI has no port");
      while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
      if (port.empty() || port == DefaultPort(scheme)) {
        url.remove_port();
      } else {
        url.set_port(std::string(port));
      }
    }
  }
  const auto segments = url.encoded_segments();
  size_t index = 0;
  for (auto it = segments.begin(); it != segments.end(); ++it, ++index) {
    const std::string_view segment = *it;
    if (segment == "." || segment == "..") return absl::InvalidArgumentError("its path climbs above the root");
    if (segment.empty() && index + 1 != segments.size()) {
      return absl::InvalidArgumentError("its path has an empty segment (\"//\")");
    }
  }
  if (url.encoded_path().starts_with("//")) return absl::InvalidArgumentError("its path has an empty segment (\"//\")");
  if (!DefaultPort(scheme).empty() && url.encoded_path().empty()) {
    // (Boost.URL's set_encoded_path would write "/./" here.)
    const std::string_view whole = url.buffer();
    const size_t path_at = url.scheme().size() + 3 + url.encoded_authority().size();
    return StrCat(whole.substr(0, path_at), "/", whole.substr(path_at));
  }
  if (scheme == "file" && url.encoded_host() == "localhost") {
    // file://localhost/x is file:///x (RFC 8089 §2).
    return StrCat("file://", std::string_view(url.encoded_resource()));
  }
  return std::string(url.buffer());
}

std::string NormalizeResourceTemplate(std::string_view uri_template) {
  // Each {expression} stands in as a marker of letters no normalisation changes,
  // and is put back afterwards.
  std::vector<std::string> expressions;
  std::string marked;
  for (size_t at = 0; at < uri_template.size();) {
    const size_t open = uri_template.find('{', at);
    const size_t close = open == std::string_view::npos ? open : uri_template.find('}', open);
    if (close == std::string_view::npos) {
      marked.append(uri_template.substr(at));
      break;
    }
    marked.append(uri_template.substr(at, open - at));
    StrAppend(marked, "zqxtemplatez", expressions.size(), "z");
    expressions.emplace_back(uri_template.substr(open, close + 1 - open));
    at = close + 1;
  }
  absl::StatusOr<std::string> normal = NormalizeResourceUri(marked);
  if (!normal.ok()) return std::string(uri_template);
  std::string out = *normal;
  for (size_t i = 0; i < expressions.size(); ++i) {
    const std::string marker = StrCat("zqxtemplatez", i, "z");
    const size_t found = out.find(marker);
    if (found == std::string::npos) return std::string(uri_template);
    out.replace(found, marker.size(), expressions[i]);
  }
  return out;
}

absl::StatusOr<std::string> NormalizeResourcePattern(std::string_view pattern) {
  if (!boost::urls::parse_uri(pattern)) return std::string(pattern);
  return NormalizeResourceUri(pattern);
}

}  // namespace mcpauth::sp
