#include "services/common/discovery.h"

#include <condition_variable>
#include <map>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/fakes/fake_fetcher.h"

namespace mcpauth {
namespace {

using testing::FakeFetcher;

constexpr char kIssuer[] = "https://as.example.com";
constexpr char kRfc8414Url[] = "https://as.example.com/.well-known/oauth-authorization-server";
constexpr char kDocument[] = R"({"issuer":"https://as.example.com","jwks_uri":"https://as.example.com/jwks"})";

// The value of a counter sample in `registry`; 0 when it is not there.
double Counter(prometheus::Registry& registry, const std::string& name,
               const std::map<std::string, std::string>& labels) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have == labels) return metric.counter.value;
    }
  }
  return 0;
}

double Fetches(prometheus::Registry& registry, const std::string& result) {
  return Counter(registry, "mcpauth_discovery_fetches_total", {{"result", result}});
}

double CacheResults(prometheus::Registry& registry, const std::string& result) {
  return Counter(registry, "mcpauth_cache_requests_total", {{"cache", "discovery"}, {"result", result}});
}

// Holds every fetch at a gate until the test opens it, so a test can have one
// thread inside a discovery while another asks.
class GatedFetcher final : public HttpFetcher {
 public:
  explicit GatedFetcher(HttpFetcher* inner) : inner_(inner) {}
  absl::StatusOr<HttpResponse> Get(const std::string& url) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++waiting_;
      changed_.notify_all();
      changed_.wait(lock, [this] { return open_; });
      --waiting_;
    }
    return inner_->Get(url);
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  // True once a fetch waits at the closed gate (false after 10 s).
  bool WaitForWaiter() {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [this] { return waiting_ > 0; });
  }

 private:
  HttpFetcher* inner_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool open_ = true;
  int waiting_ = 0;
};

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

TEST(Discovery, SaysWhyNothingWasFound) {
  FakeFetcher fetcher;
  auto none = DiscoverAuthorizationServer(fetcher, kIssuer);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_STREQ(DiscoveryResultLabel(none.status()), "unavailable");
  fetcher.Serve(kRfc8414Url, "<html>not json</html>");
  auto invalid = DiscoverAuthorizationServer(fetcher, kIssuer);
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_STREQ(DiscoveryResultLabel(invalid.status()), "invalid");
  fetcher.Serve(kRfc8414Url, R"({"issuer":"https://evil.example.com"})");
  EXPECT_STREQ(DiscoveryResultLabel(DiscoverAuthorizationServer(fetcher, kIssuer).status()), "issuer_mismatch");
  fetcher.Serve(kRfc8414Url, kDocument);
  EXPECT_STREQ(DiscoveryResultLabel(DiscoverAuthorizationServer(fetcher, kIssuer).status()), "success");
  // An error page at the RFC 8414 URL does not stop the OIDC fallback.
  fetcher.Serve(kRfc8414Url, "oops", 500);
  fetcher.Serve("https://as.example.com/.well-known/openid-configuration", kDocument);
  auto oidc = DiscoverAuthorizationServer(fetcher, kIssuer);
  ASSERT_TRUE(oidc.ok()) << oidc.status();
  EXPECT_EQ(oidc->source_url, "https://as.example.com/.well-known/openid-configuration");
}

TEST(Directory, RefusesAndCountsAnIssuerMismatch) {
  ManualClock clock;
  FakeFetcher fetcher;
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, nullptr, absl::Seconds(300), &registry, &clock);
  fetcher.Serve(kRfc8414Url, R"({"issuer":"https://evil.example.com","jwks_uri":"https://evil.example.com/jwks"})");
  auto m = directory.Find(kIssuer);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Fetches(registry, "issuer_mismatch"), 1);
  EXPECT_EQ(Fetches(registry, "success"), 0);
  // Remembered: asking again does not refetch until the backoff has passed.
  EXPECT_EQ(directory.Find(kIssuer).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(fetcher.Count(kRfc8414Url), 1);
  EXPECT_EQ(CacheResults(registry, "negative"), 1);
}

TEST(Directory, KeepsTheGoodDocumentWhenTheServerLaterNamesAnotherIssuer) {
  ManualClock clock;
  FakeFetcher fetcher;
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, nullptr, absl::Seconds(300), &registry, &clock);
  fetcher.Serve(kRfc8414Url, kDocument);
  ASSERT_TRUE(directory.Find(kIssuer).ok());
  clock.Advance(absl::Seconds(301));
  fetcher.Serve(kRfc8414Url, R"({"issuer":"https://evil.example.com","jwks_uri":"https://evil.example.com/jwks"})");
  auto m = directory.Find(kIssuer);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->stale);
  EXPECT_EQ(m->metadata->jwks_uri, "https://as.example.com/jwks");
  EXPECT_EQ(Fetches(registry, "issuer_mismatch"), 1);
}

