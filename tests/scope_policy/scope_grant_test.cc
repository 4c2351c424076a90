// Which held scope grants which required scope, per strategy.
#include "services/scope_policy/scope_grant.h"

#include <gtest/gtest.h>

namespace mcpauth::sp {
namespace {

constexpr ScopeStrategy kExact = v1::SCOPE_STRATEGY_EXACT;
constexpr ScopeStrategy kWildcard = v1::SCOPE_STRATEGY_WILDCARD;
constexpr ScopeStrategy kHierarchic = v1::SCOPE_STRATEGY_HIERARCHIC;

TEST(ScopeGrantTest, EveryStrategyGrantsTheScopeItself) {
  for (ScopeStrategy s : {kExact, kWildcard, kHierarchic}) {
    EXPECT_TRUE(Grants(s, "files:delete", "files:delete"));
    EXPECT_TRUE(Grants(s, "files:*", "files:*"));
    EXPECT_FALSE(Grants(s, "files:delete", "files:read"));
    EXPECT_FALSE(Grants(s, "files:delete", "files"));
  }
}

TEST(ScopeGrantTest, Exact) {
  EXPECT_FALSE(Grants(kExact, "files:*", "files:delete"));
  EXPECT_FALSE(Grants(kExact, "files", "files:delete"));
  EXPECT_FALSE(Grants(kExact, "*", "files:delete"));
  EXPECT_FALSE(Grants(kExact, "Files:delete", "files:delete"));  // scopes are case-sensitive
}

TEST(ScopeGrantTest, Wildcard) {
  EXPECT_TRUE(Grants(kWildcard, "files:*", "files:delete"));
  EXPECT_TRUE(Grants(kWildcard, "files:*", "files:read:x"));
  EXPECT_TRUE(Grants(kWildcard, "files:read:*", "files:read:x"));
  EXPECT_FALSE(Grants(kWildcard, "files:read:*", "files:write:x"));
  EXPECT_FALSE(Grants(kWildcard, "files:*", "files"));
  EXPECT_FALSE(Grants(kWildcard, "files:*", "files:"));
  EXPECT_FALSE(Grants(kWildcard, "files:*", "filesystem:read"));
  EXPECT_FALSE(Grants(kWildcard, "files", "files:delete"));  // no hierarchy without the star
  // A bare "*" grants everything; a '*' elsewhere is an ordinary character.
  EXPECT_TRUE(Grants(kWildcard, "*", "files:delete"));
  EXPECT_TRUE(Grants(kWildcard, "*", "admin"));
  EXPECT_FALSE(Grants(kWildcard, "files*", "files:delete"));
  EXPECT_FALSE(Grants(kWildcard, "*:delete", "files:delete"));
  EXPECT_FALSE(Grants(kWildcard, "fi*:delete", "files:delete"));
}

TEST(ScopeGrantTest, Hierarchic) {
  EXPECT_TRUE(Grants(kHierarchic, "files", "files:delete"));
  EXPECT_TRUE(Grants(kHierarchic, "files", "files:read:all"));
  EXPECT_TRUE(Grants(kHierarchic, "files:read", "files:read:all"));
  EXPECT_FALSE(Grants(kHierarchic, "files:read", "files"));
  EXPECT_FALSE(Grants(kHierarchic, "files:read", "files:readme"));
  EXPECT_FALSE(Grants(kHierarchic, "files", "filesystem"));
  EXPECT_FALSE(Grants(kHierarchic, "files:*", "files:delete"));  // no wildcards here
  EXPECT_FALSE(Grants(kHierarchic, "*", "files"));
}

TEST(ScopeGrantTest, AnyGrants) {
  const std::vector<std::string_view> held = {"read", "files"};
  EXPECT_TRUE(AnyGrants(kHierarchic, held, "files:delete"));
  EXPECT_FALSE(AnyGrants(kExact, held, "files:delete"));
  EXPECT_TRUE(AnyGrants(kExact, held, "read"));
  EXPECT_FALSE(AnyGrants(kExact, {}, "read"));
}

TEST(ScopeGrantTest, ScopeTokens) {
  EXPECT_TRUE(IsScopeToken("files:delete"));
  EXPECT_TRUE(IsScopeToken("it's"));
  EXPECT_TRUE(IsScopeToken("!#[]~"));
  EXPECT_FALSE(IsScopeToken(""));
  EXPECT_FALSE(IsScopeToken("a b"));
  EXPECT_FALSE(IsScopeToken("a\"b"));
  EXPECT_FALSE(IsScopeToken("a\\b"));
  EXPECT_FALSE(IsScopeToken("tab\t"));
  EXPECT_FALSE(IsScopeToken("caf\xc3\xa9"));
  EXPECT_FALSE(IsScopeToken("del\x7f"));
}

}  // namespace
}  // namespace mcpauth::sp
