// mcpauth-metadata as operators run it: the real binary and its YAML config, a
// real redis-server, and an authorization server on loopback that publishes RFC
// 8414 metadata for one issuer, only OpenID Connect discovery for another, and a
// document naming the wrong issuer for a third; a fourth issuer's server is down.
// The shared processes start once for the suite; every test leaves them as it
// found them.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <iostream>

#include "mcpauth/v1/metadata.grpc.pb.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/ports.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth::metadata {
namespace {

using test::Binary;
using test::ChildProcess;
using test::GrpcHealthServing;
using test::HttpReply;
using test::LogTail;
using test::LoopbackHttpServer;
using test::RedisServerProcess;
using test::TempDir;
using test::WaitFor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kFilesResource[] = "https://mcp.example.test/files";
// Kept exactly in documents; its URLs use the lower-cased host.
constexpr char kSearchResource[] = "https://MCP.example.test/tools/search/";
const absl::Duration kPollTimeout = absl::Seconds(20);
const absl::Duration kPollInterval = absl::Milliseconds(50);

// Paths on the test authorization server.
constexpr char kRfcMetadataPath[] = "/.well-known/oauth-authorization-server/rfc";
constexpr char kOidcMetadataPath[] = "/oidc/.well-known/openid-configuration";
// What discovery tries for the OIDC-only issuer before its OIDC document.
constexpr char kOidcRfc8414Path[] = "/.well-known/oauth-authorization-server/oidc";
constexpr char kOidcInsertedPath[] = "/.well-known/openid-configuration/oidc";
constexpr char kMixMetadataPath[] = "/.well-known/oauth-authorization-server/mix";

// One mcpauth-metadata process (the suite's shared config plus its metadata
// section) with a gRPC stub.
class MetadataProcess : public test::ServiceProcess {
 public:
  MetadataProcess(const TempDir& dir, const std::string& name, const std::string& shared_config)
      : ServiceProcess(dir, name, "mcpauth-metadata", shared_config, "metadata", "  resource_name: Test files\n") {}

  absl::Status Start() {
    absl::Status started = ServiceProcess::Start();
    if (started.ok()) stub_ = v1::Metadata::NewStub(channel());
    return started;
  }

  template <typename Request, typename Response, typename Method>
  grpc::Status Call(Method method, const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return ((*stub_).*method)(&context, request, response);
  }

  grpc::Status AuthorizationServer(const std::string& issuer, v1::GetAuthorizationServerMetadataResponse* response) {
    v1::GetAuthorizationServerMetadataRequest request;
    request.set_issuer(issuer);
    return Call(&v1::Metadata::Stub::GetAuthorizationServerMetadata, request, response);
  }

  double Metric(const std::string& sample) const { return ServiceProcess::Metric(sample).value_or(0); }

 private:
  std::unique_ptr<v1::Metadata::Stub> stub_;
};

class MetadataIntegrationTest : public ::testing::Test {
 protected:
  struct World {
    TempDir dir{"mcpauth-metadata-integration"};
    RedisServerProcess redis;
    LoopbackHttpServer as;
    std::string rfc_issuer, oidc_issuer, mix_issuer, down_issuer;
    std::string rfc_document, oidc_document;
    std::string shared_config;
    std::unique_ptr<MetadataProcess> service;
  };

  // The configuration every process shares, except the cache lifetime and Redis.
  // With `policy_file`, the required scopes come from there.
  static std::string SharedConfig(const World& w, int cache_ttl, bool with_redis, const std::string& policy_file = "") {
    // clang-format off
    return StrCat(
        "resource: ", kFilesResource, "\n",
        policy_file.empty() ? "" : StrCat("policy_file: ", policy_file, "\n"),
        "authorization:\n"
        "  authorization_servers: [", w.rfc_issuer, ", ", w.oidc_issuer, "]\n",
        policy_file.empty() ? "  required_scopes: [files:read]\n" : "",
        "  cache_ttl: ", cache_ttl, "\n"
        "  dpop_algorithms: [ES256]\n"
        "jwt_validators:\n"
        "  - issuer: ", w.mix_issuer, "\n"
        "  - issuer: ", w.down_issuer, "\n"
        "gateway:\n"
        "  routes:\n"
        "    - {path: /files, resource: \"", kFilesResource, "\", upstream: \"http://127.0.0.1:9/mcp\"}\n"
        "    - {path: /search, resource: \"", kSearchResource, "\", upstream: \"http://127.0.0.1:9/mcp\"}\n",
        with_redis ? StrCat("redis:\n"
                            "  url: ", w.redis.Url(), "\n"
                            "  connect_timeout: 0.2\n"
                            "  command_timeout: 0.2\n")
                   : std::string());
    // clang-format on
  }

