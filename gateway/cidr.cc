#include "gateway/cidr.h"

#include "services/common/strings.h"

namespace mcpauth::gw {

namespace ip = boost::asio::ip;

absl::StatusOr<CidrSet> CidrSet::Parse(const std::vector<std::string>& blocks) {
  CidrSet set;
  for (const std::string& text : blocks) {
    boost::system::error_code ec;
    const bool v6 = text.find(':') != std::string::npos;
    const size_t slash = text.find('/');
    if (slash != std::string::npos && text.size() - slash > 4) {  // "/128" at most
      return absl::InvalidArgumentError(StrCat("\"", text, "\" has a bad prefix length"));
    }
    const std::string cidr = slash != std::string::npos ? text : text + (v6 ? "/128" : "/32");
    if (v6) {
      set.blocks_.emplace_back(ip::make_network_v6(cidr, ec));
    } else {
      set.blocks_.emplace_back(ip::make_network_v4(cidr, ec));
    }
    if (ec) return absl::InvalidArgumentError(StrCat("\"", text, "\" is not an IP address or CIDR block"));
  }
  return set;
}

bool CidrSet::Contains(const ip::address& address) const {
  ip::address a = address;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  for (const auto& block : blocks_) {
    if (const auto* v4 = std::get_if<ip::network_v4>(&block); v4 != nullptr && a.is_v4()) {
      if (ip::network_v4(a.to_v4(), v4->prefix_length()).network() == v4->network()) return true;
    }
    if (const auto* v6 = std::get_if<ip::network_v6>(&block); v6 != nullptr && a.is_v6()) {
      if (ip::network_v6(a.to_v6(), v6->prefix_length()).network() == v6->network()) return true;
    }
  }
  return false;
}

}  // namespace mcpauth::gw
