// The gRPC surface, called in process: what each RPC answers and counts.
#include "services/metadata/service.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/metadata/convert.h"
#include "tests/fakes/fake_fetcher.h"

namespace mcpauth::metadata {
namespace {

using ::testing::ElementsAre;
using testing::FakeFetcher;

constexpr char kConfig[] = R"(
resource: https://mcp.example.com/mcp
authorization:
  authorization_servers: [https://as.example.com]
  required_scopes: [files:read]
  scope_enforcement: always
jwt_validators:
  - issuer: https://idp.example.com
  - issuer: https://static.example.com
    jwks_uri: https://static.example.com/jwks
)";

// The value of a counter sample in `registry`, or -1 when it is not there.
double Counter(prometheus::Registry& registry, const std::string& name,
               const std::map<std::string, std::string>& labels) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have == labels) return metric.counter.value;
    }
  }
  return -1;
}

class MetadataServiceTest : public ::testing::Test {
 protected:
  MetadataServiceTest()
      : config_(ParseSuiteConfig(YAML::Load(kConfig))),
        metrics_(registry_, config_.Resources()),
        directory_(&fetcher_, nullptr, absl::Seconds(300), &registry_, &clock_),
        service_(std::make_shared<const MetadataSnapshot>(SnapshotFromConfig(config_)), &directory_,
                 KnownIssuers(config_), &metrics_, /*watch_check_interval=*/absl::Milliseconds(20)) {}

  SuiteConfig config_;
  prometheus::Registry registry_;
  MetadataMetrics metrics_;
  ManualClock clock_;
  FakeFetcher fetcher_;
  AuthorizationServerDirectory directory_;
  MetadataService service_;
};