  static void SetUpTestSuite() {
    world_ = new World;
    World& w = *world_;
    ASSERT_TRUE(w.as.Start().ok());
    w.rfc_issuer = w.as.Url("/rfc");
    w.oidc_issuer = w.as.Url("/oidc");
    w.mix_issuer = w.as.Url("/mix");
    w.down_issuer = StrCat("http://127.0.0.1:", test::PickFreePort(), "/down");  // nothing listens
    w.rfc_document = ToJson(boost::json::object{{"issuer", w.rfc_issuer},
                                                {"authorization_endpoint", w.as.Url("/rfc/authorize")},
                                                {"token_endpoint", w.as.Url("/rfc/token")},
                                                {"jwks_uri", w.as.Url("/rfc/jwks")}});
    w.oidc_document = ToJson(boost::json::object{{"issuer", w.oidc_issuer},
                                                 {"authorization_endpoint", w.as.Url("/oidc/auth")},
                                                 {"jwks_uri", w.as.Url("/oidc/certs")},
                                                 {"subject_types_supported", boost::json::array{"public"}}});
    w.as.SetResponse(kRfcMetadataPath, HttpReply{.body = w.rfc_document});
    w.as.SetResponse(kOidcMetadataPath,
                     HttpReply{.body = w.oidc_document, .headers = {{"Cache-Control", "public, max-age=120"}}});
    w.as.SetResponse(kMixMetadataPath,
                     HttpReply{.body = ToJson(boost::json::object{{"issuer", w.as.Url("/other")},
                                                                  {"jwks_uri", w.as.Url("/other/jwks")}})});
    absl::Status redis = w.redis.Start();
    ASSERT_TRUE(redis.ok()) << redis;
    w.shared_config = SharedConfig(w, 300, /*with_redis=*/true);
    auto service = std::make_unique<MetadataProcess>(w.dir, "metadata", w.shared_config);
    absl::Status started = service->Start();
    ASSERT_TRUE(started.ok()) << started;
    w.service = std::move(service);
  }

  static void TearDownTestSuite() {
    if (world_ != nullptr && world_->service) {
      EXPECT_EQ(world_->service->Stop(), 0) << LogTail(world_->service->LogText());
    }
    delete world_;
    world_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(world_ != nullptr && world_->service != nullptr) << "the suite's processes did not start";
  }

  void TearDown() override {
    if (HasFailure() && world_ != nullptr && world_->service != nullptr) {
      std::cerr << "--- metadata log (tail) ---\n" << LogTail(world_->service->LogText()) << "\n";
    }
  }

  static v1::GetAuthorizationServerMetadataResponse FoundAuthorizationServer(MetadataProcess& p,
                                                                             const std::string& issuer) {
    v1::GetAuthorizationServerMetadataResponse response;
    grpc::Status status = p.AuthorizationServer(issuer, &response);
    EXPECT_TRUE(status.ok()) << issuer << ": " << status.error_code() << " " << status.error_message();
    EXPECT_TRUE(response.found()) << issuer;
    return response;
  }

