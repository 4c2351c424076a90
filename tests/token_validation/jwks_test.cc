#include "services/token_validation/jwks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/json.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

using ::testing::HasSubstr;
using testing::MakeKey;

TEST(Jwks, ParsesEveryKey) {
  auto a = MakeKey("ES256", "a"), b = MakeKey("RS256", "b"), c = MakeKey("EdDSA", "c");
  auto set = ParseJwks(testing::JwksOf({&a, &b, &c}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->keys.size(), 3u);
  EXPECT_TRUE(set->skipped.empty());
  EXPECT_TRUE(set->HasKid("b"));
  EXPECT_FALSE(set->HasKid("z"));
  EXPECT_FALSE(set->HasKid(""));
}

// jwt_verify_lib's habit: one bad key must not take the good ones down with it.
TEST(Jwks, MalformedKeysAreSkippedGoodKeysKept) {
  auto good = MakeKey("ES256", "good");
  boost::json::array keys{good.public_jwk,
                          boost::json::object{{"kty", "RSA"}, {"kid", "broken"}, {"n", "!!"}, {"e", "AQAB"}},
                          boost::json::object{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}},
                          "not an object"};
  auto set = ParseJwks(ToJson(boost::json::object{{"keys", keys}}));
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0]->kid(), "good");
  ASSERT_EQ(set->skipped.size(), 3u);
  EXPECT_THAT(set->skipped[0], HasSubstr("keys[1] (kid \"broken\")"));
  EXPECT_THAT(set->skipped[2], HasSubstr("keys[3]: not a JSON object"));
}

TEST(Jwks, KeysSharingAKidAreDropped) {
  auto a = MakeKey("ES256", "same"), b = MakeKey("ES256", "same"), c = MakeKey("ES256", "other");
  auto set = ParseJwks(testing::JwksOf({&a, &b, &c}));
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->keys.size(), 1u);
  EXPECT_FALSE(set->HasKid("same"));
  EXPECT_THAT(set->skipped[0], HasSubstr("kid is shared with another key"));
}

TEST(Jwks, PrivateKeysInAPublishedSetAreSkipped) {
  auto a = MakeKey("ES256", "a");
  boost::json::object leaked = a.public_jwk;
  leaked["d"] = "AAAA";
  auto set = ParseJwks(ToJson(boost::json::object{{"keys", boost::json::array{leaked}}}));
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->keys.empty());
}

TEST(Jwks, DocumentErrors) {
  EXPECT_FALSE(ParseJwks("").ok());
  EXPECT_FALSE(ParseJwks("[]").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys":{}})").ok());
  EXPECT_FALSE(ParseJwks(R"({"key":[]})").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys":[],"keys":[]})").ok());
  auto empty = ParseJwks(R"({"keys":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->keys.empty());
}

}  // namespace
}  // namespace mcpauth::tv
