// OpenSSL's error queue as one line for a log or an error message.
#pragma once

#include <string>
#include <string_view>

namespace mcpauth {

// The text of the oldest error queued on this thread (e.g. "error:0A000086:SSL
// routines::certificate verify failed"), or `when_none` when the queue is empty; the
// queue is cleared either way, so a later call does not report this one again.
std::string TakeOpenSslError(std::string_view when_none);

}  // namespace mcpauth
