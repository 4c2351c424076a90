// The snapshot the configuration describes, and its round trip through the proto
// messages the gateway receives.
#include "services/metadata/snapshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "services/common/strings.h"
#include "services/metadata/challenge.h"
#include "services/metadata/convert.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::metadata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

SuiteConfig Parse(const std::string& yaml) { return ParseSuiteConfig(YAML::Load(yaml)); }

MetadataSnapshot FromYaml(const std::string& yaml) { return SnapshotFromConfig(Parse(yaml)); }

boost::json::object Document(const MetadataSnapshot& snapshot, size_t i = 0) {
  return boost::json::parse(snapshot.resources.documents().at(i).document_json).as_object();
}

constexpr char kBasic[] = R"(
resource: https://mcp.example.com/mcp
authorization:
  authorization_servers: [https://as.example.com]
  required_scopes: [files:read]
  cache_ttl: 60
metadata:
  resource_name: Files
)";

TEST(SnapshotFromConfig, SingleResourceBearerOnly) {
  MetadataSnapshot s = FromYaml(kBasic);
  ASSERT_EQ(s.resources.documents().size(), 1u);
  EXPECT_EQ(s.resources.documents()[0].document_json,
            R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example.com"],)"
            R"("scopes_supported":["files:read"],"bearer_methods_supported":["header"],"resource_name":"Files"})");
  EXPECT_EQ(s.resources.cache_control(), "public, max-age=60");
  EXPECT_EQ(s.challenge.required_scopes, std::vector<std::string>{"files:read"});
  EXPECT_EQ(s.challenge.scope_enforcement, v1::SCOPE_ENFORCEMENT_AUTO);
  EXPECT_TRUE(s.challenge.bearer_accepted);
  EXPECT_FALSE(s.challenge.dpop_accepted);
  EXPECT_EQ(s.version.size(), 16u);
}

TEST(SnapshotFromConfig, SeedDefaultAuthorizationServer) {
  MetadataSnapshot s = FromYaml("resource: https://mcp.example.com/mcp\n");
  EXPECT_EQ(s.resources.documents()[0].document_json,
            R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.dedaluslabs.ai"],)"
            R"("bearer_methods_supported":["header"]})");
}

TEST(SnapshotFromConfig, DpopRequiredOffersOnlyDpopWithEverySupportedAlgorithm) {
  MetadataSnapshot dpop = FromYaml(R"(
resource: https://mcp.example.com/mcp
authorization:
  require_dpop: true
)");
  EXPECT_FALSE(dpop.challenge.bearer_accepted);
  EXPECT_TRUE(dpop.challenge.dpop_accepted);
  EXPECT_THAT(dpop.challenge.dpop_algorithms,
              ElementsAre("ES256", "ES384", "ES512", "EdDSA", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"));
  boost::json::object doc = Document(dpop);
  EXPECT_EQ(
      doc.at("dpop_signing_alg_values_supported"),
      (boost::json::array{"ES256", "ES384", "ES512", "EdDSA", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}));
  EXPECT_EQ(doc.at("dpop_bound_access_tokens_required"), true);
}

TEST(SnapshotFromConfig, DpopAlgorithmsTurnDpopOnWithoutRequiringIt) {
  MetadataSnapshot s = FromYaml(R"(
resource: https://mcp.example.com/mcp
authorization:
  dpop_algorithms: [ES256, EdDSA]
)");
  EXPECT_TRUE(s.challenge.bearer_accepted);
  EXPECT_TRUE(s.challenge.dpop_accepted);
  EXPECT_THAT(s.challenge.dpop_algorithms, ElementsAre("ES256", "EdDSA"));
  boost::json::object doc = Document(s);
  EXPECT_EQ(doc.at("dpop_signing_alg_values_supported"), (boost::json::array{"ES256", "EdDSA"}));
  EXPECT_EQ(doc.at("dpop_bound_access_tokens_required"), false);
  // dpop_nonce alone turns it on too.
  EXPECT_TRUE(
      FromYaml("resource: https://mcp.example.com/mcp\nauthorization: {dpop_nonce: true}\n").challenge.dpop_accepted);
}

TEST(SnapshotFromConfig, RefusesWhatItCannotServe) {
  try {
    FromYaml("resource: https://mcp.example.com/mcp\nauthorization: {dpop_algorithms: [ES256, HS256]}\n");
    ADD_FAILURE() << "HS256 accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("authorization.dpop_algorithms[1]: \"HS256\" is not asymmetric"));
  }
  try {
    FromYaml("resource: https://mcp.example.com/mcp\nauthorization: {dpop_algorithms: [ES257]}\n");
    ADD_FAILURE() << "ES257 accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("authorization.dpop_algorithms[0]: \"ES257\" is not a supported JWS algorithm"));
  }
  try {
    FromYaml("authorization: {required_scopes: [a]}\n");
    ADD_FAILURE() << "no resource accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("resource:"));
  }
}

