// htu against the request URI (RFC 9449 §4.3 step 9): equal after RFC 3986
// syntax-based and scheme-based normalization, query and fragment ignored.
#include "services/token_validation/dpop_htu.h"

#include <gtest/gtest.h>

namespace mcpauth::tv {
namespace {

TEST(NormalizeHtu, CanonicalFormIsUnchanged) {
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/mcp"), "https://mcp.example.com/mcp");
  EXPECT_EQ(NormalizeHtu("http://127.0.0.1:8080/a/b/"), "http://127.0.0.1:8080/a/b/");
}

TEST(NormalizeHtu, SchemeAndHostCaseFold) {
  EXPECT_EQ(NormalizeHtu("HTTPS://MCP.Example.COM/mcp"), "https://mcp.example.com/mcp");
  EXPECT_EQ(NormalizeHtu("https://[FE80::1]/x"), "https://[fe80::1]/x");
  // The path is case-sensitive (RFC 3986 §6.2.2.1).
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/MCP"), "https://mcp.example.com/MCP");
}

TEST(NormalizeHtu, DefaultAndEmptyPortsAreDropped) {
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com:443/mcp"), "https://mcp.example.com/mcp");
  EXPECT_EQ(NormalizeHtu("http://mcp.example.com:80/mcp"), "http://mcp.example.com/mcp");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com:/mcp"), "https://mcp.example.com/mcp");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com:0443/mcp"), "https://mcp.example.com/mcp");
  // Another scheme's default port is not a default here.
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com:80/mcp"), "https://mcp.example.com:80/mcp");
  EXPECT_EQ(NormalizeHtu("http://mcp.example.com:443/mcp"), "http://mcp.example.com:443/mcp");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com:08443/mcp"), "https://mcp.example.com:8443/mcp");
}

TEST(NormalizeHtu, PercentEncodingIsNormalized) {
  // Unreserved characters are decoded; the hex of the rest is uppercased.
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/%7Euser/%61%62c"), "https://mcp.example.com/~user/abc");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/a%2fb%3a%20c"), "https://mcp.example.com/a%2Fb%3A%20c");
  // Reserved characters stay encoded: "%2F" is not "/" and "%2A" is not "*".
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/a%2Fb"), "https://mcp.example.com/a%2Fb");
  EXPECT_NE(NormalizeHtu("https://mcp.example.com/a%2Fb"), NormalizeHtu("https://mcp.example.com/a/b"));
  EXPECT_NE(NormalizeHtu("https://mcp.example.com/%2A"), NormalizeHtu("https://mcp.example.com/*"));
  // Hosts: decoded unreserved characters are lowercased too.
  EXPECT_EQ(NormalizeHtu("https://%4D%43%50.example.com/"), "https://mcp.example.com/");
}

TEST(NormalizeHtu, DotSegmentsAreRemoved) {
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/a/./b/../c"), "https://mcp.example.com/a/c");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/a/b/.."), "https://mcp.example.com/a/");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/a/b/."), "https://mcp.example.com/a/b/");
  // Above the root: RFC 3986 §5.2.4 stops at "/".
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/a/../../../mcp"), "https://mcp.example.com/mcp");
  // Percent-encoded dots are unreserved: decoded first, then removed.
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/x/%2e%2E/mcp"), "https://mcp.example.com/mcp");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/%2E/mcp"), "https://mcp.example.com/mcp");
  // Not dot segments.
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/a/..b/.c"), "https://mcp.example.com/a/..b/.c");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/a//b"), "https://mcp.example.com/a//b");
}

TEST(NormalizeHtu, EmptyPathIsRoot) {
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com"), "https://mcp.example.com/");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com?x=1"), "https://mcp.example.com/");
}

TEST(NormalizeHtu, QueryAndFragmentAreIgnored) {
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/mcp?session=1&x=%41#frag"), "https://mcp.example.com/mcp");
  EXPECT_EQ(NormalizeHtu("https://mcp.example.com/mcp#"), "https://mcp.example.com/mcp");
}

TEST(NormalizeHtu, UserinfoIsKeptSoItNeverMatchesTheRequest) {
  EXPECT_EQ(NormalizeHtu("https://user@mcp.example.com/mcp"), "https://user@mcp.example.com/mcp");
  EXPECT_FALSE(HtuMatches("https://user@mcp.example.com/mcp", "https://mcp.example.com/mcp"));
}

TEST(NormalizeHtu, RefusesWhatIsNotAnAbsoluteHttpUri) {
  for (const char* bad : {"", "/mcp", "mcp.example.com/mcp", "urn:example:mcp", "ftp://mcp.example.com/mcp",
                          "https:///mcp", "https://mcp example.com/", "https://mcp.example.com:99999999999999999999/",
                          // Boost.URL 1.81 reads this as host 127.0.0.1 (url_policy.h).
                          "http://127.0.0.1.evil.com/"}) {
    EXPECT_EQ(NormalizeHtu(bad), std::nullopt) << bad;
  }
}

TEST(HtuMatches, EquivalentFormsMatch) {
  const char* request = "https://mcp.example.com/mcp";
  for (const char* htu :
       {"https://mcp.example.com/mcp", "HTTPS://MCP.EXAMPLE.COM/mcp", "https://mcp.example.com:443/mcp",
        "https://mcp.example.com/%6Dcp", "https://mcp.example.com/x/../mcp", "https://mcp.example.com/./mcp",
        "https://mcp.example.com/mcp?a=b#c"}) {
    EXPECT_TRUE(HtuMatches(htu, request)) << htu;
  }
  EXPECT_TRUE(HtuMatches("https://mcp.example.com/mcp", "https://MCP.example.com:443/mcp?x=y"));
}

TEST(HtuMatches, DifferentTargetsDoNotMatch) {
  const char* request = "https://mcp.example.com/mcp";
  for (const char* htu : {"http://mcp.example.com/mcp", "https://mcp.example.com:8443/mcp",
                          "https://other.example.com/mcp", "https://mcp.example.com/mcp/",
                          "https://mcp.example.com/MCP", "https://mcp.example.com/mcp2", "https://mcp.example.com/",
                          "https://mcp.example.com/mcp%2F", "https://mcp.example.com.evil.com/mcp", "/mcp", ""}) {
    EXPECT_FALSE(HtuMatches(htu, request)) << htu;
  }
  // An unparsable request URI matches nothing (fail closed).
  EXPECT_FALSE(HtuMatches("https://mcp.example.com/mcp", ""));
  EXPECT_FALSE(HtuMatches("https://mcp.example.com/mcp", "not a uri"));
}

}  // namespace
}  // namespace mcpauth::tv
