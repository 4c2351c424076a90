#include "gateway/cidr.h"

#include <gtest/gtest.h>

namespace mcpauth::gw {
namespace {

boost::asio::ip::address A(const char* s) { return boost::asio::ip::make_address(s); }

TEST(Cidr, Ipv4Blocks) {
  auto set = CidrSet::Parse({"10.0.0.0/8", "192.168.1.7"});
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->Contains(A("10.1.2.3")));
  EXPECT_FALSE(set->Contains(A("11.0.0.1")));
  EXPECT_TRUE(set->Contains(A("192.168.1.7")));
  EXPECT_FALSE(set->Contains(A("192.168.1.8")));
  EXPECT_TRUE(set->Contains(A("::ffff:10.9.9.9")));  // IPv4-mapped
}

TEST(Cidr, Ipv6AndOddPrefixes) {
  auto set = CidrSet::Parse({"fd00::/8", "172.16.0.0/12"});
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->Contains(A("fd12::1")));
  EXPECT_FALSE(set->Contains(A("fe80::1")));
  EXPECT_TRUE(set->Contains(A("172.31.255.255")));
  EXPECT_FALSE(set->Contains(A("172.32.0.0")));
  EXPECT_FALSE(set->Contains(A("10.0.0.1")));
}

TEST(Cidr, Errors) {
  EXPECT_FALSE(CidrSet::Parse({"10.0.0.0/33"}).ok());
  EXPECT_FALSE(CidrSet::Parse({"not-an-ip"}).ok());
  EXPECT_FALSE(CidrSet::Parse({"10.0.0.0/x"}).ok());
  EXPECT_FALSE(CidrSet::Parse({"10.0.0.0/99999999999999999999"}).ok());
  EXPECT_FALSE(CidrSet::Parse({"10.0.0.0/"}).ok());
  EXPECT_FALSE(CidrSet::Parse({"::1/129"}).ok());
  EXPECT_FALSE(CidrSet::Parse({})->Contains(A("127.0.0.1")));
}

}  // namespace
}  // namespace mcpauth::gw
