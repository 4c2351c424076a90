// Resource URIs as the policy compares them: equivalent spellings reach one normal
// form (RFC 3986 §6.2.2, §6.2.3, RFC 8089 §2); spellings an upstream could read as
// another resource are refused.
#include "services/scope_policy/resource_uri.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpauth::sp {
namespace {

std::string Normal(std::string_view uri) {
  absl::StatusOr<std::string> n = NormalizeResourceUri(uri);
  EXPECT_TRUE(n.ok()) << uri << ": " << n.status();
  return n.ok() ? *n : "";
}

std::string WhyRefused(std::string_view uri) {
  absl::StatusOr<std::string> n = NormalizeResourceUri(uri);
  EXPECT_FALSE(n.ok()) << uri << " became " << n.value_or("");
  return n.ok() ? "" : std::string(n.status().message());
}

// The spellings of issue 14, item 4, each reaching the rule's form.
TEST(ResourceUri, EquivalentSpellingsShareOneForm) {
  for (std::string_view uri : {"file:///secret/key", "FILE:///secret/key", "File:///secret/key",
                               "file:///%73ecret/key", "file:///%73%65cret/%6Bey", "file:///public/../secret/key",
                               "file:///./secret/./key", "file:///secret/sub/../key", "file:///secret/%2E/key",
                               "file:///a/%2e%2E/secret/key", "file://localhost/secret/key",
                               "file://LOCALHOST/secret/key"}) {
    EXPECT_EQ(Normal(uri), "file:///secret/key") << uri;
  }
  EXPECT_EQ(Normal("HTTPS://Example.COM:443/a/./b/../c?x=%7e#f"), "https://example.com/a/c?x=~#f");
  EXPECT_EQ(Normal("http://example.com:80"), "http://example.com/");
  EXPECT_EQ(Normal("http://example.com:8080/x"), "http://example.com:8080/x");
  EXPECT_EQ(Normal("file:///a%3ab"), "file:///a:b");
  // Other schemes keep their host and authority as they are (only case and
  // encoding are normalised).
  EXPECT_EQ(Normal("test://static/resource/1"), "test://static/resource/1");
  EXPECT_EQ(Normal("TEST://Static/Resource/1"), "test://static/Resource/1");
  EXPECT_EQ(Normal("urn:example:a"), "urn:example:a");
  // The path stays case-sensitive, and a trailing slash is another resource.
  EXPECT_EQ(Normal("file:///Secret/key"), "file:///Secret/key");
  EXPECT_EQ(Normal("file:///secret/key/"), "file:///secret/key/");
}

TEST(ResourceUri, AmbiguousSpellingsAreRefused) {
  EXPECT_EQ(WhyRefused("file:////secret/key"), "its path has an empty segment (\"//\")");
  EXPECT_EQ(WhyRefused("file:///secret//key"), "its path has an empty segment (\"//\")");
  EXPECT_EQ(WhyRefused("file:///public%2F..%2Fsecret/key"), "its path holds an encoded '/', '\\' or NUL");
  EXPECT_EQ(WhyRefused("file:///secret%2fkey"), "its path holds an encoded '/', '\\' or NUL");
  EXPECT_EQ(WhyRefused("file:///secret%5Ckey"), "its path holds an encoded '/', '\\' or NUL");
  EXPECT_EQ(WhyRefused("file:///secret/key%00.txt"), "its path holds an encoded '/', '\\' or NUL");
  EXPECT_EQ(WhyRefused("file:///../secret/key"), "its path climbs above the root");
  EXPECT_EQ(WhyRefused("file:///%2e%2e/secret/key"), "its path climbs above the root");
  EXPECT_EQ(WhyRefused("file:///secret\\key"), "it is not an absolute URI (RFC 3986)");
  EXPECT_EQ(WhyRefused("secret/key"), "it is not an absolute URI (RFC 3986)");
  EXPECT_EQ(WhyRefused(""), "it is not an absolute URI (RFC 3986)");
  EXPECT_EQ(WhyRefused("file:///secret/key%"), "it is not an absolute URI (RFC 3986)");
}

// Found by review (2026-12-04): the SDKs' WHATWG parsers read these as
// file:///secret/key (or another host), where RFC 3986 sees other URIs.
TEST(ResourceUri, WhatWhatwgParsersReadOtherwiseIsRefused) {
  for (std::string_view uri : {"file:/secret/key", "file:secret/key", "FILE:secret/key", "file:/./secret/key",
                               "file:/public/%2e%2e/secret/key", "https:example.com/x", "https:/example.com/x"}) {
    EXPECT_THAT(WhyRefused(uri), ::testing::HasSubstr("needs \"//\" and a host part")) << uri;
  }
  EXPECT_EQ(WhyRefused("https://user@example.com/x"), "it carries user information");
  EXPECT_EQ(WhyRefused("https://0x7f.1/x"), "its host reads as an IPv4 address not in dotted-quad form");
  EXPECT_EQ(WhyRefused("https://127.1/x"), "its host reads as an IPv4 address not in dotted-quad form");
  EXPECT_EQ(WhyRefused("https://0177.0.0.1/x"), "its host reads as an IPv4 address not in dotted-quad form");
  EXPECT_EQ(WhyRefused("http://[0:0::1]/x"), "its IPv6 host is not in canonical form (RFC 5952)");
  EXPECT_EQ(WhyRefused("file://host:8/x"), "a file URI has no port");
  EXPECT_EQ(Normal("https://example.com:0443/x"), "https://example.com/x");
  EXPECT_EQ(Normal("https://example.com:08443/x"), "https://example.com:8443/x");
  EXPECT_EQ(Normal("https://127.0.0.1/x"), "https://127.0.0.1/x");
  EXPECT_EQ(Normal("http://[::1]:80/x"), "http://[::1]/x");
  EXPECT_EQ(Normal("https://v1.example.com/x"), "https://v1.example.com/x");
  // Other schemes are not special: no authority is fine there.
  EXPECT_EQ(Normal("urn:secret:key"), "urn:secret:key");
  EXPECT_EQ(Normal("test:/static/1"), "test:/static/1");
}

// Found by review: templates were compared as written with normalised patterns.
TEST(ResourceUri, TemplatesAreNormalisedAroundTheirExpressions) {
  EXPECT_EQ(NormalizeResourceTemplate("file://localhost/secret/{f}"), "file:///secret/{f}");
  EXPECT_EQ(NormalizeResourceTemplate("FILE:///%73ecret/{dir}/{+path}"), "file:///secret/{dir}/{+path}");
  EXPECT_EQ(NormalizeResourceTemplate("https://{host}/x"), "https://{host}/x");
  EXPECT_EQ(NormalizeResourceTemplate("file:{path}"), "file:{path}");  // no normal form: as written
  EXPECT_EQ(NormalizeResourceTemplate("test://static/{id}"), "test://static/{id}");
}

TEST(ResourceUri, NormalFormsAreStable) {
  for (std::string_view uri : {"FILE://localhost/%73ecret/./key", "HTTPS://Example.COM:443", "test://a/b/../c"}) {
    const std::string once = Normal(uri);
    EXPECT_EQ(Normal(once), once) << uri;
  }
}

TEST(ResourceUri, PatternsThatAreUrisAreNormalised) {
  EXPECT_EQ(NormalizeResourcePattern("FILE://localhost/secret/*").value(), "file:///secret/*");
  EXPECT_EQ(NormalizeResourcePattern("*").value(), "*");
  EXPECT_EQ(NormalizeResourcePattern("secret*").value(), "secret*");
  EXPECT_FALSE(NormalizeResourcePattern("file:////secret/*").ok());
}

}  // namespace
}  // namespace mcpauth::sp
