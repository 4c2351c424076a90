// proto/enum_label.h: the one spelling of each enum outside C++.
#include "proto/enum_label.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpauth/v1/metadata.pb.h"
#include "mcpauth/v1/scope_policy.pb.h"
#include "mcpauth/v1/token_validation.pb.h"

namespace mcpauth {
namespace {

TEST(EnumLabelTest, ALabelIsTheValueNameWithoutTheEnumsPrefixInLowerCase) {
  EXPECT_EQ(EnumLabel(v1::CHALLENGE_KIND_INVALID_DPOP_PROOF), "invalid_dpop_proof");  // RFC 9449 §7.1
  EXPECT_EQ(EnumLabel(v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE), "insufficient_scope");  // RFC 6750 §3.1
  EXPECT_EQ(EnumLabel(v1::SCOPE_ENFORCEMENT_NEVER), "never");
  EXPECT_EQ(EnumLabel(v1::LIST_KIND_RESOURCE_TEMPLATES), "resource_templates");
  EXPECT_EQ(EnumLabel(v1::REASON_DPOP_HTU_MISMATCH), "dpop_htu_mismatch");
  EXPECT_EQ(EnumLabel(v1::SCOPE_STRATEGY_UNSPECIFIED), "unspecified");
  EXPECT_EQ(EnumLabel(static_cast<v1::ScopeStrategy>(42)), "");
}

TEST(EnumLabelTest, LabelsAreReadBackButNeverAsTheValueZero) {
  EXPECT_EQ(EnumFromLabel<v1::ScopeStrategy>("hierarchic"), v1::SCOPE_STRATEGY_HIERARCHIC);
  EXPECT_EQ(EnumFromLabel<v1::ScopeEnforcement>("always"), v1::SCOPE_ENFORCEMENT_ALWAYS);
  EXPECT_EQ(EnumFromLabel<v1::ScopeStrategy>("unspecified"), std::nullopt);
  EXPECT_EQ(EnumFromLabel<v1::TargetKind>("none"), std::nullopt);
  EXPECT_EQ(EnumFromLabel<v1::ScopeStrategy>("Wildcard"), std::nullopt);  // labels are exact
  EXPECT_EQ(EnumFromLabel<v1::ScopeStrategy>("SCOPE_STRATEGY_WILDCARD"), std::nullopt);
  EXPECT_EQ(EnumFromLabel<v1::ScopeStrategy>(""), std::nullopt);
}

TEST(EnumLabelTest, ConfigurationChoicesAreEveryLabelButZerosInDeclarationOrder) {
  EXPECT_THAT(EnumLabels<v1::ScopeStrategy>(), ::testing::ElementsAre("exact", "wildcard", "hierarchic"));
  EXPECT_THAT(EnumLabels<v1::ScopeEnforcement>(), ::testing::ElementsAre("auto", "always", "never"));
}

}  // namespace
}  // namespace mcpauth
