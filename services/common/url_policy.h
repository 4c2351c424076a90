// Which URLs the suite may fetch keys and metadata from: https everywhere, plain
// http only to loopback hosts (local development and tests).
#pragma once

#include <string>
#include <string_view>

#include <boost/url/url_view.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mcpauth {

// Parses a URI with a scheme (RFC 3986 §3), fragment allowed. Boost.URL 1.81 reads
// "http://127.0.0.1.evil.com/" as host 127.0.0.1 with path ".evil.com/"; a path
// after an authority must be empty or start with "/", so such input is refused
// here instead of being trusted as loopback.
absl::StatusOr<boost::urls::url_view> ParseUri(std::string_view text);

// OK, or InvalidArgument saying why `url` may not be fetched.
absl::Status CheckFetchUrl(std::string_view url);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

// An absolute https (or loopback http) URI without a fragment, as a canonical
// resource identifier must be (RFC 8707 §2, RFC 9728 §1.2).
absl::Status CheckResourceUri(std::string_view uri);

}  // namespace mcpauth
