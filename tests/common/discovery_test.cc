#include "services/common/discovery.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_fetcher.h"

namespace mcpauth {
namespace {

using testing::FakeFetcher;

TEST(DiscoveryUrls, RootIssuer) {
  EXPECT_EQ(DiscoveryUrls("https://as.example.com"),
            (std::vector<std::string>{"https://as.example.com/.well-known/oauth-authorization-server",
                                      "https://as.example.com/.well-known/openid-configuration"}));
  EXPECT_EQ(DiscoveryUrls("https://as.example.com/"),
            (std::vector<std::string>{"https://as.example.com/.well-known/oauth-authorization-server",
                                      "https://as.example.com/.well-known/openid-configuration"}));
}

// RFC 8414 §3.1 inserts the well-known segment before the issuer's path; OIDC
// Discovery appends it.
TEST(DiscoveryUrls, IssuerWithPath) {
  EXPECT_EQ(DiscoveryUrls("https://as.example.com/tenant1"),
            (std::vector<std::string>{
                "https://as.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://as.example.com/.well-known/openid-configuration/tenant1",
                "https://as.example.com/tenant1/.well-known/openid-configuration"}));
}

TEST(Discovery, PrefersRfc8414AndChecksIssuer) {
  FakeFetcher fetcher;
  fetcher.Serve("https://as.example.com/.well-known/oauth-authorization-server",
                R"({"issuer":"https://as.example.com","jwks_uri":"https://as.example.com/jwks"})");
  auto m = DiscoverAuthorizationServer(fetcher, "https://as.example.com");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->jwks_uri, "https://as.example.com/jwks");
  EXPECT_EQ(fetcher.Total(), 1);
}

TEST(Discovery, FallsBackToOpenIdConnect) {
  FakeFetcher fetcher;
  fetcher.Serve("https://idp.example.com/realms/r/.well-known/openid-configuration",
                R"({"issuer":"https://idp.example.com/realms/r","jwks_uri":"https://idp.example.com/certs"})");
  auto m = DiscoverAuthorizationServer(fetcher, "https://idp.example.com/realms/r");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->source_url, "https://idp.example.com/realms/r/.well-known/openid-configuration");
}

TEST(Discovery, RefusesAnotherIssuersDocument) {
  FakeFetcher fetcher;
  fetcher.Serve("https://as.example.com/.well-known/oauth-authorization-server",
                R"({"issuer":"https://evil.example.com","jwks_uri":"https://evil.example.com/jwks"})");
  fetcher.Serve("https://as.example.com/.well-known/openid-configuration",
                R"({"issuer":"https://as.example.com","jwks_uri":"https://as.example.com/jwks"})");
  auto m = DiscoverAuthorizationServer(fetcher, "https://as.example.com");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(Discovery, RefusesTrailingSlashMismatch) {
  FakeFetcher fetcher;
  fetcher.Serve("https://as.example.com/.well-known/oauth-authorization-server",
                R"({"issuer":"https://as.example.com/","jwks_uri":"https://as.example.com/jwks"})");
  EXPECT_FALSE(DiscoverAuthorizationServer(fetcher, "https://as.example.com").ok());
}

TEST(Discovery, RefusesInsecureJwksUri) {
  FakeFetcher fetcher;
  fetcher.Serve("https://as.example.com/.well-known/oauth-authorization-server",
                R"({"issuer":"https://as.example.com","jwks_uri":"http://as.example.com/jwks"})");
  EXPECT_FALSE(DiscoverAuthorizationServer(fetcher, "https://as.example.com").ok());
}

TEST(Directory, CachesThenServesStaleWhileRefreshFails) {
  ManualClock clock;
  FakeFetcher fetcher;
  InProcessStore store(100, &clock);
  prometheus::Registry registry;
  const std::string url = "https://as.example.com/.well-known/oauth-authorization-server";
  fetcher.Serve(url, R"({"issuer":"https://as.example.com","jwks_uri":"https://as.example.com/jwks"})");
  AuthorizationServerDirectory directory(&fetcher, &store, absl::Seconds(300), &registry, &clock);
  ASSERT_TRUE(directory.Lookup("https://as.example.com").ok());
  ASSERT_TRUE(directory.Lookup("https://as.example.com").ok());
  EXPECT_EQ(fetcher.Count(url), 1);

  clock.Advance(absl::Seconds(301));
  fetcher.Fail(url);
  auto stale = directory.Lookup("https://as.example.com");
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ((*stale)->jwks_uri, "https://as.example.com/jwks");
}

TEST(Directory, SecondInstanceReadsTheSharedCacheWithoutFetching) {
  ManualClock clock;
  FakeFetcher fetcher;
  InProcessStore shared(100, &clock);
  prometheus::Registry registry;
  const std::string url = "https://as.example.com/.well-known/oauth-authorization-server";
  fetcher.Serve(url, R"({"issuer":"https://as.example.com","jwks_uri":"https://as.example.com/jwks"})");
  AuthorizationServerDirectory first(&fetcher, &shared, absl::Seconds(300), &registry, &clock);
  ASSERT_TRUE(first.Lookup("https://as.example.com").ok());
  AuthorizationServerDirectory second(&fetcher, &shared, absl::Seconds(300), &registry, &clock);
  auto m = second.Lookup("https://as.example.com");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->jwks_uri, "https://as.example.com/jwks");
  EXPECT_EQ(fetcher.Count(url), 1);
}

TEST(Directory, UnreachableServerIsAnError) {
  ManualClock clock;
  FakeFetcher fetcher;
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, nullptr, absl::Seconds(300), &registry, &clock);
  auto m = directory.Lookup("https://down.example.com");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable);
  // Remembered for a moment: the next lookups do not hit the dead server again.
  const int fetches = fetcher.Total();
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(directory.Lookup("https://down.example.com").ok());
  EXPECT_EQ(fetcher.Total(), fetches);
  clock.Advance(absl::Seconds(31));
  EXPECT_FALSE(directory.Lookup("https://down.example.com").ok());
  EXPECT_GT(fetcher.Total(), fetches);
}

}  // namespace
}  // namespace mcpauth
