// The attack corpus (issue 8) against token validation: every case in
// tests/attack/corpus/tokens.json (made by make_attack_corpus.mjs with npm jose and
// hand-built bytes) must get exactly its expected reason, and no attack may be
// accepted.
//
// The validator is built as services/token_validation/main.cc builds it, with the
// real libcurl fetcher: issuers' key sets come over HTTP from a loopback server, so
// a validator that followed a token's jku/x5u (or a URL in its kid) would really
// connect. The attacker's origin named in those tokens is a fixed loopback address
// this test listens on; any connection to it fails the test. The clock is frozen at
// the corpus's "now".
//
// Cases marked "mutate" are valid tokens from which the test derives more attacks:
// every bit flip and every truncation of their signature.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <map>
#include <thread>

#include "services/common/base64url.h"
#include "services/common/clock.h"
#include "services/common/http_fetcher.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/common/suite_config.h"
#include "services/token_validation/issuers.h"
#include "services/token_validation/jwks_cache.h"
#include "services/token_validation/reason.h"
#include "services/token_validation/token_cache.h"
#include "services/token_validation/tv_metrics.h"
#include "services/token_validation/validator.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::tv {
namespace {

using test::ReadFile;

std::string CorpusDir() {
  if (const char* dir = std::getenv("MCPAUTH_ATTACK_CORPUS"); dir != nullptr && *dir != '\0') return dir;
  return MCPAUTH_SOURCE_DIR "/tests/attack/corpus";
}

// Accepts connections on a fixed address and counts them; answers each with the
// attacker's key set, as a real attacker's server would. Started before any token
// is validated, stopped after, and asked how many connections it saw.
class AttackerOrigin {
 public:
  AttackerOrigin(std::string host, int port, std::string body) : body_(std::move(body)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    // The address is fixed (it is inside signed tokens), and this test may run twice
    // at once (token_attack_live_test, another checkout's CI): each run listens too.
    // A connection, wherever the kernel hands it, fails the run that gets it.
    setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 16) != 0) {
      error_ = StrCat("cannot listen on ", host, ":", port, ": ", strerror(errno));
      close(fd_);
      fd_ = -1;
      return;
    }
    thread_ = std::thread([this] { Serve(); });
  }
  ~AttackerOrigin() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  const std::string& error() const { return error_; }
  int connections() const { return connections_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      char buf[4096];
      (void)!read(c, buf, sizeof(buf));
      const std::string reply =
          StrCat("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ", body_.size(),
                 "\r\nConnection: close\r\n\r\n", body_);
      (void)!write(c, reply.data(), reply.size());
      close(c);
    }
  }

  std::string body_;
  std::string error_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

struct AttackCase {
  std::string name, category, description, token, expected, resource;
  std::vector<std::string> mutate;
};

struct Corpus {
  std::string error;
  int64_t now = 0;
  std::string issuer_a, issuer_b, issuer_weak, resource, attacker_host;
  int attacker_port = 0;
  std::vector<AttackCase> cases;
};

Corpus LoadCorpus() {
  Corpus corpus;
  boost::json::value doc;
  const std::string text = ReadFile(CorpusDir() + "/tokens.json");
  if (ParseStrictJson(text, doc) != JsonParseError::kNone || !doc.is_object()) {
    corpus.error = "cannot read " + CorpusDir() + "/tokens.json";
    return corpus;
  }
  const boost::json::object& o = doc.as_object();
  corpus.now = o.at("now").as_int64();
  corpus.issuer_a = std::string(o.at("issuers").at("a").as_string());
  corpus.issuer_b = std::string(o.at("issuers").at("b").as_string());
  corpus.issuer_weak = std::string(o.at("issuers").at("weak").as_string());
  corpus.resource = std::string(o.at("resource").as_string());
  const std::string origin(o.at("attacker_origin").as_string());  // http://HOST:PORT
  const size_t colon = origin.rfind(':');
  corpus.attacker_host = origin.substr(7, colon - 7);
  corpus.attacker_port = std::stoi(origin.substr(colon + 1));
  for (const auto& v : o.at("cases").as_array()) {
    const boost::json::object& c = v.as_object();
    AttackCase a{.name = std::string(c.at("name").as_string()),
                 .category = std::string(c.at("category").as_string()),
                 .description = std::string(c.at("description").as_string()),
                 .token = std::string(c.at("token").as_string()),
                 .expected = std::string(c.at("expected_reason").as_string())};
    if (const auto* r = c.if_contains("resource")) a.resource = std::string(r->as_string());
    if (const auto* m = c.if_contains("mutate")) {
      for (const auto& x : m->as_array()) a.mutate.emplace_back(x.as_string());
    }
    corpus.cases.push_back(std::move(a));
  }
  return corpus;
}

