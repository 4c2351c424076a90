// Raw HTTP/1.1 on a fresh loopback connection, for tests that must send what a
// well-behaved client never would (malformed framing, slow or oversized headers).
#pragma once

#include <string>

#include "absl/time/time.h"

namespace mcpauth::test {

// Sends `bytes` to 127.0.0.1:`port` and returns everything received until the
// server closes the connection or `timeout` passes. With `half_close`, the write
// side is shut down after sending (the server sees end of input).
std::string RawHttpExchange(int port, const std::string& bytes, bool half_close = true,
                            absl::Duration timeout = absl::Seconds(5));

// The value of the first header `name` (any case) in a raw response, or "".
std::string RawHeader(const std::string& response, const std::string& name);
// The body of a raw response (after the blank line), or "".
std::string RawBody(const std::string& response);
// The status code of an HTTP/1.1 response; 0 when there is none.
int RawStatus(const std::string& response);

}  // namespace mcpauth::test
