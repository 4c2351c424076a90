// The issuer's JWKS endpoint misbehaving under the real mcpauth-token-validation
// behind the real gateway (unit tests cover the same with a fake fetcher,
// tests/token_validation/jwks_cache_test.cc; this adds the real libcurl fetch in a
// running service):
//   - keys never loaded and the endpoint hangs (beyond fetch_timeout): requests get
//     503 (could not decide), nothing hangs past the fetch timeout, and once the
//     endpoint answers the service recovers by itself;
//   - keys loaded, then the endpoint hangs: tokens keep validating from the cached
//     keys, and a flood of unknown kids is refused while the refetch is debounced;
//   - keys loaded, then the endpoint answers garbage, then an empty key set, then a
//     rotated set (old key plus a new one), all while the gateway is under load: the
//     cached keys keep working throughout, unknown kids are a 401 each time the
//     refetch brings nothing usable, and the new key is accepted once published.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "absl/time/clock.h"
#include "services/common/strings.h"
#include "tests/fault/suite_harness.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/ports.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

// A JWKS endpoint whose answer can be changed, and which can be made to hang until
// released (or for at most 20 s).
class ControllableJwks {
 public:
  ControllableJwks() {
    server_.SetHandler("/jwks.json", [this](const test::HttpRequestInfo&) {
      std::unique_lock<std::mutex> lock(mu_);
      ++requests_;
      cv_.wait_for(lock, std::chrono::seconds(20), [this] { return !hang_; });
      return test::HttpReply{.body = body_};
    });
  }
  ~ControllableJwks() {
    Hang(false);
    server_.Stop();
  }
  absl::Status Start() { return server_.Start(); }
  std::string Url() const { return server_.Url("/jwks.json"); }
  // What the endpoint answers from now on (200, application/json).
  void Serve(std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
  }
  void Hang(bool hang) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hang_ = hang;
    }
    cv_.notify_all();
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  test::LoopbackHttpServer server_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool hang_ = false;
  int requests_ = 0;
  std::string body_;
};

class JwksFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(jwks_.Start(), absl::OkStatus());
    const int upstream_port = test::PickFreePort();
    auto upstream = test::StartUpstream(upstream_port, dir_.File("upstream.log"));
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(*upstream);
    upstream_url_ = StrCat("http://127.0.0.1:", upstream_port, "/mcp");
    NewSuite(0);
  }
  // A suite (not started) whose issuer keys come from jwks_, which serves them;
  // `refetch_interval` 0 is the default (30 s).
  void NewSuite(double refetch_interval) {
    suite_ = std::make_unique<test::SuiteProcesses>(test::SuiteOptions{.upstream = upstream_url_,
                                                                       .validation_cache_ttl = 0,
                                                                       .jwks_uri = jwks_.Url(),
                                                                       .fetch_timeout = 1,
                                                                       .refetch_interval = refetch_interval});
    jwks_.Serve(suite_->JwksJson());
  }
  // A token of the issuer signed by `key`, which the published set may not hold.
  std::string MintWith(const tv::testing::TestKey& key, const std::string& subject) {
    static std::atomic<int> serial{0};
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    return tv::testing::Mint(key, {{"iss", test::SuiteProcesses::kIssuer},
                                   {"sub", subject},
                                   {"aud", suite_->resource()},
                                   {"scope", "mcp"},
                                   {"iat", now},
                                   {"exp", now + 600},
                                   {"jti", StrCat("k", ++serial)}});
  }
  test::Exchange Call(const std::string& token) {
    return test::PostJson(suite_->gateway_port(), "/mcp", test::ToolsCall("echo"),
                          StrCat("Authorization: Bearer ", token, "\r\n"));
  }

  test::TempDir dir_{"mcpauth-fault-jwks"};
  ControllableJwks jwks_;
  std::unique_ptr<test::ChildProcess> upstream_;
  std::string upstream_url_;
  std::unique_ptr<test::SuiteProcesses> suite_;
};

TEST_F(JwksFaultTest, HangingEndpointBeforeAnyKeyIsA503ThenRecovers) {
  jwks_.Hang(true);  // the start-up prefetch hangs too
  ASSERT_EQ(suite_->Start(), absl::OkStatus());
  const std::string token = suite_->Mint("alice", "mcp");
  for (int i = 0; i < 3; ++i) {
    test::Exchange e = Call(token);
    EXPECT_EQ(e.status, 503) << e.body;  // could not decide; never 200, never a hang
  }
  jwks_.Hang(false);
  EXPECT_TRUE(test::WaitFor([&] { return Call(token).status == 200; }, absl::Seconds(30), absl::Milliseconds(200)));
  EXPECT_EQ(Call(suite_->Mint("alice", "mcp")).status, 200);
}