const Corpus& TheCorpus() {
  static const Corpus* corpus = new Corpus(LoadCorpus());
  return *corpus;
}

class TokenAttackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const Corpus& corpus = TheCorpus();
    if (!corpus.error.empty()) return;
    attacker_ =
        new AttackerOrigin(corpus.attacker_host, corpus.attacker_port, ReadFile(CorpusDir() + "/attacker-jwks.json"));
    keys_ = new test::LoopbackHttpServer();
    for (const char* name : {"a", "b", "weak"}) {
      keys_->SetResponse(StrCat("/", name, "/jwks.json"),
                         test::HttpReply{.body = ReadFile(StrCat(CorpusDir(), "/jwks-", name, ".json"))});
    }
    (void)keys_->Start();
  }
  static void TearDownTestSuite() {
    delete keys_;
    keys_ = nullptr;
    delete attacker_;
    attacker_ = nullptr;
  }

  void SetUp() override {
    const Corpus& corpus = TheCorpus();
    ASSERT_EQ(corpus.error, "");
    ASSERT_EQ(attacker_->error(), "");
    ASSERT_TRUE(keys_->running());
    clock_ = std::make_unique<ManualClock>(absl::FromUnixSeconds(corpus.now));
    config_ =
        ParseSuiteConfig(YAML::Load(StrCat(R"(
resource: )",
                                           corpus.resource, R"(
jwt_validators:
  - {issuer: ")",
                                           corpus.issuer_a, R"(", jwks_uri: ")", keys_->Url("/a/jwks.json"), R"("}
  - {issuer: ")",
                                           corpus.issuer_b, R"(", jwks_uri: ")", keys_->Url("/b/jwks.json"), R"("}
  - {issuer: ")",
                                           corpus.issuer_weak, R"(", jwks_uri: ")", keys_->Url("/weak/jwks.json"), R"("}
)")));
    issuers_ = std::make_unique<IssuerRegistry>(IssuerRegistry::FromConfig(config_));
    metrics_ = std::make_unique<TokenValidationMetrics>(registry_);
    jwks_ = std::make_unique<JwksCache>(JwksCacheOptions{}, &fetcher_, nullptr, metrics_.get(), clock_.get());
    directory_ = std::make_unique<AuthorizationServerDirectory>(&fetcher_, nullptr, absl::Seconds(300), &registry_,
                                                                clock_.get());
    cache_ = std::make_unique<TokenCache>(1000, clock_.get());
    validator_ =
        std::make_unique<TokenValidator>(ValidatorOptions{.default_resource = corpus.resource}, issuers_.get(),
                                         jwks_.get(), directory_.get(), cache_.get(), metrics_.get(), clock_.get());
  }

  // The reason `token` gets, or a description of why no reason came back.
  std::string Judge(const std::string& token, const std::string& resource = "") {
    ValidationResult r = validator_->Validate({token, resource});
    if (!r.error().ok()) return StrCat("could not decide: ", r.error().ToString());
    return v1::Reason_Name(r.reason());
  }

  static AttackerOrigin* attacker_;
  static test::LoopbackHttpServer* keys_;
  CurlFetcher fetcher_{CurlFetcherOptions{.connect_timeout = absl::Seconds(2), .total_timeout = absl::Seconds(5)}};
  prometheus::Registry registry_;
  std::unique_ptr<ManualClock> clock_;
  SuiteConfig config_;
  std::unique_ptr<IssuerRegistry> issuers_;
  std::unique_ptr<TokenValidationMetrics> metrics_;
  std::unique_ptr<JwksCache> jwks_;
  std::unique_ptr<AuthorizationServerDirectory> directory_;
  std::unique_ptr<TokenCache> cache_;
  std::unique_ptr<TokenValidator> validator_;
};
AttackerOrigin* TokenAttackTest::attacker_ = nullptr;
test::LoopbackHttpServer* TokenAttackTest::keys_ = nullptr;

