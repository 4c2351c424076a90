#include "services/token_validation/jwks_cache.h"

#include <condition_variable>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "services/common/strings.h"
#include "tests/fakes/fake_fetcher.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

using mcpauth::testing::FakeFetcher;
using testing::MakeKey;

constexpr char kUri[] = "https://as.example.com/jwks.json";

class JwksCacheTest : public ::testing::Test {
 protected:
  JwksCache MakeCache(KeyValueStore* shared = nullptr) {
    return JwksCache(options_, &fetcher_, shared, &metrics_, &clock_);
  }

  ManualClock clock_;
  FakeFetcher fetcher_;
  prometheus::Registry registry_;
  TokenValidationMetrics metrics_{registry_};
  JwksCacheOptions options_{.ttl = absl::Seconds(300),
                            .refetch_interval = absl::Seconds(30),
                            .max_stale = absl::Hours(1)};
  testing::TestKey a_ = MakeKey("ES256", "a");
  testing::TestKey b_ = MakeKey("ES256", "b");
};

TEST_F(JwksCacheTest, FetchesOnceWhileFresh) {
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache cache = MakeCache();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(cache.KeysFor(kUri).ok());
  EXPECT_EQ(fetcher_.Count(kUri), 1);
  clock_.Advance(absl::Seconds(299));
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  EXPECT_EQ(fetcher_.Count(kUri), 1);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  EXPECT_EQ(fetcher_.Count(kUri), 2);
}

TEST_F(JwksCacheTest, CacheControlMaxAgeShortensTheLifetime) {
  fetcher_.Serve(kUri, testing::JwksOf({&a_}), 200, "public, max-age=60");
  JwksCache cache = MakeCache();
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  clock_.Advance(absl::Seconds(60));
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  EXPECT_EQ(fetcher_.Count(kUri), 2);
}

TEST_F(JwksCacheTest, UnknownKidRefetchesOncePerInterval) {
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache cache = MakeCache();
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  clock_.Advance(absl::Seconds(31));
  fetcher_.Serve(kUri, testing::JwksOf({&a_, &b_}));  // rotation: b appears
  auto keys = cache.RefreshForUnknownKid(kUri, "b");
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE((*keys)->HasKid("b"));
  EXPECT_EQ(fetcher_.Count(kUri), 2);
}

// A flood of random kids is not a flood of fetches.
TEST_F(JwksCacheTest, RandomKidFloodIsDebounced) {
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache cache = MakeCache();
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  clock_.Advance(absl::Seconds(31));
  for (int i = 0; i < 1000; ++i) {
    auto keys = cache.RefreshForUnknownKid(kUri, StrCat("random-", i));
    ASSERT_TRUE(keys.ok());
    EXPECT_FALSE((*keys)->HasKid(StrCat("random-", i)));
    clock_.Advance(absl::Milliseconds(10));  // 1000 kids over 10 s: one refetch interval
  }
  EXPECT_EQ(fetcher_.Count(kUri), 2);  // the initial load and one refetch
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(cache.RefreshForUnknownKid(kUri, "again").ok());
  EXPECT_EQ(fetcher_.Count(kUri), 3);
}

// The unknown-kid budget is spent only by unknown-kid refetches: a key published
// moments after a scheduled load (a rotation landing just after the cache filled)
// is fetched at once, not refused until a refetch interval has passed since that load.
TEST_F(JwksCacheTest, AKeyPublishedJustAfterAScheduledLoadIsFoundAtOnce) {
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache cache = MakeCache();
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  clock_.Advance(absl::Seconds(5));
  fetcher_.Serve(kUri, testing::JwksOf({&a_, &b_}));
  auto keys = cache.RefreshForUnknownKid(kUri, "b");
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE((*keys)->HasKid("b"));
  EXPECT_EQ(fetcher_.Count(kUri), 2);
  // The token is spent: the next unknown kid within the interval is answered from memory.
  ASSERT_TRUE(cache.RefreshForUnknownKid(kUri, "c").ok());
  EXPECT_EQ(fetcher_.Count(kUri), 2);
}

// A fetcher whose requests wait until the test lets them go: a key source that
// answers slowly.
class HeldFetcher final : public HttpFetcher {
 public:
  explicit HeldFetcher(HttpFetcher* inner) : inner_(inner) {}
  absl::StatusOr<HttpResponse> Get(const std::string& url) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
    --waiting_;
    lock.unlock();
    return inner_->Get(url);
  }
  void WaitUntilWaiting(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return waiting_ >= n; });
  }
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = false;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  HttpFetcher* inner_;
  std::mutex mu_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool released_ = true;
};

// Issue 14 (suspected, confirmed): with a slow key source, every thread asking
// about an unknown kid queued on the load lock behind the one fetching, so random
// kids could hold all of token-validation's blocking threads. Now a caller that
// finds a load under way answers from the set in hand at once.
TEST_F(JwksCacheTest, UnknownKidsNeverWaitForALoadUnderWay) {
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  HeldFetcher held(&fetcher_);
  JwksCache cache(options_, &held, nullptr, &metrics_, &clock_);
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  held.Hold();
  clock_.Advance(absl::Seconds(31));
  std::thread refetch([&] { ASSERT_TRUE(cache.RefreshForUnknownKid(kUri, "first-random").ok()); });
  held.WaitUntilWaiting(1);  // the refetch is under way, held at the source
  for (int i = 0; i < 50; ++i) {
    auto keys = cache.RefreshForUnknownKid(kUri, StrCat("random-", i));  // returns although the load is held
    ASSERT_TRUE(keys.ok());
    EXPECT_TRUE((*keys)->HasKid("a"));
  }
  held.Release();
  refetch.join();
  EXPECT_EQ(fetcher_.Count(kUri), 2);
}