TEST_F(JwksFaultTest, CachedKeysKeepWorkingWhileTheEndpointHangs) {
  ASSERT_EQ(suite_->Start(), absl::OkStatus());
  // Keys cached first: the start-up fetch may still be under way when the services
  // answer their health checks (a slow sanitizer build then gets 503 for a moment).
  ASSERT_TRUE(test::WaitFor([&] { return Call(suite_->Mint("alice", "mcp")).status == 200; }, absl::Seconds(30),
                            absl::Milliseconds(200)));
  jwks_.Hang(true);
  const int before = jwks_.requests();
  // Fresh tokens (never in any cache) still validate with the cached keys.
  for (int i = 0; i < 20; ++i) {
    test::Exchange e = Call(suite_->Mint("alice", "mcp"));
    ASSERT_EQ(e.status, 200) << e.body;
  }
  // Unknown kids: refused (or could-not-decide while the one refetch hangs), never
  // accepted, and the hanging endpoint is asked at most once for the whole flood.
  tv::testing::TestKey stranger = tv::testing::MakeKey("ES256", "not-published");
  for (int i = 0; i < 20; ++i) {
    test::Exchange e = Call(MintWith(stranger, "mallory"));
    EXPECT_THAT(e.status, ::testing::AnyOf(401, 503)) << e.body;
  }
  EXPECT_LE(jwks_.requests() - before, 1);
  // And the known key still works after the flood.
  EXPECT_EQ(Call(suite_->Mint("alice", "mcp")).status, 200);
}

// The set changes under load: garbage, then no keys, then a rotation that adds a
// key. The load (fresh tokens of the published key, never cached by the gateway)
// must be answered 200 throughout.
TEST_F(JwksFaultTest, GarbageEmptyAndRotatedSetsUnderLoad) {
  NewSuite(1);  // so that each content fault below is fetched within a second or so
  ASSERT_EQ(suite_->Start(), absl::OkStatus());
  test::LoadDriver load(
      suite_->gateway_port(), 2,
      [&](int, int64_t n) {
        return std::make_pair(test::ToolsCall("echo", static_cast<int>(n)),
                              StrCat("Authorization: Bearer ", suite_->Mint("alice", "mcp"), "\r\n"));
      },
      [](const test::Exchange& e) {
        return e.status == 200 && e.body.find(R"("subject":"alice")") != std::string::npos
                   ? std::string("alice")
                   : StrCat("status-", e.status, " ", e.body.substr(0, 200));
      });
  ASSERT_TRUE(load.WaitForMore(50, absl::Seconds(60)));

  // A token under a kid the set lacks makes token-validation refetch (at most once
  // a second here); each answer until a fetch has brought what it served is a 401.
  tv::testing::TestKey next = tv::testing::MakeKey("ES256", "fault-2");
  auto refused_after_a_refetch = [&](const std::string& what) {
    const int asked = jwks_.requests();
    int refused = 0;
    const bool refetched = test::WaitFor(
        [&] {
          test::Exchange e = Call(MintWith(next, "mallory"));
          EXPECT_EQ(e.status, 401) << what << ": " << e.body;
          ++refused;
          return jwks_.requests() > asked;
        },
        absl::Seconds(20), absl::Milliseconds(100));
    EXPECT_TRUE(refetched) << what << ": the endpoint was never asked again";
    // One more after the fetch: the failed refetch left the cached keys in place.
    EXPECT_EQ(Call(MintWith(next, "mallory")).status, 401) << what;
    EXPECT_EQ(Call(suite_->Mint("alice", "mcp")).status, 200) << what;
    std::cout << what << ": " << refused << " unknown-kid requests refused\n";
  };
  jwks_.Serve("<html><body>502 Bad Gateway</body></html>");
  refused_after_a_refetch("garbage");
  jwks_.Serve(R"({"keys":[]})");
  refused_after_a_refetch("empty set");
  jwks_.Serve(R"({"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA","kid":"fault-2"}]})");
  refused_after_a_refetch("set with only a broken key");

  // Rotation: the issuer publishes its next key next to the current one.
  const std::string current = suite_->JwksJson(), added = tv::testing::JwksOf({&next});
  jwks_.Serve(StrCat(current.substr(0, current.rfind(']')), ",", added.substr(added.find('[') + 1)));
  EXPECT_TRUE(test::WaitFor([&] { return Call(MintWith(next, "bob")).status == 200; }, absl::Seconds(20),
                            absl::Milliseconds(100)));
  ASSERT_TRUE(load.WaitForMore(50, absl::Seconds(60)));
  load.Stop();

  const std::map<std::string, int64_t> counts = load.Counts();
  for (const auto& [label, n] : counts) {
    std::cout << "  " << label << ": " << n << "\n";
    EXPECT_EQ(label, "alice") << n << " times";
  }
  EXPECT_GT(load.Total(), 100);
  EXPECT_TRUE(suite_->Process("token-validation")->Running());
}

}  // namespace
}  // namespace mcpauth
