// Following policy_file's required scopes, on a manual clock.
#include "services/metadata/policy_scopes_reloader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/strings.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::metadata {
namespace {

using Outcome = PolicyScopesReloader::Outcome;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class PolicyScopesReloaderTest : public ::testing::Test {
 protected:
  PolicyScopesReloaderTest() : dir_("mcpauth-metadata-reload"), policy_(dir_.File("policy.yaml")) {
    WritePolicy("[mcp:use]");
    // A relative policy_file is found next to the configuration file.
    const std::string config_path = dir_.File("mcpauth.yaml");
    EXPECT_TRUE(test::WriteFile(config_path,
                                "resource: https://mcp.example.com/mcp\n"
                                "authorization: {scope_enforcement: always}\n"
                                "policy_file: policy.yaml\n"));
    config_ = LoadSuiteConfig(config_path);
  }

  void WritePolicy(const std::string& scopes, const std::string& extra = "") {
    ASSERT_TRUE(test::WriteFile(policy_, StrCat("authorization:\n  required_scopes: ", scopes, "\n", extra)));
  }

  // Ticks once a second until something other than "not due" or "settling" happens.
  Outcome Settle(PolicyScopesReloader& reloader, std::optional<MetadataSnapshot>& snapshot) {
    for (int i = 0; i < 5; ++i) {
      clock_.Advance(absl::Seconds(1));
      Outcome outcome = reloader.Tick(snapshot);
      if (outcome != Outcome::kSettling && outcome != Outcome::kNotDue) return outcome;
    }
    return Outcome::kSettling;
  }

  test::TempDir dir_;
  std::string policy_;
  SuiteConfig config_;
  ManualClock clock_;
  prometheus::Registry registry_;
  MetadataMetrics metrics_{registry_, {}};
};

TEST_F(PolicyScopesReloaderTest, FindsARelativePolicyFileNextToTheConfiguration) {
  EXPECT_EQ(PolicyFilePath(config_), policy_);
  EXPECT_EQ(RequiredScopesFromConfig(config_), std::vector<std::string>{"mcp:use"});
}

TEST_F(PolicyScopesReloaderTest, NewRequiredScopesMakeANewSnapshot) {
  PolicyScopesReloader reloader(config_, &metrics_, {}, &clock_);
  MetadataSnapshot initial = reloader.Initial();
  EXPECT_EQ(initial.challenge.required_scopes, std::vector<std::string>{"mcp:use"});
  std::optional<MetadataSnapshot> snapshot;
  EXPECT_EQ(Settle(reloader, snapshot), Outcome::kUnchanged);
  EXPECT_FALSE(snapshot.has_value());

  WritePolicy("[mcp:use, files:read]");
  EXPECT_EQ(Settle(reloader, snapshot), Outcome::kReloaded);
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_THAT(snapshot->challenge.required_scopes, ElementsAre("mcp:use", "files:read"));
  EXPECT_NE(snapshot->version, initial.version);
  auto challenge = snapshot->BuildChallenge({.kind = v1::CHALLENGE_KIND_NO_TOKEN});
  ASSERT_TRUE(challenge.ok());
  EXPECT_THAT(challenge->www_authenticate[0], HasSubstr(R"(scope="mcp:use files:read")"));
  EXPECT_THAT(snapshot->resources.documents()[0].document_json,
              HasSubstr(R"("scopes_supported":["mcp:use","files:read"])"));
  EXPECT_THAT(reloader.required_scopes(), ElementsAre("mcp:use", "files:read"));

  // Other rules changing is scope-policy's business: no new snapshot.
  WritePolicy("[mcp:use, files:read]", "tools:\n  delete_file: {required_scopes: [files:delete]}\n");
  EXPECT_EQ(Settle(reloader, snapshot), Outcome::kUnchanged);
  EXPECT_FALSE(snapshot.has_value());
}

TEST_F(PolicyScopesReloaderTest, ABrokenOrMissingFileKeepsTheScopesInForce) {
  PolicyScopesReloader reloader(config_, &metrics_, {}, &clock_);
  reloader.Initial();
  std::optional<MetadataSnapshot> snapshot;
  ASSERT_TRUE(test::WriteFile(policy_, "authorization: {required_scopes: [a, b]\n"));  // YAML syntax error
  EXPECT_EQ(Settle(reloader, snapshot), Outcome::kRefused);
  ASSERT_TRUE(test::WriteFile(policy_, "authorization: {required_scopez: [a]}\n"));  // unknown key
  EXPECT_EQ(Settle(reloader, snapshot), Outcome::kRefused);
  EXPECT_FALSE(snapshot.has_value());
  EXPECT_THAT(reloader.required_scopes(), ElementsAre("mcp:use"));

  ASSERT_EQ(std::remove(policy_.c_str()), 0);
  EXPECT_EQ(Settle(reloader, snapshot), Outcome::kUnreadable);

  WritePolicy("[fixed]");
  EXPECT_EQ(Settle(reloader, snapshot), Outcome::kReloaded);
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_THAT(snapshot->challenge.required_scopes, ElementsAre("fixed"));
}

TEST_F(PolicyScopesReloaderTest, AnUnreadablePolicyFileAtStartIsAConfigurationError) {
  ASSERT_EQ(std::remove(policy_.c_str()), 0);
  PolicyScopesReloader reloader(config_, &metrics_, {}, &clock_);
  try {
    reloader.Initial();
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("policy_file: "));
  }
  EXPECT_THROW(RequiredScopesFromConfig(config_), ConfigError);
  ASSERT_TRUE(test::WriteFile(policy_, "tools: [not, a, map]\n"));
  EXPECT_THROW(PolicyScopesReloader(config_, &metrics_, {}, &clock_).Initial(), ConfigError);
}

TEST(RequiredScopesFromPolicyText, ReadsThePolicyFileLayout) {
  auto scopes = RequiredScopesFromPolicyText("authorization:\n  required_scopes: [a, b]\n", "p.yaml");
  ASSERT_TRUE(scopes.ok()) << scopes.status();
  EXPECT_THAT(*scopes, ElementsAre("a", "b"));
  EXPECT_TRUE(RequiredScopesFromPolicyText("{}", "p.yaml").ok());
  EXPECT_EQ(RequiredScopesFromPolicyText("resource: https://x.example.com\n", "p.yaml").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(RequiredScopesFromPolicyText("[", "p.yaml").ok());
}

}  // namespace
}  // namespace mcpauth::metadata
