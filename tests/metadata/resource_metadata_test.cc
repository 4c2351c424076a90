// RFC 9728 documents, their well-known paths and metadata URLs. Expected URLs are
// written out by hand from RFC 9728 §3.1 (its example: resource
// https://resource.example.com/resource1 is described at
// https://resource.example.com/.well-known/oauth-protected-resource/resource1).
#include "services/metadata/resource_metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mcpauth::metadata {
namespace {

using ::testing::ElementsAre;

constexpr char kRoot[] = "/.well-known/oauth-protected-resource";

ResourceMetadataSettings Settings(std::vector<std::string> resources) {
  ResourceMetadataSettings s;
  s.resources = std::move(resources);
  s.authorization_servers = {"https://as.example.com"};
  s.scopes_supported = {"files:read", "files:write"};
  return s;
}

ProtectedResourceMetadata BuildOrDie(const ResourceMetadataSettings& settings) {
  auto built = ProtectedResourceMetadata::Build(settings);
  EXPECT_TRUE(built.ok()) << built.status();
  return built.ok() ? std::move(*built) : ProtectedResourceMetadata();
}

std::string UrlFor(std::string_view resource, std::string_view metadata_path = kRoot) {
  auto url = MetadataUrlFor(resource, metadata_path);
  EXPECT_TRUE(url.ok()) << url.status();
  return url.value_or("");
}

TEST(ResourceDocument, CarriesEveryConfiguredField) {
  ResourceMetadataSettings s = Settings({"https://mcp.example.com/mcp"});
  s.resource_name = "Example \"Files\"";
  s.resource_documentation = "https://docs.example.com/mcp";
  s.cache_ttl = absl::Seconds(120);
  ProtectedResourceMetadata prm = BuildOrDie(s);
  ASSERT_EQ(prm.documents().size(), 1u);
  const ResourceDocument& doc = prm.documents()[0];
  EXPECT_EQ(doc.resource, "https://mcp.example.com/mcp");
  EXPECT_EQ(doc.document_json, R"({"resource":"https://mcp.example.com/mcp",)"
                               R"("authorization_servers":["https://as.example.com"],)"
                               R"("scopes_supported":["files:read","files:write"],)"
                               R"("bearer_methods_supported":["header"],)"
                               R"("resource_name":"Example \"Files\"",)"
                               R"("resource_documentation":"https://docs.example.com/mcp"})");
  EXPECT_EQ(doc.metadata_url, "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  // The only document is also the one at the root.
  EXPECT_THAT(doc.well_known_paths, ElementsAre("/.well-known/oauth-protected-resource/mcp", kRoot));
  EXPECT_EQ(prm.cache_control(), "public, max-age=120");

  // An independent reading of the same bytes.
  const boost::json::object parsed = boost::json::parse(doc.document_json).as_object();
  EXPECT_EQ(parsed.at("resource"), "https://mcp.example.com/mcp");
  EXPECT_EQ(parsed.at("bearer_methods_supported"), boost::json::array{"header"});
  EXPECT_EQ(parsed.at("resource_name"), "Example \"Files\"");
  EXPECT_FALSE(parsed.contains("dpop_signing_alg_values_supported"));
}

TEST(ResourceDocument, LeavesOutUnsetFieldsAndNeverAdvertisesOfflineAccess) {
  ResourceMetadataSettings s = Settings({"https://mcp.example.com/mcp"});
  s.scopes_supported = {"offline_access"};
  s.authorization_servers = {"https://as1.example.com", "https://as2.example.com/tenant"};
  EXPECT_EQ(BuildOrDie(s).documents()[0].document_json,
            R"({"resource":"https://mcp.example.com/mcp",)"
            R"("authorization_servers":["https://as1.example.com","https://as2.example.com/tenant"],)"
            R"("bearer_methods_supported":["header"]})");
  s.scopes_supported = {"a", "offline_access", "b"};
  EXPECT_EQ(boost::json::parse(BuildOrDie(s).documents()[0].document_json).at("scopes_supported"),
            (boost::json::array{"a", "b"}));
}

TEST(ResourceDocument, AdvertisesDpopWhenOn) {
  ResourceMetadataSettings s = Settings({"https://mcp.example.com/mcp"});
  s.scopes_supported = {};
  s.dpop_algorithms = {"ES256", "EdDSA"};
  // Off: nothing about DPoP, whatever the algorithms.
  EXPECT_EQ(BuildOrDie(s).documents()[0].document_json,
            R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example.com"],)"
            R"("bearer_methods_supported":["header"]})");
  s.dpop_enabled = true;
  EXPECT_EQ(BuildOrDie(s).documents()[0].document_json,
            R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example.com"],)"
            R"("bearer_methods_supported":["header"],)"
            R"("dpop_signing_alg_values_supported":["ES256","EdDSA"],)"
            R"("dpop_bound_access_tokens_required":false})");
  s.dpop_required = true;
  EXPECT_EQ(boost::json::parse(BuildOrDie(s).documents()[0].document_json).at("dpop_bound_access_tokens_required"),
            true);
}

TEST(WellKnownUrl, RootResourceIsTheRootPath) {
  EXPECT_EQ(UrlFor("https://mcp.example.com"), "https://mcp.example.com/.well-known/oauth-protected-resource");
  // RFC 9728 §3.1: the slash following the host is removed before insertion.
  EXPECT_EQ(UrlFor("https://mcp.example.com/"), "https://mcp.example.com/.well-known/oauth-protected-resource");
  EXPECT_EQ(WellKnownPathFor("https://mcp.example.com/", kRoot).value_or(""), kRoot);
  ProtectedResourceMetadata prm = BuildOrDie(Settings({"https://mcp.example.com/"}));
  EXPECT_EQ(prm.documents()[0].resource, "https://mcp.example.com/");  // exactly as configured
  EXPECT_THAT(prm.documents()[0].well_known_paths, ElementsAre(kRoot));
}

TEST(WellKnownUrl, PathIsInsertedAfterTheHost) {
  EXPECT_EQ(UrlFor("https://resource.example.com/resource1"),
            "https://resource.example.com/.well-known/oauth-protected-resource/resource1");
  EXPECT_EQ(UrlFor("https://mcp.example.com/a/b"), "https://mcp.example.com/.well-known/oauth-protected-resource/a/b");
  EXPECT_EQ(UrlFor("https://mcp.example.com/tenant/x/mcp"),
            "https://mcp.example.com/.well-known/oauth-protected-resource/tenant/x/mcp");
  EXPECT_EQ(WellKnownPathFor("https://mcp.example.com/a/b", kRoot).value_or(""),
            "/.well-known/oauth-protected-resource/a/b");
  // Ports other than the scheme's default stay; loopback http works as https does.
  EXPECT_EQ(UrlFor("http://127.0.0.1:8080/mcp"), "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(UrlFor("http://[::1]:8080/mcp"), "http://[::1]:8080/.well-known/oauth-protected-resource/mcp");
  // RFC 9728 §3.1: a query follows the inserted path.
  EXPECT_EQ(UrlFor("https://mcp.example.com/mcp?tenant=a"),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp?tenant=a");
  // A configured metadata_path replaces the default suffix, trailing slash or not.
  EXPECT_EQ(UrlFor("https://mcp.example.com/mcp", "/.well-known/custom/"),
            "https://mcp.example.com/.well-known/custom/mcp");
  EXPECT_EQ(UrlFor("https://mcp.example.com", "/.well-known/custom"), "https://mcp.example.com/.well-known/custom");
  EXPECT_FALSE(MetadataUrlFor("not a uri", kRoot).ok());
  EXPECT_FALSE(MetadataUrlFor("urn:example:mcp", kRoot).ok());
}

// The resource string is kept exactly; the URL is built from its normalized origin
// (scheme and host are case-insensitive, RFC 3986 §6.2.2.1; a default port is
// the same as none, §6.2.3). The path keeps its case: paths are case-sensitive.
TEST(WellKnownUrl, UppercaseHostAndDefaultPortAreNormalizedInTheUrlOnly) {
  ProtectedResourceMetadata prm = BuildOrDie(Settings({"HTTPS://MCP.Example.COM:443/MCP"}));
  const ResourceDocument& doc = prm.documents()[0];
  EXPECT_EQ(doc.resource, "HTTPS://MCP.Example.COM:443/MCP");
  EXPECT_EQ(boost::json::parse(doc.document_json).at("resource"), "HTTPS://MCP.Example.COM:443/MCP");
  EXPECT_EQ(doc.metadata_url, "https://mcp.example.com/.well-known/oauth-protected-resource/MCP");
  EXPECT_EQ(UrlFor("http://LOCALHOST:80/mcp"), "http://localhost/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(UrlFor("https://mcp.example.com:8443/mcp"),
            "https://mcp.example.com:8443/.well-known/oauth-protected-resource/mcp");
  // Found by the configured string only.
  EXPECT_EQ(prm.FindByResource("HTTPS://MCP.Example.COM:443/MCP"), &doc);
  EXPECT_EQ(prm.FindByResource("https://mcp.example.com/MCP"), nullptr);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/MCP"), &doc);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/mcp"), nullptr);
}

// https://h/mcp/ is described at …/mcp/ (RFC 9728 literally, as the Python SDK
// asks) and also at …/mcp (the TypeScript SDK strips the slash first).
TEST(WellKnownUrl, TrailingSlashResourceIsServedWithAndWithoutIt) {
  ResourceMetadataSettings s = Settings({"https://mcp.example.com/mcp/", "https://mcp.example.com/other"});
  ProtectedResourceMetadata prm = BuildOrDie(s);
  const ResourceDocument& doc = prm.documents()[0];
  EXPECT_EQ(doc.resource, "https://mcp.example.com/mcp/");
  EXPECT_EQ(boost::json::parse(doc.document_json).at("resource"), "https://mcp.example.com/mcp/");
  EXPECT_EQ(doc.metadata_url, "https://mcp.example.com/.well-known/oauth-protected-resource/mcp/");
  EXPECT_THAT(doc.well_known_paths, ElementsAre("/.well-known/oauth-protected-resource/mcp/",
                                                "/.well-known/oauth-protected-resource/mcp", kRoot));
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/mcp/"), &doc);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/mcp"), &doc);
  // Without a trailing slash in the resource, only the exact path.
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/other"), &prm.documents()[1]);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/other/"), nullptr);
}

