#include "services/scope_policy/resource_uri.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "services/common/strings.h"

namespace mcpauth::sp {

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
  const std::string_view scheme = url.scheme();
  if (scheme == "http" || scheme == "https") {
    const std::string_view default_port = scheme == "http" ? "80" : "443";
    if (url.has_port() && (url.port().empty() || url.port() == default_port)) url.remove_port();
    if (url.encoded_path().empty()) {
      // (Boost.URL's set_encoded_path would write "/./" here.)
      const std::string_view whole = url.buffer();
      const size_t path_at = url.scheme().size() + 3 + url.encoded_authority().size();
      return StrCat(whole.substr(0, path_at), "/", whole.substr(path_at));
    }
  }
  if (scheme == "file" && url.has_authority() && url.encoded_host() == "localhost" && !url.has_port() &&
      !url.has_userinfo()) {
    // file://localhost/x is file:///x; the rest of the URI stays as it is.
    return StrCat("file://", std::string_view(url.encoded_resource()));
  }
  return std::string(url.buffer());
}

absl::StatusOr<std::string> NormalizeResourcePattern(std::string_view pattern) {
  if (!boost::urls::parse_uri(pattern)) return std::string(pattern);
  return NormalizeResourceUri(pattern);
}

}  // namespace mcpauth::sp
