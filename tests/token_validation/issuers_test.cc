#include "services/token_validation/issuers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpauth::tv {
namespace {

using ::testing::HasSubstr;

IssuerRegistry FromYaml(const std::string& yaml) { return IssuerRegistry::FromConfig(ParseSuiteConfig(YAML::Load(yaml))); }

std::string ErrorOf(const std::string& yaml) {
  try {
    FromYaml(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Issuers, SeedDefaultAuthorizationServerWhenNothingConfigured) {
  IssuerRegistry r = FromYaml("resource: https://mcp.example.com/mcp");
  ASSERT_EQ(r.issuers().size(), 1u);
  EXPECT_EQ(r.issuers()[0]->issuer, "https://as.dedaluslabs.ai");
  EXPECT_TRUE(r.issuers()[0]->jwks_source.empty());  // found by discovery
}

// Configuring validators does not silently keep trusting the default authorization server.
TEST(Issuers, ValidatorsReplaceTheDefaultServer) {
  IssuerRegistry r = FromYaml(R"(
resource: https://mcp.example.com/mcp
jwt_validators:
  - {issuer: https://auth.example.com, jwks_uri: https://auth.example.com/jwks}
)");
  ASSERT_EQ(r.issuers().size(), 1u);
  EXPECT_EQ(r.Find("https://as.dedaluslabs.ai"), nullptr);
  EXPECT_EQ(r.Find("https://auth.example.com")->jwks_source, "https://auth.example.com/jwks");
}

TEST(Issuers, ExplicitServersAndValidatorsTogether) {
  IssuerRegistry r = FromYaml(R"(
resource: https://mcp.example.com/mcp
authorization: {authorization_servers: [https://a.example.com, https://b.example.com]}
jwt_validators:
  - {issuer: https://a.example.com, jwks_file: /keys/a.json, algorithms: [ES256], leeway: 5}
)");
  ASSERT_EQ(r.issuers().size(), 2u);
  const TrustedIssuer* a = r.Find("https://a.example.com");
  EXPECT_EQ(a->jwks_source, "file:/keys/a.json");
  EXPECT_TRUE(a->Allows(FindAlg("ES256")));
  EXPECT_FALSE(a->Allows(FindAlg("RS256")));
  EXPECT_EQ(a->leeway, absl::Seconds(5));
  EXPECT_TRUE(r.Find("https://b.example.com")->Allows(FindAlg("EdDSA")));
  EXPECT_EQ(r.Find("https://a.example.com/"), nullptr);  // exact match only
}

TEST(Issuers, AlgorithmErrorsNameTheKey) {
  EXPECT_THAT(ErrorOf("resource: https://m/x\njwt_validators: [{issuer: https://a, algorithms: [ES256, HS256]}]"),
              HasSubstr("jwt_validators[0].algorithms[1]: \"HS256\" is not supported (none and HMAC algorithms are never accepted)"));
  EXPECT_THAT(ErrorOf("resource: https://m/x\njwt_validators: [{issuer: https://a, algorithms: [ES257]}]"),
              HasSubstr("jwt_validators[0].algorithms[0]: \"ES257\" is not supported; choose from RS256"));
}

TEST(Issuers, AnAudienceMustBeKnown) {
  EXPECT_THAT(ErrorOf("jwt_validators: [{issuer: https://a}]"), HasSubstr("jwt_validators[0].audience: is required"));
  EXPECT_THAT(ErrorOf("{}"), HasSubstr("resource: is required"));
  EXPECT_EQ(ErrorOf("jwt_validators: [{issuer: https://a, audience: api://x}]"), "(no error)");
}

}  // namespace
}  // namespace mcpauth::tv
