// IPv4/IPv6 CIDR blocks, for deciding which peers' X-Forwarded-* headers to believe.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include "absl/status/statusor.h"

namespace mcpauth::gw {

class CidrSet {
 public:
  // Each entry "10.0.0.0/8", "::1/128", or a bare address (a single host). Errors
  // name the offending entry.
  static absl::StatusOr<CidrSet> Parse(const std::vector<std::string>& blocks);
  // IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are matched as IPv4.
  bool Contains(const boost::asio::ip::address& address) const;

 private:
  std::vector<std::variant<boost::asio::ip::network_v4, boost::asio::ip::network_v6>> blocks_;
};

}  // namespace mcpauth::gw
