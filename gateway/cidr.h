// IPv4/IPv6 CIDR blocks, for deciding which peers' X-Forwarded-* headers to believe.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "absl/status/statusor.h"

namespace mcpauth::gw {

class CidrBlock {
 public:
  // "10.0.0.0/8", "::1/128", or a bare address (a single host).
  static absl::StatusOr<CidrBlock> Parse(const std::string& text);
  bool Contains(const boost::asio::ip::address& address) const;

 private:
  boost::asio::ip::address network_;
  int prefix_ = 0;
};

class CidrSet {
 public:
  // Errors name the offending entry.
  static absl::StatusOr<CidrSet> Parse(const std::vector<std::string>& blocks);
  bool Contains(const boost::asio::ip::address& address) const;
  bool empty() const { return blocks_.empty(); }

 private:
  std::vector<CidrBlock> blocks_;
};

}  // namespace mcpauth::gw