TEST_F(MetadataServiceTest, ProtectedResourceMetadataByResourcePathOrDefault) {
  v1::GetProtectedResourceMetadataRequest request;
  v1::GetProtectedResourceMetadataResponse response;
  request.set_resource("https://mcp.example.com/mcp");
  ASSERT_TRUE(service_.GetProtectedResourceMetadata(nullptr, &request, &response).ok());
  EXPECT_TRUE(response.found());
  EXPECT_EQ(response.document().resource(), "https://mcp.example.com/mcp");
  EXPECT_EQ(response.document().metadata_url(), "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  EXPECT_THAT(response.document().well_known_paths(),
              ElementsAre("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"));
  EXPECT_EQ(response.document().document_json(),
            R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example.com"],)"
            R"("scopes_supported":["files:read"],"bearer_methods_supported":["header"]})");
  EXPECT_EQ(response.cache_control(), "public, max-age=300");

  for (const char* path : {"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}) {
    request.set_path(path);
    response.Clear();
    ASSERT_TRUE(service_.GetProtectedResourceMetadata(nullptr, &request, &response).ok());
    EXPECT_TRUE(response.found()) << path;
    EXPECT_EQ(response.document().resource(), "https://mcp.example.com/mcp");
  }
  request.Clear();
  response.Clear();
  ASSERT_TRUE(service_.GetProtectedResourceMetadata(nullptr, &request, &response).ok());
  EXPECT_TRUE(response.found());
  EXPECT_EQ(
      Counter(registry_, "mcpauth_metadata_documents_served_total", {{"resource", "https://mcp.example.com/mcp"}}), 4);

  for (const char* path : {"/.well-known/oauth-protected-resource/other", "/mcp"}) {
    request.set_path(path);
    response.Clear();
    ASSERT_TRUE(service_.GetProtectedResourceMetadata(nullptr, &request, &response).ok());
    EXPECT_FALSE(response.found()) << path;
    EXPECT_FALSE(response.has_document());
  }
  request.set_resource("https://MCP.example.com/mcp");  // not the configured string
  ASSERT_TRUE(service_.GetProtectedResourceMetadata(nullptr, &request, &response).ok());
  EXPECT_FALSE(response.found());
  EXPECT_EQ(Counter(registry_, "mcpauth_metadata_documents_not_found_total", {}), 3);
}

TEST_F(MetadataServiceTest, AuthorizationServerMetadataForConfiguredIssuersOnly) {
  const std::string body = R"({"issuer":"https://as.example.com","jwks_uri":"https://as.example.com/jwks"})";
  fetcher_.Serve("https://as.example.com/.well-known/oauth-authorization-server", body);
  v1::GetAuthorizationServerMetadataRequest request;
  v1::GetAuthorizationServerMetadataResponse response;
  request.set_issuer("https://as.example.com");
  ASSERT_TRUE(service_.GetAuthorizationServerMetadata(nullptr, &request, &response).ok());
  EXPECT_TRUE(response.found());
  EXPECT_EQ(response.issuer(), "https://as.example.com");
  EXPECT_EQ(response.document_json(), body);
  EXPECT_EQ(response.jwks_uri(), "https://as.example.com/jwks");
  EXPECT_EQ(response.source_url(), "https://as.example.com/.well-known/oauth-authorization-server");
  EXPECT_EQ(response.fetched_at(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(response.fresh_until(), absl::ToUnixSeconds(clock_.Now() + absl::Seconds(300)));
  EXPECT_FALSE(response.stale());

  // A jwt_validators issuer is known too; this one's server is down.
  request.set_issuer("https://idp.example.com");
  grpc::Status down = service_.GetAuthorizationServerMetadata(nullptr, &request, &response);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.error_message(), ::testing::HasSubstr("https://idp.example.com"));

  // An issuer the configuration does not name is never fetched.
  const int fetches = fetcher_.Total();
  request.set_issuer("https://attacker.example.com");
  response.Clear();
  ASSERT_TRUE(service_.GetAuthorizationServerMetadata(nullptr, &request, &response).ok());
  EXPECT_FALSE(response.found());
  EXPECT_EQ(fetcher_.Total(), fetches);

  EXPECT_EQ(Counter(registry_, "mcpauth_metadata_authorization_server_requests_total", {{"result", "found"}}), 1);
  EXPECT_EQ(Counter(registry_, "mcpauth_metadata_authorization_server_requests_total", {{"result", "unavailable"}}), 1);
  EXPECT_EQ(Counter(registry_, "mcpauth_metadata_authorization_server_requests_total", {{"result", "unknown_issuer"}}),
            1);
}

TEST_F(MetadataServiceTest, BuildsChallengesAndRefusesMalformedRequests) {
  v1::BuildChallengeRequest request;
  v1::BuildChallengeResponse response;
  request.set_kind(v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE);
  request.set_scheme(v1::PRESENTED_SCHEME_BEARER);
  request.add_operation_scopes("files:delete");
  ASSERT_TRUE(service_.BuildChallenge(nullptr, &request, &response).ok());
  EXPECT_EQ(response.http_status(), 403);
  EXPECT_EQ(response.error(), "insufficient_scope");
  EXPECT_THAT(
      response.www_authenticate(),
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:delete", error="insufficient_scope")"));
  EXPECT_EQ(Counter(registry_, "mcpauth_challenges_built_total", {{"kind", "insufficient_scope"}, {"status", "403"}}),
            1);

  v1::BuildChallengeRequest unspecified;
  EXPECT_EQ(service_.BuildChallenge(nullptr, &unspecified, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_resource("https://unknown.example.com/mcp");
  EXPECT_EQ(service_.BuildChallenge(nullptr, &request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(MetadataServiceTest, SnapshotIsSentUnlessTheCallerHasIt) {
  v1::GetMetadataSnapshotRequest request;
  v1::GetMetadataSnapshotResponse response;
  ASSERT_TRUE(service_.GetSnapshot(nullptr, &request, &response).ok());
  EXPECT_FALSE(response.unchanged());
  const std::string version = response.snapshot().version();
  EXPECT_EQ(version, service_.snapshot()->version);
  ASSERT_EQ(response.snapshot().documents_size(), 1);
  EXPECT_EQ(response.snapshot().documents(0).document_json(),
            service_.snapshot()->resources.documents()[0].document_json);

  request.set_known_version(version);
  response.Clear();
  ASSERT_TRUE(service_.GetSnapshot(nullptr, &request, &response).ok());
  EXPECT_TRUE(response.unchanged());
  EXPECT_FALSE(response.has_snapshot());

  // A replaced snapshot (a reload) is noticed by its version.
  SuiteConfig changed = config_;
  changed.metadata.resource_name = "Renamed";
  service_.ReplaceSnapshot(std::make_shared<const MetadataSnapshot>(SnapshotFromConfig(changed)));
  response.Clear();
  ASSERT_TRUE(service_.GetSnapshot(nullptr, &request, &response).ok());
  EXPECT_FALSE(response.unchanged());
  EXPECT_NE(response.snapshot().version(), version);
  EXPECT_EQ(Counter(registry_, "mcpauth_metadata_snapshots_served_total", {{"result", "full"}}), 2);
  EXPECT_EQ(Counter(registry_, "mcpauth_metadata_snapshots_served_total", {{"result", "unchanged"}}), 1);
}

// Over a real (in-process) gRPC channel: a stream gets the current snapshot, then
// each replacement, and ends when the caller cancels.
TEST_F(MetadataServiceTest, WatchersGetTheSnapshotThenEveryReplacement) {
  grpc::ServerBuilder builder;
  builder.RegisterService(&service_);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = v1::Metadata::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  const std::string original = service_.snapshot()->version;

  grpc::ClientContext fresh_context, current_context;
  for (grpc::ClientContext* c : {&fresh_context, &current_context}) {
    c->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  }
  v1::GetMetadataSnapshotRequest request;
  auto fresh = stub->WatchSnapshot(&fresh_context, request);
  v1::MetadataSnapshot received;
  ASSERT_TRUE(fresh->Read(&received));
  EXPECT_EQ(received.version(), original);
  ASSERT_EQ(received.documents_size(), 1);
  // A watcher that already holds the current version is sent nothing until it changes.
  request.set_known_version(original);
  auto current = stub->WatchSnapshot(&current_context, request);

  SuiteConfig changed = config_;
  changed.metadata.resource_name = "Renamed";
  service_.ReplaceSnapshot(std::make_shared<const MetadataSnapshot>(SnapshotFromConfig(changed)));
  for (auto* stream : {fresh.get(), current.get()}) {
    ASSERT_TRUE(stream->Read(&received));
    EXPECT_NE(received.version(), original);
    EXPECT_EQ(received.version(), service_.snapshot()->version);
    EXPECT_THAT(received.documents(0).document_json(), ::testing::HasSubstr(R"("resource_name":"Renamed")"));
  }

  for (grpc::ClientContext* c : {&fresh_context, &current_context}) c->TryCancel();
  EXPECT_FALSE(fresh->Read(&received));
  EXPECT_EQ(fresh->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_FALSE(current->Read(&received));
  EXPECT_EQ(current->Finish().error_code(), grpc::StatusCode::CANCELLED);
  server->Shutdown();
}

TEST(MetadataIssuers, KnownAndDiscoveredIssuersComeFromTheConfiguration) {
  SuiteConfig config = ParseSuiteConfig(YAML::Load(R"(
resource: https://mcp.example.com/mcp
authorization:
  authorization_servers: [https://as.example.com, https://idp.example.com]
jwt_validators:
  - issuer: https://idp.example.com
  - issuer: https://static.example.com
    jwks_uri: https://static.example.com/jwks
  - issuer: https://discovered.example.com
)"));
  EXPECT_THAT(KnownIssuers(config), ElementsAre("https://as.example.com", "https://idp.example.com",
                                                "https://static.example.com", "https://discovered.example.com"));
  EXPECT_THAT(IssuersToDiscover(config),
              ElementsAre("https://as.example.com", "https://idp.example.com", "https://discovered.example.com"));
}

}  // namespace
}  // namespace mcpauth::metadata