TEST(Directory, AnswersWithFreshnessAndCountsEveryOutcome) {
  ManualClock clock;
  FakeFetcher fetcher;
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, nullptr, absl::Seconds(300), &registry, &clock);
  fetcher.Serve(kRfc8414Url, kDocument, 200, "public, max-age=120");
  const absl::Time start = clock.Now();
  auto first = directory.Find(kIssuer);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->stale);
  // The server's max-age (120 s) is shorter than cache_ttl (300 s): it wins.
  EXPECT_EQ(first->fresh_until, start + absl::Seconds(120));
  EXPECT_EQ(first->metadata->fetched_at, start);
  EXPECT_EQ(first->metadata->cache_control, "public, max-age=120");
  EXPECT_EQ(first->metadata->document, kDocument);
  EXPECT_EQ(CacheResults(registry, "miss"), 1);
  EXPECT_EQ(Fetches(registry, "success"), 1);

  clock.Advance(absl::Seconds(119));
  EXPECT_FALSE(directory.Find(kIssuer)->stale);
  EXPECT_EQ(CacheResults(registry, "hit"), 1);
  EXPECT_EQ(fetcher.Count(kRfc8414Url), 1);

  clock.Advance(absl::Seconds(2));
  fetcher.Fail(kRfc8414Url);
  auto stale = directory.Find(kIssuer);
  ASSERT_TRUE(stale.ok());
  EXPECT_TRUE(stale->stale);
  EXPECT_EQ(stale->metadata->jwks_uri, "https://as.example.com/jwks");
  EXPECT_EQ(Fetches(registry, "unavailable"), 1);
  // In backoff: stale again, without a fetch.
  EXPECT_TRUE(directory.Find(kIssuer)->stale);
  EXPECT_EQ(CacheResults(registry, "stale"), 1);
  EXPECT_EQ(fetcher.Count(kRfc8414Url), 2);

  // The server comes back: fresh again after the backoff.
  fetcher.Serve(kRfc8414Url, kDocument);
  clock.Advance(absl::Seconds(1));
  EXPECT_FALSE(directory.Find(kIssuer)->stale);
  EXPECT_EQ(Fetches(registry, "success"), 2);
}

TEST(Directory, SharedCacheEntryExpiresWithTheDocument) {
  ManualClock clock;
  FakeFetcher fetcher;
  InProcessStore shared(100, &clock);
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, &shared, absl::Seconds(300), &registry, &clock);
  fetcher.Serve(kRfc8414Url, kDocument, 200, "max-age=60");
  ASSERT_TRUE(directory.Find(kIssuer).ok());
  const std::string key = "mcpauth:v1:as-metadata:https://as.example.com";
  auto stored = shared.Get(key);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  boost::json::value entry = boost::json::parse(**stored);
  EXPECT_EQ(entry.at("document"), kDocument);
  EXPECT_EQ(entry.at("source_url"), kRfc8414Url);
  // Times in Unix milliseconds, as every shared cache entry of the suite writes them.
  EXPECT_EQ(entry.at("expires_at_ms").to_number<int64_t>(), absl::ToUnixMillis(clock.Now() + absl::Seconds(60)));
  EXPECT_EQ(entry.at("fetched_at_ms").to_number<int64_t>(), absl::ToUnixMillis(clock.Now()));
  clock.Advance(absl::Seconds(59));
  EXPECT_TRUE(shared.Get(key)->has_value());
  clock.Advance(absl::Seconds(2));
  EXPECT_FALSE(shared.Get(key)->has_value());
}