TEST(SnapshotFromConfig, OneDocumentPerGatewayRoute) {
  MetadataSnapshot s = FromYaml(R"(
resource: https://mcp.example.com/search
authorization: {required_scopes: [mcp]}
gateway:
  routes:
    - {path: /files, resource: https://mcp.example.com/files, upstream: http://127.0.0.1:3001/mcp}
    - {path: /search, resource: https://mcp.example.com/search, upstream: http://127.0.0.1:3002/mcp}
)");
  ASSERT_EQ(s.resources.documents().size(), 2u);
  EXPECT_EQ(s.resources.documents()[0].resource, "https://mcp.example.com/files");
  // The top-level resource is one of the routes': it is the default.
  EXPECT_EQ(s.resources.default_document()->resource, "https://mcp.example.com/search");
  EXPECT_EQ(s.resources.FindByPath("/.well-known/oauth-protected-resource")->resource,
            "https://mcp.example.com/search");
  EXPECT_EQ(s.resources.FindByPath("/.well-known/oauth-protected-resource/files")->resource,
            "https://mcp.example.com/files");
}

TEST(SnapshotFromConfig, ScopesSupportedOverridesTheRequiredScopesInDocumentsOnly) {
  MetadataSnapshot s = FromYaml(R"(
resource: https://mcp.example.com/mcp
authorization: {required_scopes: [files:read]}
metadata: {scopes_supported: [files:read, files:write, files:delete]}
)");
  EXPECT_EQ(Document(s).at("scopes_supported"), (boost::json::array{"files:read", "files:write", "files:delete"}));
  EXPECT_EQ(s.challenge.required_scopes, std::vector<std::string>{"files:read"});
}

// With policy_file the file is scope-policy's: the snapshot never reads it, and the
// server-level scopes are the ones its stream hands over.
TEST(SnapshotFromConfig, WithPolicyFileTheServerScopesAreTheOnesGiven) {
  const std::string config = "resource: https://mcp.example.com/mcp\npolicy_file: /nonexistent/policy.yaml\n";
  SuiteConfig parsed = Parse(config);
  ASSERT_EQ(parsed.policy.required_scopes_size(), 0);  // the main file holds no policy
  MetadataSnapshot before = SnapshotFromConfig(parsed);  // no read of the (missing) file
  EXPECT_TRUE(before.challenge.required_scopes.empty());
  EXPECT_FALSE(Document(before).contains("scopes_supported"));

  MetadataSnapshot s = SnapshotFromConfig(parsed, {"mcp:use", "files:read"});
  EXPECT_EQ(s.challenge.required_scopes, (std::vector<std::string>{"mcp:use", "files:read"}));
  EXPECT_EQ(Document(s).at("scopes_supported"), (boost::json::array{"mcp:use", "files:read"}));
  EXPECT_NE(s.version, before.version);

  // metadata.scopes_supported pins the advertised list; challenges still use the policy's.
  MetadataSnapshot pinned =
      SnapshotFromConfig(Parse(StrCat(config, "metadata: {scopes_supported: [mcp:use]}\n")), {"mcp:use", "files:read"});
  EXPECT_EQ(Document(pinned).at("scopes_supported"), (boost::json::array{"mcp:use"}));
  EXPECT_EQ(pinned.challenge.required_scopes, (std::vector<std::string>{"mcp:use", "files:read"}));
}

TEST(SnapshotVersion, FollowsTheContent) {
  EXPECT_EQ(FromYaml(kBasic).version, FromYaml(kBasic).version);
  EXPECT_NE(FromYaml(kBasic).version,
            FromYaml(StrCat(kBasic, "  resource_documentation: https://d.example.com\n")).version);
  SuiteConfig a = Parse(kBasic);
  a.authorization.scope_enforcement = v1::SCOPE_ENFORCEMENT_NEVER;
  EXPECT_NE(SnapshotFromConfig(a).version, FromYaml(kBasic).version);
  SuiteConfig b = Parse(kBasic);
  b.authorization.cache_ttl = absl::Seconds(61);
  EXPECT_NE(SnapshotFromConfig(b).version, FromYaml(kBasic).version);
}

TEST(SnapshotChallenge, UsesTheResourcesOwnMetadataUrl) {
  MetadataSnapshot s = FromYaml(R"(
authorization: {required_scopes: [mcp], scope_enforcement: always}
gateway:
  routes:
    - {path: /a, resource: https://mcp.example.com/a, upstream: http://127.0.0.1:3001/mcp}
    - {path: /b, resource: https://mcp.example.com/b, upstream: http://127.0.0.1:3002/mcp}
)");
  auto b = s.BuildChallenge({.kind = v1::CHALLENGE_KIND_NO_TOKEN, .resource = "https://mcp.example.com/b"});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(
      b->www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/b", scope="mcp")"));
  auto def = s.BuildChallenge({.kind = v1::CHALLENGE_KIND_NO_TOKEN});
  ASSERT_TRUE(def.ok());
  EXPECT_THAT(
      def->www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/a", scope="mcp")"));
  auto unknown = s.BuildChallenge({.kind = v1::CHALLENGE_KIND_NO_TOKEN, .resource = "https://elsewhere.example.com"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
}

TEST(Convert, SnapshotOnTheWireHoldsEverything) {
  MetadataSnapshot original = FromYaml(R"(
resource: https://mcp.example.com/b/
authorization:
  required_scopes: [mcp]
  scope_enforcement: never
  dpop_algorithms: [ES256]
gateway:
  routes:
    - {path: /a, resource: https://mcp.example.com/a, upstream: http://127.0.0.1:3001/mcp}
    - {path: /b, resource: https://mcp.example.com/b/, upstream: http://127.0.0.1:3002/mcp}
)");
  v1::MetadataSnapshot proto;
  ToProto(original, &proto);
  EXPECT_EQ(proto.version(), original.version);
  EXPECT_EQ(proto.default_resource(), "https://mcp.example.com/b/");
  EXPECT_EQ(proto.cache_control(), original.resources.cache_control());
  ASSERT_EQ(proto.documents_size(), 2);
  for (int i = 0; i < proto.documents_size(); ++i) {
    const ResourceDocument& doc = original.resources.documents()[i];
    EXPECT_EQ(proto.documents(i).resource(), doc.resource);
    EXPECT_EQ(proto.documents(i).document_json(), doc.document_json);
    EXPECT_EQ(proto.documents(i).metadata_url(), doc.metadata_url);
    EXPECT_THAT(proto.documents(i).well_known_paths(), ::testing::ElementsAreArray(doc.well_known_paths));
  }
  EXPECT_THAT(proto.challenge().required_scopes(), ::testing::ElementsAre("mcp"));
  EXPECT_EQ(proto.challenge().scope_enforcement(), v1::SCOPE_ENFORCEMENT_NEVER);
  EXPECT_EQ(proto.challenge().bearer_accepted(), original.challenge.bearer_accepted);
  EXPECT_EQ(proto.challenge().dpop_accepted(), original.challenge.dpop_accepted);
  EXPECT_THAT(proto.challenge().dpop_algorithms(), ::testing::ElementsAre("ES256"));
}

TEST(Convert, ChallengeRequestFromTheWireAndResponseOntoIt) {
  const ChallengeRequest request{.kind = v1::CHALLENGE_KIND_USE_DPOP_NONCE,
                                 .resource = "https://mcp.example.com/mcp",
                                 .protocol_version = "2025-11-25",
                                 .scheme = v1::PRESENTED_SCHEME_DPOP,
                                 .operation_scopes = {"a", "b"},
                                 .error_description = "nonce",
                                 .dpop_nonce = "n-1"};
  v1::BuildChallengeRequest proto;
  proto.set_kind(request.kind);
  proto.set_resource(request.resource);
  proto.set_protocol_version(request.protocol_version);
  proto.set_scheme(request.scheme);
  for (const std::string& scope : request.operation_scopes) proto.add_operation_scopes(scope);
  proto.set_error_description(request.error_description);
  proto.set_dpop_nonce(request.dpop_nonce);
  auto back = FromProto(proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->kind, request.kind);
  EXPECT_EQ(back->resource, request.resource);
  EXPECT_EQ(back->protocol_version, request.protocol_version);
  EXPECT_EQ(back->scheme, request.scheme);
  EXPECT_EQ(back->operation_scopes, request.operation_scopes);
  EXPECT_EQ(back->error_description, request.error_description);
  EXPECT_EQ(back->dpop_nonce, request.dpop_nonce);

  for (ChallengeKind kind : {v1::CHALLENGE_KIND_UNSPECIFIED, static_cast<ChallengeKind>(42)}) {
    v1::BuildChallengeRequest not_a_kind = proto;
    not_a_kind.set_kind(kind);
    EXPECT_FALSE(FromProto(not_a_kind).ok()) << kind;
  }
  v1::BuildChallengeRequest no_nonce = proto;
  no_nonce.clear_dpop_nonce();
  EXPECT_FALSE(FromProto(no_nonce).ok());

  const Challenge challenge{
      .http_status = 401, .error = "use_dpop_nonce", .www_authenticate = {"DPoP algs=\"ES256\""}, .dpop_nonce = "n-1"};
  v1::BuildChallengeResponse response;
  ToProto(challenge, &response);
  EXPECT_EQ(response.http_status(), 401);
  EXPECT_EQ(response.error(), "use_dpop_nonce");
  EXPECT_THAT(response.www_authenticate(), ::testing::ElementsAre("DPoP algs=\"ES256\""));
  EXPECT_EQ(response.dpop_nonce(), "n-1");
}

TEST(Convert, UnspecifiedScopeEnforcementActsAsAuto) {
  for (std::string_view version : {"2025-03-26", "2025-11-25", "", "not-a-date"}) {
    EXPECT_EQ(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_UNSPECIFIED, version),
              ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, version))
        << version;
  }
}

}  // namespace
}  // namespace mcpauth::metadata
