// The gateway's HTTP vocabulary: Boost.Beast types and the small helpers every
// part of the edge uses. HTTP framing is Beast's; nothing here parses HTTP by hand.
#pragma once

#include <string>
#include <string_view>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace mcpauth::gw {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

template <typename T>
using Task = asio::awaitable<T>;

inline std::string_view View(beast::string_view s) { return std::string_view(s.data(), s.size()); }

// The path of a request target, without query.
inline std::string_view TargetPath(std::string_view target) {
  const size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace mcpauth::gw
