// Stateless DPoP server nonces with a manual clock: current and previous step
// accepted, older ones stale, any replica with the secret can check any nonce.
#include "services/token_validation/dpop_nonce.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "services/common/base64url.h"

namespace mcpauth::tv {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const absl::Duration kLifetime = absl::Seconds(60);
// A step boundary: 1'700'000'040 = 28'333'334 × 60.
const absl::Time kStepStart = absl::FromUnixSeconds(1'700'000'040);

class DpopNonceTest : public ::testing::Test {
 protected:
  ManualClock clock_{kStepStart};
  DpopNonces nonces_{kSecret, kLifetime, &clock_};
};

TEST_F(DpopNonceTest, CurrentNonceIsAccepted) {
  const std::string nonce = nonces_.Issue();
  EXPECT_EQ(nonce.size(), 32u);  // 24 bytes, base64url
  EXPECT_TRUE(nonces_.Accepts(nonce));
  // The same for everyone within a step.
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(nonces_.Issue(), nonce);
  EXPECT_TRUE(nonces_.Accepts(nonce));
}

TEST_F(DpopNonceTest, PreviousStepIsAcceptedOlderIsStale) {
  const std::string nonce = nonces_.Issue();
  clock_.Advance(kLifetime);  // the next step: `nonce` is the previous one
  EXPECT_NE(nonces_.Issue(), nonce);
  EXPECT_TRUE(nonces_.Accepts(nonce));
  clock_.Advance(kLifetime - absl::Seconds(1));  // last second of that step
  EXPECT_TRUE(nonces_.Accepts(nonce));
  clock_.Advance(absl::Seconds(1));  // two steps on: stale
  EXPECT_FALSE(nonces_.Accepts(nonce));
  clock_.Advance(absl::Hours(24));
  EXPECT_FALSE(nonces_.Accepts(nonce));
}

TEST_F(DpopNonceTest, OneStepAheadIsAcceptedForReplicaClockSkew) {
  ManualClock ahead(kStepStart + kLifetime);
  DpopNonces replica_ahead(kSecret, kLifetime, &ahead);
  EXPECT_TRUE(nonces_.Accepts(replica_ahead.Issue()));
  ahead.Advance(kLifetime);
  EXPECT_FALSE(nonces_.Accepts(replica_ahead.Issue()));
}

TEST_F(DpopNonceTest, AnyReplicaWithTheSecretAcceptsIt) {
  ManualClock other_clock(kStepStart + absl::Seconds(30));
  DpopNonces replica(kSecret, kLifetime, &other_clock);
  EXPECT_EQ(replica.Issue(), nonces_.Issue());
  EXPECT_TRUE(replica.Accepts(nonces_.Issue()));
  EXPECT_TRUE(nonces_.Accepts(replica.Issue()));
}

TEST_F(DpopNonceTest, AnotherSecretsNoncesAreRefused) {
  DpopNonces stranger("another secret, 32 bytes long!!!", kLifetime, &clock_);
  EXPECT_FALSE(nonces_.Accepts(stranger.Issue()));
  EXPECT_FALSE(stranger.Accepts(nonces_.Issue()));
  DpopNonces random(DpopNonces::RandomSecret(), kLifetime, &clock_);
  EXPECT_FALSE(nonces_.Accepts(random.Issue()));
  EXPECT_NE(DpopNonces::RandomSecret(), DpopNonces::RandomSecret());
}

TEST_F(DpopNonceTest, ForgedAndMalformedNoncesAreRefused) {
  const std::string nonce = nonces_.Issue();
  std::string bytes = *Base64UrlDecode(nonce);
  // Every bit of the MAC, and of the step.
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string flipped = bytes;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(nonces_.Accepts(Base64UrlEncode(flipped))) << "bit " << bit;
  }
  for (const std::string& bad :
       {std::string(), std::string("x"), nonce + "A", nonce.substr(0, 31), nonce + "=", std::string(32, '*'),
        Base64UrlEncode(bytes.substr(0, 8)), Base64UrlEncode(bytes + "x")}) {
    EXPECT_FALSE(nonces_.Accepts(bad)) << bad;
  }
}

TEST_F(DpopNonceTest, NoncesDifferAcrossSteps) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(seen.insert(nonces_.Issue()).second);
    clock_.Advance(kLifetime);
  }
}

TEST(DpopNonces, ShortSecretIsRefused) {
  EXPECT_THROW(DpopNonces(std::string(15, 's'), kLifetime), std::invalid_argument);
  EXPECT_NO_THROW(DpopNonces(std::string(16, 's'), kLifetime));
}

}  // namespace
}  // namespace mcpauth::tv