// Every case, in corpus order, gets exactly its reason; only baselines are valid.
TEST_F(TokenAttackTest, EveryCaseGetsItsExactReason) {
  std::map<std::string, int> refused_by_category;
  int baselines = 0;
  for (const AttackCase& c : TheCorpus().cases) {
    const std::string got = Judge(c.token, c.resource);
    EXPECT_EQ(got, c.expected) << c.name << ": " << c.description;
    if (c.expected == "REASON_OK") {
      EXPECT_EQ(c.category, "baseline") << c.name << ": only baselines may be valid";
      ++baselines;
    } else {
      EXPECT_NE(got, "REASON_OK") << c.name << " was ACCEPTED: " << c.description;
      ++refused_by_category[c.category];
    }
  }
  EXPECT_GE(baselines, 6);
  std::string summary;
  int total = 0;
  for (const auto& [category, n] : refused_by_category) {
    StrAppend(summary, " ", category, "=", n);
    total += n;
  }
  std::cout << "attack cases refused: " << total << " (" << summary << " )\n";
}

// A second pass with every answer possibly cached must give the same reasons: an
// attack must not ride on a cached genuine token.
TEST_F(TokenAttackTest, ReasonsHoldWithAWarmTokenCache) {
  for (const AttackCase& c : TheCorpus().cases) (void)Judge(c.token, c.resource);
  for (const AttackCase& c : TheCorpus().cases) {
    EXPECT_EQ(Judge(c.token, c.resource), c.expected) << c.name;
  }
}

// RFC 8725 §3.1 and jwt_verify_lib's habit: flip every bit of every valid signature,
// and cut it at every length; nothing verifies.
TEST_F(TokenAttackTest, EveryBitFlipAndTruncationOfEveryValidSignatureIsRefused) {
  int64_t flips = 0, truncations = 0;
  for (const AttackCase& c : TheCorpus().cases) {
    if (c.mutate.empty()) continue;
    ASSERT_EQ(Judge(c.token), "REASON_OK") << c.name;
    const size_t dot = c.token.rfind('.');
    const std::string prefix = c.token.substr(0, dot + 1);
    std::optional<std::string> signature = Base64UrlDecode(std::string_view(c.token).substr(dot + 1));
    ASSERT_TRUE(signature.has_value()) << c.name;
    for (const std::string& how : c.mutate) {
      if (how == "signature-bit-flips") {
        for (size_t bit = 0; bit < signature->size() * 8; ++bit) {
          std::string flipped = *signature;
          flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
          const std::string got = Judge(prefix + Base64UrlEncode(flipped));
          ASSERT_EQ(got, "REASON_SIGNATURE_INVALID") << c.name << " with bit " << bit << " flipped";
          ++flips;
        }
      } else if (how == "signature-truncations") {
        for (size_t len = 0; len < signature->size(); ++len) {
          const std::string got = Judge(prefix + Base64UrlEncode(signature->substr(0, len)));
          ASSERT_EQ(got, "REASON_SIGNATURE_MALFORMED") << c.name << " cut to " << len << " bytes";
          ++truncations;
        }
      } else {
        FAIL() << c.name << ": unknown mutation " << how;
      }
    }
  }
  EXPECT_GT(flips, 0);
  EXPECT_GT(truncations, 0);
  std::cout << "signature bit flips refused: " << flips << ", truncations refused: " << truncations << "\n";
}

// Validates every case once more itself, so it does not depend on test order.
TEST_F(TokenAttackTest, NothingWasEverFetchedFromTheAttacker) {
  for (const AttackCase& c : TheCorpus().cases) (void)Judge(c.token, c.resource);
  EXPECT_EQ(attacker_->connections(), 0) << "a jku, x5u or kid URL was dereferenced";
  // Only the configured key sets were fetched, each a bounded number of times (the
  // unknown-kid refetch is debounced: the frozen clock never lets it through twice).
  const int a = keys_->RequestCount("/a/jwks.json"), b = keys_->RequestCount("/b/jwks.json"),
            w = keys_->RequestCount("/weak/jwks.json");
  EXPECT_EQ(keys_->TotalRequests(), a + b + w);
  // Each test builds a fresh cache: at most one load plus one unknown-kid refetch per
  // set per test (4 tests).
  EXPECT_LE(a, 8);
  EXPECT_LE(b, 8);
  EXPECT_LE(w, 8);
}

}  // namespace
}  // namespace mcpauth::tv
