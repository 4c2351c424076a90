// Which URLs the suite may fetch keys and metadata from: https everywhere, plain
// http only to loopback hosts (local development and tests).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace mcpauth {

// OK, or InvalidArgument saying why `url` may not be fetched.
absl::Status CheckFetchUrl(std::string_view url);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

// An absolute https (or loopback http) URI without a fragment, as a canonical
// resource identifier must be (RFC 8707 §2, RFC 9728 §1.2).
absl::Status CheckResourceUri(std::string_view uri);

}  // namespace mcpauth