TEST(Directory, IgnoresASharedEntryForAnotherIssuer) {
  ManualClock clock;
  FakeFetcher fetcher;
  InProcessStore shared(100, &clock);
  prometheus::Registry registry;
  // Another writer put another issuer's document under this issuer's key.
  boost::json::object poisoned{{"document", R"({"issuer":"https://evil.example.com","jwks_uri":"https://evil.example.com/jwks"})"},
                               {"source_url", "https://evil.example.com/.well-known/oauth-authorization-server"},
                               {"fetched_at_ms", absl::ToUnixMillis(clock.Now())},
                               {"expires_at_ms", absl::ToUnixMillis(clock.Now() + absl::Seconds(300))}};
  ASSERT_TRUE(shared.Set("mcpauth:v1:as-metadata:https://as.example.com", boost::json::serialize(poisoned),
                         absl::Seconds(300)).ok());
  fetcher.Serve(kRfc8414Url, kDocument);
  AuthorizationServerDirectory directory(&fetcher, &shared, absl::Seconds(300), &registry, &clock);
  auto m = directory.Find(kIssuer);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->metadata->jwks_uri, "https://as.example.com/jwks");
  EXPECT_EQ(fetcher.Count(kRfc8414Url), 1);
  EXPECT_EQ(CacheResults(registry, "shared_hit"), 0);
}

TEST(Directory, RefreshesAheadOfExpirySoLookupsStayFresh) {
  ManualClock clock;
  FakeFetcher fetcher;
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, nullptr, absl::Seconds(300), &registry, &clock);
  fetcher.Serve(kRfc8414Url, kDocument);
  const absl::Time start = clock.Now();
  EXPECT_EQ(directory.NextRefresh(kIssuer), absl::InfinitePast());  // never tried: due
  ASSERT_TRUE(directory.Refresh(kIssuer).ok());
  // A tenth of the lifetime early, at most 30 s.
  EXPECT_EQ(directory.NextRefresh(kIssuer), start + absl::Seconds(270));
  clock.Set(start + absl::Seconds(269));
  ASSERT_TRUE(directory.Refresh(kIssuer).ok());
  EXPECT_EQ(fetcher.Count(kRfc8414Url), 1);
  clock.Set(start + absl::Seconds(270));
  ASSERT_TRUE(directory.Refresh(kIssuer).ok());
  EXPECT_EQ(fetcher.Count(kRfc8414Url), 2);
  EXPECT_EQ(directory.NextRefresh(kIssuer), start + absl::Seconds(540));
  auto m = directory.Find(kIssuer);
  EXPECT_FALSE(m->stale);
  EXPECT_EQ(m->fresh_until, start + absl::Seconds(570));
}

TEST(Directory, RetriesAFailingServerWithGrowingBackoff) {
  ManualClock clock;
  FakeFetcher fetcher;
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, nullptr, absl::Seconds(300), &registry, &clock);
  const int urls = static_cast<int>(DiscoveryUrls(kIssuer).size());
  std::vector<int64_t> waits;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const absl::Time before = clock.Now();
    EXPECT_EQ(directory.Refresh(kIssuer).code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(fetcher.Total(), (attempt + 1) * urls);
    waits.push_back(absl::ToInt64Seconds(directory.NextRefresh(kIssuer) - before));
    // Not retried before it is due.
    clock.Set(directory.NextRefresh(kIssuer) - absl::Milliseconds(1));
    EXPECT_FALSE(directory.Refresh(kIssuer).ok());
    EXPECT_EQ(fetcher.Total(), (attempt + 1) * urls);
    clock.Set(directory.NextRefresh(kIssuer));
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{1, 2, 4, 8, 16, 30, 30, 30}));
  EXPECT_EQ(Fetches(registry, "unavailable"), 8);
  // Success resets it.
  fetcher.Serve(kRfc8414Url, kDocument);
  ASSERT_TRUE(directory.Refresh(kIssuer).ok());
  fetcher.Fail(kRfc8414Url);
  clock.Advance(absl::Seconds(300));
  const absl::Time failed_at = clock.Now();
  EXPECT_FALSE(directory.Refresh(kIssuer).ok());
  EXPECT_EQ(directory.NextRefresh(kIssuer), failed_at + absl::Seconds(1));
}