TEST(ProtectedResourceMetadata, SeveralRoutesEachHaveTheirPathAndTheFirstHasTheRoot) {
  ProtectedResourceMetadata prm =
      BuildOrDie(Settings({"https://mcp.example.com/files", "https://mcp.example.com/a/b/search"}));
  ASSERT_EQ(prm.documents().size(), 2u);
  const ResourceDocument& files = prm.documents()[0];
  const ResourceDocument& search = prm.documents()[1];
  EXPECT_EQ(prm.default_document(), &files);
  EXPECT_THAT(files.well_known_paths, ElementsAre("/.well-known/oauth-protected-resource/files", kRoot));
  EXPECT_THAT(search.well_known_paths, ElementsAre("/.well-known/oauth-protected-resource/a/b/search"));
  EXPECT_EQ(search.metadata_url, "https://mcp.example.com/.well-known/oauth-protected-resource/a/b/search");
  EXPECT_EQ(prm.FindByPath(kRoot), &files);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/files"), &files);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/a/b/search"), &search);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/a/b/search?x=1"), &search);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/a/b"), nullptr);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/"), nullptr);
  EXPECT_EQ(prm.FindByPath("/files"), nullptr);
  EXPECT_EQ(prm.FindByResource("https://mcp.example.com/a/b/search"), &search);
  EXPECT_EQ(prm.FindByResource(""), &files);
  EXPECT_EQ(prm.FindByResource("https://mcp.example.com/nope"), nullptr);
}