TEST_F(JwksCacheTest, StaleKeysKeptWhenRefreshFails) {
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache cache = MakeCache();
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  fetcher_.Fail(kUri);
  clock_.Advance(absl::Seconds(301));
  auto keys = cache.KeysFor(kUri);
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE((*keys)->HasKid("a"));
  // Failed refreshes are retried after a pause, not on every call.
  const int after_failure = fetcher_.Count(kUri);
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  EXPECT_EQ(fetcher_.Count(kUri), after_failure);
}

TEST_F(JwksCacheTest, StaleKeysExpireAfterMaxStale) {
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache cache = MakeCache();
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  fetcher_.Fail(kUri);
  clock_.Advance(absl::Seconds(300) + absl::Hours(1) + absl::Seconds(1));
  auto keys = cache.KeysFor(kUri);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(JwksCacheTest, NoKeysAndNoSourceIsUnavailable) {
  JwksCache cache = MakeCache();
  auto keys = cache.KeysFor(kUri);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kUnavailable);
  fetcher_.Serve(kUri, "oops", 500);
  clock_.Advance(absl::Seconds(31));
  EXPECT_FALSE(cache.KeysFor(kUri).ok());
}

// With nothing cached and the source down, callers get the failure at once until
// the retry pause ends — a dead JWKS endpoint is not hit once per request.
TEST_F(JwksCacheTest, FailuresAreRememberedBrieflyWhenNothingIsCached) {
  JwksCache cache = MakeCache();
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(cache.KeysFor(kUri).ok());
  EXPECT_EQ(fetcher_.Count(kUri), 1);
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  clock_.Advance(absl::Seconds(30));
  EXPECT_TRUE(cache.KeysFor(kUri).ok());
  EXPECT_EQ(fetcher_.Count(kUri), 2);
}

TEST_F(JwksCacheTest, GarbageOrEmptySetNeverReplacesGoodKeys) {
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache cache = MakeCache();
  ASSERT_TRUE(cache.KeysFor(kUri).ok());
  for (const char* bad : {R"({"keys":[]})", "<html>", R"({"keys":[{"kty":"oct","k":"AA"}]})"}) {
    fetcher_.Serve(kUri, bad);
    clock_.Advance(absl::Seconds(301));
    auto keys = cache.KeysFor(kUri);
    ASSERT_TRUE(keys.ok()) << bad;
    EXPECT_TRUE((*keys)->HasKid("a")) << bad;
  }
}

TEST_F(JwksCacheTest, SharedStoreSavesOtherReplicasAFetch) {
  InProcessStore shared(100, &clock_);
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache first = MakeCache(&shared);
  ASSERT_TRUE(first.KeysFor(kUri).ok());
  JwksCache second = MakeCache(&shared);
  auto keys = second.KeysFor(kUri);
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE((*keys)->HasKid("a"));
  EXPECT_EQ(fetcher_.Count(kUri), 1);
}

// After one replica refetched for a new kid, another finds the new set in the
// shared store instead of fetching again.
TEST_F(JwksCacheTest, UnknownKidConsultsTheSharedStoreFirst) {
  InProcessStore shared(100, &clock_);
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache first = MakeCache(&shared), second = MakeCache(&shared);
  ASSERT_TRUE(first.KeysFor(kUri).ok());
  ASSERT_TRUE(second.KeysFor(kUri).ok());
  clock_.Advance(absl::Seconds(31));
  fetcher_.Serve(kUri, testing::JwksOf({&a_, &b_}));
  ASSERT_TRUE((*first.RefreshForUnknownKid(kUri, "b"))->HasKid("b"));
  EXPECT_EQ(fetcher_.Count(kUri), 2);
  ASSERT_TRUE((*second.RefreshForUnknownKid(kUri, "b"))->HasKid("b"));
  EXPECT_EQ(fetcher_.Count(kUri), 2);
}

// A shared copy fetched by another replica before the rotation does not hold the
// new kid; it must not stop this replica from going to the source.
TEST_F(JwksCacheTest, SharedCopyWithoutTheKidDoesNotDelayARotation) {
  InProcessStore shared(100, &clock_);
  fetcher_.Serve(kUri, testing::JwksOf({&a_}));
  JwksCache first = MakeCache(&shared);
  ASSERT_TRUE(first.KeysFor(kUri).ok());
  clock_.Advance(absl::Seconds(10));
  JwksCache second = MakeCache(&shared);
  fetcher_.Serve(kUri, testing::JwksOf({&a_, &b_}));
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(first.KeysFor(kUri).ok());   // still fresh: no fetch
  auto keys = second.RefreshForUnknownKid(kUri, "b");  // second has no keys yet; the shared copy lacks b
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE((*keys)->HasKid("b"));
}

TEST_F(JwksCacheTest, FileSource) {
  const std::string path = ::testing::TempDir() + "/jwks_cache_test.json";
  std::ofstream(path) << testing::JwksOf({&a_});
  JwksCache cache = MakeCache();
  auto keys = cache.KeysFor(StrCat(kFileSourcePrefix, path));
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_TRUE((*keys)->HasKid("a"));
  EXPECT_EQ(fetcher_.Total(), 0);
  EXPECT_FALSE(cache.KeysFor(StrCat(kFileSourcePrefix, path, ".missing")).ok());
}

}  // namespace
}  // namespace mcpauth::tv
