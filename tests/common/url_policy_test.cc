#include "services/common/url_policy.h"

#include <gtest/gtest.h>

namespace mcpauth {
namespace {

TEST(UrlPolicy, HttpsAnywhereHttpOnlyOnLoopback) {
  EXPECT_TRUE(CheckFetchUrl("https://auth.example.com/.well-known/jwks.json").ok());
  EXPECT_TRUE(CheckFetchUrl("http://127.0.0.1:8080/jwks").ok());
  EXPECT_TRUE(CheckFetchUrl("http://localhost/jwks").ok());
  EXPECT_TRUE(CheckFetchUrl("http://[::1]:9/jwks").ok());
  EXPECT_FALSE(CheckFetchUrl("http://auth.example.com/jwks").ok());
  EXPECT_FALSE(CheckFetchUrl("http://127.0.0.1.evil.com/jwks").ok());
  EXPECT_FALSE(CheckFetchUrl("ftp://auth.example.com/jwks").ok());
  EXPECT_FALSE(CheckFetchUrl("file:///etc/passwd").ok());
  EXPECT_FALSE(CheckFetchUrl("https://user:pw@auth.example.com/jwks").ok());
  EXPECT_FALSE(CheckFetchUrl("/relative").ok());
}

TEST(UrlPolicy, ResourceUriHasNoFragment) {
  EXPECT_TRUE(CheckResourceUri("https://mcp.example.com/mcp").ok());
  EXPECT_FALSE(CheckResourceUri("https://mcp.example.com/mcp#frag").ok());
  EXPECT_FALSE(CheckResourceUri("mcp.example.com").ok());
}

TEST(UrlPolicy, LoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.10.0.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("LOCALHOST"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("127.evil.com"));
}

}  // namespace
}  // namespace mcpauth
