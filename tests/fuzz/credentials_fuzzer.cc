// libFuzzer target: the gateway's credential extractor (gateway/credentials.cc)
// behind Boost.Beast's HTTP/1.1 request parser, as the gateway runs them: the input
// is the raw bytes a client sends. Whatever parses is asked for its credentials;
// a token, when found, must be one RFC 6750 b64token and the scheme Bearer or DPoP.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <string>

#include "gateway/credentials.h"

using namespace mcpauth;
using namespace mcpauth::gw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const Request& request = parser.get();
  Credentials c = ExtractCredentials(request);
  if (c.outcome == Credentials::Outcome::kPresent) {
    if (c.token.empty() || (c.scheme != "Bearer" && c.scheme != "DPoP")) __builtin_trap();
    if (c.token.find_first_of(" ,\t\r\n") != std::string::npos) __builtin_trap();
  }
  return 0;
}
