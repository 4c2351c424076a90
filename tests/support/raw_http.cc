#include "tests/support/raw_http.h"

#include <boost/asio.hpp>

#include "services/common/strings.h"

namespace mcpauth::test {

std::string RawHttpExchange(int port, const std::string& bytes, bool half_close, absl::Duration timeout) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
  if (ec) return "";
  asio::write(s, asio::buffer(bytes), ec);
  if (half_close) s.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  timeval tv = absl::ToTimeval(timeout);
  setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  char buf[8192];
  for (;;) {
    const size_t n = s.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

std::string RawHeader(const std::string& response, const std::string& name) {
  const size_t end = response.find("\r\n\r\n");
  std::string_view head = std::string_view(response).substr(0, end);
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    std::string_view line = head.substr(pos, eol - pos);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && EqualsIgnoreCase(line.substr(0, colon), name)) {
      return std::string(TrimAsciiWhitespace(line.substr(colon + 1)));
    }
    pos = eol + 2;
  }
  return "";
}

std::string RawBody(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

int RawStatus(const std::string& response) {
  return response.size() >= 12 && response.starts_with("HTTP/1.1 ") ? std::atoi(response.substr(9, 3).c_str()) : 0;
}

}  // namespace mcpauth::test
