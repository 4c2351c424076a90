// The DPoP `htu` comparison (RFC 9449 §4.3 step 9): the proof's htu and the
// request's URI are equal after RFC 3986 syntax-based (§6.2.2) and scheme-based
// (§6.2.3) normalization, ignoring query and fragment.
//
// Boost.URL parses (through ParseUri, which refuses what Boost.URL 1.81 misreads);
// the normalization itself is written out here because url::normalize() in 1.81
// decodes reserved characters ("%2F" becomes "/", changing the path) and leaves
// "/../" above the root and decoded "%2E%2E" segments in place.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mcpauth::tv {

// The normalized form of an absolute http(s) URI without its query and fragment:
// scheme and host lowercased, the scheme's default port and an empty port removed,
// percent-encodings of unreserved characters decoded and all others uppercased,
// dot segments removed, an empty path made "/". Userinfo is kept (normalized), so
// a URI carrying it never equals one without. nullopt when `uri` is not an
// absolute URI with an authority, or its scheme is not http or https.
std::optional<std::string> NormalizeHtu(std::string_view uri);

// True when both normalize, to the same string.
bool HtuMatches(std::string_view htu, std::string_view request_uri);

}  // namespace mcpauth::tv
