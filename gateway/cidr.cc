#include "gateway/cidr.h"

#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

// Bytes of an address; IPv4-mapped IPv6 addresses compare as IPv4.
std::vector<unsigned char> Bytes(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    auto b = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_bytes();
    return {b.begin(), b.end()};
  }
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    return {b.begin(), b.end()};
  }
  auto b = a.to_v6().to_bytes();
  return {b.begin(), b.end()};
}

}  // namespace

absl::StatusOr<CidrBlock> CidrBlock::Parse(const std::string& text) {
  const size_t slash = text.find('/');
  boost::system::error_code ec;
  CidrBlock block;
  block.network_ = boost::asio::ip::make_address(text.substr(0, slash), ec);
  if (ec) return absl::InvalidArgumentError(StrCat("\"", text, "\" is not an IP address or CIDR block"));
  const int bits = block.network_.is_v4() ? 32 : 128;
  block.prefix_ = bits;
  if (slash != std::string::npos) {
    int64_t prefix = -1;
    if (!ParseInt64(std::string_view(text).substr(slash + 1), prefix) || prefix < 0 || prefix > bits) {
      return absl::InvalidArgumentError(StrCat("\"", text, "\" has a bad prefix length"));
    }
    block.prefix_ = static_cast<int>(prefix);
  }
  return block;
}

bool CidrBlock::Contains(const boost::asio::ip::address& address) const {
  const std::vector<unsigned char> net = Bytes(network_), addr = Bytes(address);
  if (net.size() != addr.size()) return false;
  int remaining = prefix_;
  for (size_t i = 0; i < net.size() && remaining > 0; ++i, remaining -= 8) {
    const unsigned char mask = remaining >= 8 ? 0xFF : static_cast<unsigned char>(0xFF << (8 - remaining));
    if ((net[i] & mask) != (addr[i] & mask)) return false;
  }
  return true;
}

absl::StatusOr<CidrSet> CidrSet::Parse(const std::vector<std::string>& blocks) {
  CidrSet set;
  for (const std::string& b : blocks) {
    auto block = CidrBlock::Parse(b);
    if (!block.ok()) return block.status();
    set.blocks_.push_back(*block);
  }
  return set;
}

bool CidrSet::Contains(const boost::asio::ip::address& address) const {
  for (const CidrBlock& b : blocks_) {
    if (b.Contains(address)) return true;
  }
  return false;
}

}  // namespace mcpauth::gw
