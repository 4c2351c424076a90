#include "gateway/stream.h"

namespace mcpauth::gw {

Task<void> Stream::Close(std::chrono::milliseconds grace) {
  if (TlsStream* t = tls()) {
    // close_notify tells the peer the answer is complete (RFC 8446 §6.1). The
    // shutdown also waits for the peer's close_notify; that is not needed, so the
    // grace bounds it and its outcome does not matter.
    expires_after(grace);
    co_await t->async_shutdown(asio::as_tuple(asio::use_awaitable));
  }
  boost::system::error_code ignored;
  socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace mcpauth::gw