TEST(ProtectedResourceMetadata, RootGoesToThePathlessResourceThenTheTopLevelOne) {
  ProtectedResourceMetadata pathless = BuildOrDie(Settings({"https://mcp.example.com/mcp", "https://mcp.example.com"}));
  EXPECT_EQ(pathless.default_document()->resource, "https://mcp.example.com");
  EXPECT_THAT(pathless.documents()[0].well_known_paths, ElementsAre("/.well-known/oauth-protected-resource/mcp"));
  EXPECT_EQ(pathless.FindByPath(kRoot)->resource, "https://mcp.example.com");

  ResourceMetadataSettings s = Settings({"https://mcp.example.com/a", "https://mcp.example.com/b"});
  s.top_level_resource = "https://mcp.example.com/b";
  ProtectedResourceMetadata top = BuildOrDie(s);
  EXPECT_EQ(top.default_document()->resource, "https://mcp.example.com/b");
  EXPECT_EQ(top.FindByPath(kRoot)->resource, "https://mcp.example.com/b");
  EXPECT_EQ(top.documents()[0].resource, "https://mcp.example.com/a");  // order kept
}

TEST(ProtectedResourceMetadata, RepeatedResourcesCollapseAndSharedPathsGoToTheFirst) {
  ProtectedResourceMetadata prm =
      BuildOrDie(Settings({"https://a.example.com/mcp", "https://a.example.com/mcp", "https://b.example.com/mcp"}));
  ASSERT_EQ(prm.documents().size(), 2u);
  EXPECT_EQ(prm.FindByPath("/.well-known/oauth-protected-resource/mcp")->resource, "https://a.example.com/mcp");
  EXPECT_EQ(prm.documents()[1].metadata_url, "https://b.example.com/.well-known/oauth-protected-resource/mcp");
}

TEST(ProtectedResourceMetadata, RefusesAResourceThatIsNotAnAbsoluteUri) {
  auto built = ProtectedResourceMetadata::Build(Settings({"https://ok.example.com/mcp", "/relative"}));
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(std::string(built.status().message()), ::testing::HasSubstr("\"/relative\""));
  EXPECT_TRUE(ProtectedResourceMetadata::Build(Settings({})).ok());
  EXPECT_EQ(BuildOrDie(Settings({})).default_document(), nullptr);
  EXPECT_EQ(BuildOrDie(Settings({})).FindByPath(kRoot), nullptr);
}

TEST(CacheControl, IsPublicWithTheConfiguredLifetime) {
  EXPECT_EQ(CacheControlFor(absl::Seconds(300)), "public, max-age=300");
  EXPECT_EQ(CacheControlFor(absl::Seconds(1)), "public, max-age=1");
}

}  // namespace
}  // namespace mcpauth::metadata