TEST(Directory, SecondInstanceRefreshAdoptsTheSharedCopy) {
  ManualClock clock;
  FakeFetcher fetcher;
  InProcessStore shared(100, &clock);
  prometheus::Registry first_registry, second_registry;
  fetcher.Serve(kRfc8414Url, kDocument);
  AuthorizationServerDirectory first(&fetcher, &shared, absl::Seconds(300), &first_registry, &clock);
  ASSERT_TRUE(first.Refresh(kIssuer).ok());
  AuthorizationServerDirectory second(&fetcher, &shared, absl::Seconds(300), &second_registry, &clock);
  ASSERT_TRUE(second.Refresh(kIssuer).ok());
  EXPECT_EQ(fetcher.Count(kRfc8414Url), 1);
  EXPECT_EQ(CacheResults(second_registry, "shared_hit"), 1);
  EXPECT_EQ(Fetches(second_registry, "success"), 0);
  auto m = second.Find(kIssuer);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->metadata->fetched_at, clock.Now());
  EXPECT_EQ(m->metadata->source_url, kRfc8414Url);
}

// While one thread is refreshing an expired document against a slow server, others
// are answered at once with what is held instead of queueing behind it.
TEST(Directory, AnswersStaleWhileAnotherThreadRefreshes) {
  ManualClock clock;
  FakeFetcher fake;
  GatedFetcher fetcher(&fake);
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, nullptr, absl::Seconds(300), &registry, &clock);
  fake.Serve(kRfc8414Url, kDocument);
  ASSERT_TRUE(directory.Find(kIssuer).ok());
  clock.Advance(absl::Seconds(301));

  fetcher.Close();
  absl::StatusOr<CachedAuthorizationServerMetadata> refreshed;
  std::thread refresher([&] { refreshed = directory.Find(kIssuer); });
  ASSERT_TRUE(fetcher.WaitForWaiter());
  auto meanwhile = directory.Find(kIssuer);
  ASSERT_TRUE(meanwhile.ok());
  EXPECT_TRUE(meanwhile->stale);
  EXPECT_EQ(meanwhile->metadata->jwks_uri, "https://as.example.com/jwks");
  fetcher.Open();
  refresher.join();
  ASSERT_TRUE(refreshed.ok());
  EXPECT_FALSE(refreshed->stale);
  EXPECT_EQ(fake.Count(kRfc8414Url), 2);
}

TEST(DiscoveryRefresher, DiscoversEveryIssuerAndSaysWhenToComeBack) {
  ManualClock clock;
  FakeFetcher fetcher;
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, nullptr, absl::Seconds(300), &registry, &clock);
  fetcher.Serve(kRfc8414Url, kDocument);
  DiscoveryRefresher refresher(&directory, {kIssuer, "https://down.example.com"}, &clock);
  const absl::Time start = clock.Now();
  // The failing server is due again first (backoff 1 s), the good one at 270 s.
  EXPECT_EQ(refresher.RunOnce(), start + absl::Seconds(1));
  EXPECT_EQ(fetcher.Count(kRfc8414Url), 1);
  EXPECT_EQ(Fetches(registry, "success"), 1);
  EXPECT_EQ(Fetches(registry, "unavailable"), 1);
  // Nothing is due yet: another pass fetches nothing.
  const int fetches = fetcher.Total();
  EXPECT_EQ(refresher.RunOnce(), start + absl::Seconds(1));
  EXPECT_EQ(fetcher.Total(), fetches);
  // Lookups are answered from the directory without the network.
  EXPECT_TRUE(directory.Find(kIssuer).ok());
  EXPECT_EQ(fetcher.Total(), fetches);
  // Once the failing one is up, the good one sets the pace.
  fetcher.Serve("https://down.example.com/.well-known/oauth-authorization-server",
                R"({"issuer":"https://down.example.com"})");
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(refresher.RunOnce(), start + absl::Seconds(270));
}

TEST(DiscoveryRefresher, ThreadDiscoversInTheBackgroundAndStops) {
  FakeFetcher fetcher;
  prometheus::Registry registry;
  AuthorizationServerDirectory directory(&fetcher, nullptr, absl::Seconds(300), &registry);
  fetcher.Serve(kRfc8414Url, kDocument);
  DiscoveryRefresher refresher(&directory, {kIssuer});
  refresher.Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (fetcher.Count(kRfc8414Url) == 0 && absl::Now() < deadline) {
    std::this_thread::yield();
  }
  refresher.Stop();  // returns although the next refresh is minutes away
  EXPECT_EQ(fetcher.Count(kRfc8414Url), 1);
  auto m = directory.Find(kIssuer);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->stale);
}

}  // namespace
}  // namespace mcpauth