  static v1::GetProtectedResourceMetadataResponse Prm(const v1::GetProtectedResourceMetadataRequest& request) {
    v1::GetProtectedResourceMetadataResponse response;
    grpc::Status status = world_->service->Call(&v1::Metadata::Stub::GetProtectedResourceMetadata, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static v1::GetProtectedResourceMetadataResponse PrmByPath(const std::string& path) {
    v1::GetProtectedResourceMetadataRequest request;
    request.set_path(path);
    return Prm(request);
  }

  static v1::BuildChallengeResponse ChallengeOverGrpc(const v1::BuildChallengeRequest& request) {
    v1::BuildChallengeResponse response;
    grpc::Status status = world_->service->Call(&v1::Metadata::Stub::BuildChallenge, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static World* world_;
};

MetadataIntegrationTest::World* MetadataIntegrationTest::world_ = nullptr;

TEST_F(MetadataIntegrationTest, ServesHealth) {
  EXPECT_TRUE(GrpcHealthServing(world_->service->address()));
  EXPECT_TRUE(GrpcHealthServing(world_->service->address(), "mcpauth.v1.Metadata"));
}

TEST_F(MetadataIntegrationTest, DiscoversRfc8414AndOpenIdConnectIssuers) {
  World& w = *world_;
  v1::GetAuthorizationServerMetadataResponse rfc = FoundAuthorizationServer(*w.service, w.rfc_issuer);
  EXPECT_EQ(rfc.issuer(), w.rfc_issuer);
  EXPECT_EQ(rfc.document_json(), w.rfc_document);
  EXPECT_EQ(rfc.jwks_uri(), w.as.Url("/rfc/jwks"));
  EXPECT_EQ(rfc.source_url(), w.as.Url(kRfcMetadataPath));
  EXPECT_FALSE(rfc.stale());
  EXPECT_EQ(rfc.fresh_until() - rfc.fetched_at(), 300);  // cache_ttl

  v1::GetAuthorizationServerMetadataResponse oidc = FoundAuthorizationServer(*w.service, w.oidc_issuer);
  EXPECT_EQ(oidc.issuer(), w.oidc_issuer);
  EXPECT_EQ(oidc.document_json(), w.oidc_document);
  EXPECT_EQ(oidc.jwks_uri(), w.as.Url("/oidc/certs"));
  EXPECT_EQ(oidc.source_url(), w.as.Url(kOidcMetadataPath));
  EXPECT_EQ(oidc.fresh_until() - oidc.fetched_at(), 120);  // the server's shorter max-age
  // RFC 8414 (path-inserted) was asked first, then OIDC path-inserted, then appended.
  EXPECT_GE(w.as.RequestCount(kOidcRfc8414Path), 1);
  EXPECT_GE(w.as.RequestCount(kOidcInsertedPath), 1);
  EXPECT_GE(w.as.RequestCount(kRfcMetadataPath), 1);
  EXPECT_GE(w.as.RequestCount(kOidcMetadataPath), 1);

  EXPECT_GE(w.service->Metric(R"(mcpauth_discovery_fetches_total{result="success"})"), 2);
  EXPECT_GE(w.service->Metric(R"(mcpauth_metadata_authorization_server_requests_total{result="found"})"), 2);
}

TEST_F(MetadataIntegrationTest, RefusesAnIssuerMismatchAndUnknownIssuers) {
  World& w = *world_;
  v1::GetAuthorizationServerMetadataResponse response;
  grpc::Status mismatch = w.service->AuthorizationServer(w.mix_issuer, &response);
  EXPECT_EQ(mismatch.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(mismatch.error_message(), HasSubstr(StrCat("expected exactly \"", w.mix_issuer, "\"")));
  EXPECT_GE(w.as.RequestCount(kMixMetadataPath), 1);
  EXPECT_GE(w.service->Metric(R"(mcpauth_discovery_fetches_total{result="issuer_mismatch"})"), 1);
  // Nothing about it reaches the shared cache.
  EXPECT_EQ(w.redis.Command({"EXISTS", StrCat("mcpauth:v1:as-metadata:", w.mix_issuer)}).value_or("?"), "0");

  // An issuer the configuration does not name is not discovered at all.
  const int requests = w.as.TotalRequests();
  response.Clear();
  ASSERT_TRUE(w.service->AuthorizationServer(w.as.Url("/unknown"), &response).ok());
  EXPECT_FALSE(response.found());
  EXPECT_EQ(w.as.TotalRequests(), requests);
}

// The service came up although this issuer's server refuses connections; asking
// for it is a could-not-decide answer, and the failures are counted.
TEST_F(MetadataIntegrationTest, ADeadAuthorizationServerDoesNotBlockStartUp) {
  World& w = *world_;
  v1::GetAuthorizationServerMetadataResponse response;
  grpc::Status down = w.service->AuthorizationServer(w.down_issuer, &response);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.error_message(), HasSubstr(w.down_issuer));
  EXPECT_GE(w.service->Metric(R"(mcpauth_discovery_fetches_total{result="unavailable"})"), 1);
}

TEST_F(MetadataIntegrationTest, SecondProcessReadsTheCachedDocumentsFromRedis) {
  World& w = *world_;
  // Both documents are in Redis, under the suite's prefix, with an expiry.
  for (const std::string& issuer : {w.rfc_issuer, w.oidc_issuer}) {
    FoundAuthorizationServer(*w.service, issuer);
    const std::string key = StrCat("mcpauth:v1:as-metadata:", issuer);
    auto ttl = w.redis.Command({"PTTL", key});
    ASSERT_TRUE(ttl.ok()) << ttl.status();
    int64_t ms = 0;
    EXPECT_TRUE(ParseInt64(*ttl, ms) && ms > 0) << key << " has no expiry: " << *ttl;
  }
  const int rfc_fetches = w.as.RequestCount(kRfcMetadataPath);
  const int oidc_fetches = w.as.RequestCount(kOidcMetadataPath);
  const int oidc_probes = w.as.RequestCount(kOidcRfc8414Path) + w.as.RequestCount(kOidcInsertedPath);

  MetadataProcess replica(w.dir, "replica", w.shared_config);
  absl::Status started = replica.Start();
  ASSERT_TRUE(started.ok()) << started;
  v1::GetAuthorizationServerMetadataResponse rfc = FoundAuthorizationServer(replica, w.rfc_issuer);
  EXPECT_EQ(rfc.document_json(), w.rfc_document);
  EXPECT_EQ(rfc.source_url(), w.as.Url(kRfcMetadataPath));
  v1::GetAuthorizationServerMetadataResponse oidc = FoundAuthorizationServer(replica, w.oidc_issuer);
  EXPECT_EQ(oidc.document_json(), w.oidc_document);
  EXPECT_FALSE(oidc.stale());

  EXPECT_EQ(w.as.RequestCount(kRfcMetadataPath), rfc_fetches) << "the replica fetched RFC 8414 metadata itself";
  EXPECT_EQ(w.as.RequestCount(kOidcMetadataPath), oidc_fetches) << "the replica fetched OIDC metadata itself";
  EXPECT_EQ(w.as.RequestCount(kOidcRfc8414Path) + w.as.RequestCount(kOidcInsertedPath), oidc_probes);
  EXPECT_GE(replica.Metric(R"(mcpauth_cache_requests_total{cache="discovery",result="shared_hit"})"), 2);
  EXPECT_EQ(replica.Metric(R"(mcpauth_discovery_fetches_total{result="success"})"), 0);
  EXPECT_EQ(replica.Stop(), 0) << LogTail(replica.LogText());
}

TEST_F(MetadataIntegrationTest, ServesProtectedResourceMetadataByResourceAndPath) {
  v1::GetProtectedResourceMetadataRequest by_resource;
  by_resource.set_resource(kFilesResource);
  v1::GetProtectedResourceMetadataResponse files = Prm(by_resource);
  ASSERT_TRUE(files.found());
  EXPECT_EQ(files.document().resource(), kFilesResource);
  EXPECT_EQ(files.document().document_json(),
            StrCat(R"({"resource":"https://mcp.example.test/files","authorization_servers":[")", world_->rfc_issuer,
                   R"(",")", world_->oidc_issuer,
                   R"("],"scopes_supported":["files:read"],"bearer_methods_supported":["header"],)"
                   R"("resource_name":"Test files","dpop_signing_alg_values_supported":["ES256"],)"
                   R"("dpop_bound_access_tokens_required":false})"));
  EXPECT_EQ(files.document().metadata_url(), "https://mcp.example.test/.well-known/oauth-protected-resource/files");
  EXPECT_EQ(files.cache_control(), "public, max-age=300");
  EXPECT_THAT(files.document().well_known_paths(),
              ElementsAre("/.well-known/oauth-protected-resource/files", "/.well-known/oauth-protected-resource"));

  // The root path serves the first route's document.
  EXPECT_EQ(PrmByPath("/.well-known/oauth-protected-resource").document().document_json(),
            files.document().document_json());
  // Uppercase host and trailing slash: the resource as configured, the URL normalized,
  // served with and without the slash.
  for (const char* path :
       {"/.well-known/oauth-protected-resource/tools/search/", "/.well-known/oauth-protected-resource/tools/search"}) {
    v1::GetProtectedResourceMetadataResponse search = PrmByPath(path);
    ASSERT_TRUE(search.found()) << path;
    EXPECT_EQ(search.document().resource(), kSearchResource);
    EXPECT_EQ(boost::json::parse(search.document().document_json()).at("resource"), kSearchResource);
    EXPECT_EQ(search.document().metadata_url(),
              "https://mcp.example.test/.well-known/oauth-protected-resource/tools/search/");
  }
  EXPECT_FALSE(PrmByPath("/.well-known/oauth-protected-resource/nothing").found());
  EXPECT_GE(
      world_->service->Metric(StrCat(R"(mcpauth_metadata_documents_served_total{resource=")", kFilesResource, R"("})")),
      2);
  EXPECT_GE(world_->service->Metric("mcpauth_metadata_documents_not_found_total"), 1);
}

TEST_F(MetadataIntegrationTest, BuildsChallengesOverGrpc) {
  v1::BuildChallengeRequest no_token;
  no_token.set_kind(v1::CHALLENGE_KIND_NO_TOKEN);
  no_token.set_protocol_version("2025-11-25");
  v1::BuildChallengeResponse r = ChallengeOverGrpc(no_token);
  EXPECT_EQ(r.http_status(), 401);
  EXPECT_THAT(
      r.www_authenticate(),
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/files", scope="files:read")",
          R"(DPoP algs="ES256", resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/files", scope="files:read")"));

  v1::BuildChallengeRequest insufficient;
  insufficient.set_kind(v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE);
  insufficient.set_resource(kSearchResource);
  insufficient.set_scheme(v1::PRESENTED_SCHEME_BEARER);
  insufficient.add_operation_scopes("search:run");
  insufficient.set_protocol_version("2025-11-25");
  r = ChallengeOverGrpc(insufficient);
  EXPECT_EQ(r.http_status(), 403);
  EXPECT_EQ(r.error(), "insufficient_scope");
  EXPECT_THAT(
      r.www_authenticate(),
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/tools/search/", scope="files:read search:run", error="insufficient_scope")",
          R"(DPoP algs="ES256", resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/tools/search/", scope="files:read search:run")"));
  // An older client: no scope, no step-up.
  insufficient.set_protocol_version("2025-06-18");
  r = ChallengeOverGrpc(insufficient);
  EXPECT_EQ(r.http_status(), 401);
  EXPECT_EQ(r.error(), "invalid_token");

  v1::BuildChallengeRequest nonce;
  nonce.set_kind(v1::CHALLENGE_KIND_USE_DPOP_NONCE);
  nonce.set_scheme(v1::PRESENTED_SCHEME_DPOP);
  nonce.set_dpop_nonce("nonce-1");
  r = ChallengeOverGrpc(nonce);
  EXPECT_EQ(r.http_status(), 401);
  EXPECT_EQ(r.dpop_nonce(), "nonce-1");
  EXPECT_THAT(
      r.www_authenticate(),
      ElementsAre(
          R"(DPoP algs="ES256", resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/files", error="use_dpop_nonce")"));

  v1::BuildChallengeResponse ignored;
  v1::BuildChallengeRequest unspecified;
  EXPECT_EQ(world_->service->Call(&v1::Metadata::Stub::BuildChallenge, unspecified, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_GE(world_->service->Metric(R"(mcpauth_challenges_built_total{kind="no_token",status="401"})"), 1);
  EXPECT_GE(world_->service->Metric(R"(mcpauth_challenges_built_total{kind="insufficient_scope",status="403"})"), 1);
  EXPECT_GE(world_->service->Metric(R"(mcpauth_challenges_built_total{kind="insufficient_scope",status="401"})"), 1);
}

// A backend that keeps the snapshot: what it gets is what the service serves.
TEST_F(MetadataIntegrationTest, SnapshotHoldsWhatTheServiceServes) {
  v1::GetMetadataSnapshotRequest request;
  v1::GetMetadataSnapshotResponse response;
  ASSERT_TRUE(world_->service->Call(&v1::Metadata::Stub::GetSnapshot, request, &response).ok());
  ASSERT_FALSE(response.unchanged());
  ASSERT_EQ(response.snapshot().documents_size(), 2);
  EXPECT_EQ(response.snapshot().default_resource(), kFilesResource);
  EXPECT_EQ(response.snapshot().documents(0).document_json(),
            PrmByPath("/.well-known/oauth-protected-resource").document().document_json());
  EXPECT_THAT(response.snapshot().challenge().required_scopes(), ElementsAre("files:read"));

  const std::string version = response.snapshot().version();
  request.set_known_version(version);
  response.Clear();
  ASSERT_TRUE(world_->service->Call(&v1::Metadata::Stub::GetSnapshot, request, &response).ok());
  EXPECT_TRUE(response.unchanged());
  EXPECT_FALSE(response.has_snapshot());

  // Watching: the current snapshot comes at once; the stream stays open for more.
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto stub =
      v1::Metadata::NewStub(grpc::CreateChannel(world_->service->address(), grpc::InsecureChannelCredentials()));
  auto stream = stub->WatchSnapshot(&context, v1::GetMetadataSnapshotRequest());
  v1::MetadataSnapshot watched;
  ASSERT_TRUE(stream->Read(&watched));
  EXPECT_EQ(watched.version(), version);
  EXPECT_EQ(watched.documents_size(), 2);
  context.TryCancel();
  EXPECT_FALSE(stream->Read(&watched));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// A process with a one-second cache lifetime (and no Redis) keeps answering with
// the last good document while the authorization server is down, says it is
// stale, and recovers when the server does.
TEST_F(MetadataIntegrationTest, ServesStaleMetadataWhileRefreshesFail) {
  World& w = *world_;
  MetadataProcess shortlived(w.dir, "short-ttl", SharedConfig(w, 1, /*with_redis=*/false));
  absl::Status started = shortlived.Start();
  ASSERT_TRUE(started.ok()) << started;
  FoundAuthorizationServer(shortlived, w.rfc_issuer);

  w.as.Stop();
  v1::GetAuthorizationServerMetadataResponse response;
  EXPECT_TRUE(WaitFor(
      [&] {
        response.Clear();
        EXPECT_TRUE(shortlived.AuthorizationServer(w.rfc_issuer, &response).ok());
        return response.stale();
      },
      kPollTimeout, kPollInterval));
  EXPECT_TRUE(response.found());
  EXPECT_EQ(response.document_json(), w.rfc_document);
  EXPECT_GE(shortlived.Metric(R"(mcpauth_discovery_fetches_total{result="unavailable"})"), 1);

  ASSERT_TRUE(w.as.Start().ok());
  EXPECT_TRUE(WaitFor(
      [&] {
        response.Clear();
        return shortlived.AuthorizationServer(w.rfc_issuer, &response).ok() && !response.stale();
      },
      kPollTimeout, kPollInterval));
  EXPECT_EQ(shortlived.Stop(), 0) << LogTail(shortlived.LogText());
}

// With policy_file (relative: next to the configuration file), the server-level
// scopes are those scope-policy has in force, followed on its WatchPolicy stream
// (metadata never reads the file): challenges and documents change when the
// file's required scopes do, and watchers are sent each change.
TEST_F(MetadataIntegrationTest, FollowsScopePolicysRequiredScopes) {
  World& w = *world_;
  const std::string policy = w.dir.File("policy.yaml");
  ASSERT_TRUE(test::WriteFile(policy, "authorization:\n  required_scopes: [mcp:use]\n"));
  const std::string shared = SharedConfig(w, 300, /*with_redis=*/false, "policy.yaml");
  test::ServiceProcess scope_policy(w.dir, "policy-owner", "mcpauth-scope-policy", shared, "scope_policy");
  absl::Status started = scope_policy.Start();
  ASSERT_TRUE(started.ok()) << started;
  MetadataProcess instance(w.dir, "policy-follower",
                           StrCat(shared, "scope_policy:\n  address: ", scope_policy.address(), "\n"));
  started = instance.Start();
  ASSERT_TRUE(started.ok()) << started;

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kPollTimeout));
  auto stub = v1::Metadata::NewStub(grpc::CreateChannel(instance.address(), grpc::InsecureChannelCredentials()));
  auto stream = stub->WatchSnapshot(&context, v1::GetMetadataSnapshotRequest());
  v1::MetadataSnapshot watched;
  ASSERT_TRUE(stream->Read(&watched));
  EXPECT_THAT(watched.challenge().required_scopes(), ElementsAre("mcp:use"));
  EXPECT_THAT(watched.documents(0).document_json(), HasSubstr(R"("scopes_supported":["mcp:use"])"));

  ASSERT_TRUE(test::WriteFile(policy, "authorization:\n  required_scopes: [mcp:use, files:read]\n"));
  ASSERT_TRUE(stream->Read(&watched)) << LogTail(instance.LogText());
  EXPECT_THAT(watched.challenge().required_scopes(), ElementsAre("mcp:use", "files:read"));
  EXPECT_THAT(watched.documents(0).document_json(), HasSubstr(R"("scopes_supported":["mcp:use","files:read"])"));

  v1::BuildChallengeRequest no_token;
  no_token.set_kind(v1::CHALLENGE_KIND_NO_TOKEN);
  no_token.set_protocol_version("2025-11-25");
  v1::BuildChallengeResponse challenge;
  ASSERT_TRUE(instance.Call(&v1::Metadata::Stub::BuildChallenge, no_token, &challenge).ok());
  EXPECT_THAT(challenge.www_authenticate(0), HasSubstr(R"(scope="mcp:use files:read")"));
  EXPECT_GE(instance.Metric(R"(mcpauth_metadata_policy_reloads_total{result="success"})"), 1);

  context.TryCancel();
  EXPECT_FALSE(stream->Read(&watched));
  EXPECT_EQ(instance.Stop(), 0) << LogTail(instance.LogText());
  EXPECT_EQ(scope_policy.Stop(), 0) << LogTail(scope_policy.LogText());
}

TEST_F(MetadataIntegrationTest, SigtermShutsDownGracefully) {
  World& w = *world_;
  MetadataProcess instance(w.dir, "sigterm", w.shared_config);
  absl::Status started = instance.Start();
  ASSERT_TRUE(started.ok()) << started;
  // A watching gateway does not keep it from stopping: its stream is ended as
  // shutdown begins (the gateway reconnects to another replica).
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  auto stub = v1::Metadata::NewStub(grpc::CreateChannel(instance.address(), grpc::InsecureChannelCredentials()));
  auto stream = stub->WatchSnapshot(&context, v1::GetMetadataSnapshotRequest());
  v1::MetadataSnapshot watched;
  ASSERT_TRUE(stream->Read(&watched));

  ASSERT_TRUE(instance.process()->Signal(SIGTERM));
  EXPECT_EQ(instance.process()->WaitForExit(absl::Seconds(15)), 0) << LogTail(instance.LogText());
  EXPECT_FALSE(stream->Read(&watched));
  (void)stream->Finish();
  EXPECT_THAT(instance.LogText(), HasSubstr(R"("msg":"stopped")"));
  EXPECT_FALSE(GrpcHealthServing(instance.address(), "", absl::Milliseconds(300)));
}

TEST_F(MetadataIntegrationTest, BadConfigExitsWithCode2AndOneLineNamingTheKey) {
  World& w = *world_;
  struct Case {
    std::string yaml, expected;
  };
  for (const Case& c : {Case{"resource: https://mcp.example.test/mcp\nauthorization: {dpop_algorithms: [HS256]}\n",
                             "authorization.dpop_algorithms[0]: \"HS256\" is not asymmetric"},
                        Case{"authorization: {required_scopes: [a]}\n", "resource:"}}) {
    const std::string config = w.dir.File("bad.yaml");
    ASSERT_TRUE(test::WriteFile(config, c.yaml));
    auto process = ChildProcess::Start({.argv = {Binary("mcpauth-metadata"), "--config", config},
                                        .log_path = w.dir.File("bad.log"),
                                        .stderr_path = w.dir.File("bad.stderr")});
    ASSERT_TRUE(process.ok()) << process.status();
    EXPECT_EQ((*process)->WaitForExit(absl::Seconds(15)), 2);
    const std::string stderr_text = (*process)->StderrText();
    const std::vector<std::string_view> lines = SplitSkipEmpty(stderr_text, '\n');
    ASSERT_EQ(lines.size(), 1u) << stderr_text;
    EXPECT_THAT(std::string(lines[0]), HasSubstr(c.expected));
  }
}

}  // namespace
}  // namespace mcpauth::metadata
