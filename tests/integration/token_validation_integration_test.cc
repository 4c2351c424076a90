// mcpauth-token-validation as operators run it: the real binary and its YAML
// config, a real redis-server, and the authorization server's JWKS served on
// loopback. The shared processes start once for the suite; every test leaves them
// as it found them (all running, every key it published still published).
//
// Tokens are signed here with the JOSE library (ES256) and, in the CLI test, by
// the `mcpauth` binary; the service under test only ever sees the public keys.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <map>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "mcpauth/v1/token_validation.grpc.pb.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/keygen.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth::tv {
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
using ::testing::Not;

constexpr char kIssuer[] = "https://issuer.example.test";
constexpr char kResource[] = "https://mcp.example.test/mcp";
constexpr char kJwksPath[] = "/jwks.json";
// Bound on waiting for something another process does (a refetch, a reconnect).
const absl::Duration kPollTimeout = absl::Seconds(20);
const absl::Duration kPollInterval = absl::Milliseconds(50);

// A signing key of the test's authorization server.
struct SigningKey {
  std::string kid;
  boost::json::object private_json;
  std::shared_ptr<const Jwk> jwk;

  static SigningKey Generate(const std::string& kid) {
    auto json = GeneratePrivateJwk(*FindAlg("ES256"), kid);
    if (!json.ok()) throw std::runtime_error(std::string(json.status().message()));
    auto jwk = Jwk::Parse(*json, JwkPrivacy::kAllowPrivate);
    if (!jwk.ok()) throw std::runtime_error(std::string(jwk.status().message()));
    return SigningKey{kid, *json, std::make_shared<const Jwk>(std::move(*jwk))};
  }
};

// A fresh kid each call, so repeated runs (--gtest_repeat) publish new keys.
std::string UniqueKid(std::string_view prefix) {
  static std::atomic<int> counter = 0;
  return StrCat(prefix, "-", ++counter);
}

struct TokenSpec {
  std::string audience = kResource;
  std::string subject = "user-123";
  std::string scope = "files:read files:write";
  int64_t ttl_seconds = 600;
};

struct Minted {
  std::string token;
  std::string payload;  // the claims JSON exactly as signed
  std::string jti;
  int64_t exp = 0;
};

// Every token gets its own jti, so no two are ever the same string (and the
// service's token cache cannot answer for a token it has not verified).
Minted Mint(const SigningKey& key, const TokenSpec& spec = {}) {
  static std::atomic<int> counter = 0;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  Minted m;
  m.jti = StrCat("jti-", ++counter);
  m.exp = now + spec.ttl_seconds;
  m.payload = ToJson(boost::json::object{{"iss", kIssuer},
                                         {"sub", spec.subject},
                                         {"aud", spec.audience},
                                         {"iat", now},
                                         {"nbf", now},
                                         {"exp", m.exp},
                                         {"jti", m.jti},
                                         {"scope", spec.scope},
                                         {"client_id", "test-client"},
                                         {"tenant", "acme"}});
  auto token = SignCompact(*FindAlg("ES256"), *key.jwk, boost::json::object{{"typ", "at+jwt"}}, m.payload);
  if (!token.ok()) throw std::runtime_error(std::string(token.status().message()));
  m.token = std::move(*token);
  return m;
}

// One mcpauth-token-validation process (the suite's shared config plus its
// token_validation section) with a gRPC stub.
class TokenValidationProcess : public test::ServiceProcess {
 public:
  TokenValidationProcess(const TempDir& dir, const std::string& name, const std::string& shared_config)
      : ServiceProcess(dir, name, "mcpauth-token-validation", shared_config, "token_validation",
                       "  unknown_kid_refetch_interval: 0.2\n"
                       "  fetch_timeout: 2\n") {}

  absl::Status Start() {
    absl::Status started = ServiceProcess::Start();
    if (started.ok()) stub_ = v1::TokenValidation::NewStub(channel());
    return started;
  }

  grpc::Status Validate(const std::string& token, v1::ValidateResponse* response,
                        const std::string& resource = "") {
    v1::ValidateRequest request;
    request.set_token(token);
    request.set_resource(resource);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return stub_->Validate(&context, request, response);
  }

 private:
  std::unique_ptr<v1::TokenValidation::Stub> stub_;
};

std::string SharedConfig(const std::string& jwks_uri, const std::string& redis_url) {
  // clang-format off
  return StrCat(
      "resource: ", kResource, "\n"
      "jwt_validators:\n"
      "  - issuer: ", kIssuer, "\n"
      "    jwks_uri: ", jwks_uri, "\n"
      "    algorithms: [ES256]\n"
      "redis:\n"
      "  url: ", redis_url, "\n"
      "  connect_timeout: 0.2\n"
      "  command_timeout: 0.2\n");
  // clang-format on
}

class TokenValidationIntegrationTest : public ::testing::Test {
 protected:
  // Everything the tests share, started once.
  struct World {
    TempDir dir{"mcpauth-tv-integration"};
    SigningKey key = SigningKey::Generate("key-1");
    SigningKey unpublished = SigningKey::Generate("never-published");
    std::vector<boost::json::object> published;  // the JWKS being served
    RedisServerProcess redis;
    LoopbackHttpServer jwks;
    std::string shared_config;
    std::unique_ptr<TokenValidationProcess> service;
  };

  static void SetUpTestSuite() {
    world_ = new World;
    World& w = *world_;
    Publish(w.key);
    ASSERT_TRUE(w.jwks.Start().ok());
    absl::Status redis = w.redis.Start();
    ASSERT_TRUE(redis.ok()) << redis;
    w.shared_config = SharedConfig(w.jwks.Url(kJwksPath), w.redis.Url());
    auto service = std::make_unique<TokenValidationProcess>(w.dir, "token-validation", w.shared_config);
    absl::Status started = service->Start();
    ASSERT_TRUE(started.ok()) << started;
    w.service = std::move(service);
  }

  static void TearDownTestSuite() {
    if (world_ != nullptr && world_->service) {
      EXPECT_EQ(world_->service->Stop(), 0) << LogTail(world_->service->LogText());
    }
    delete world_;  // stops Redis and the JWKS server
    world_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(world_ != nullptr && world_->service != nullptr) << "the suite's processes did not start";
  }

  void TearDown() override {
    if (HasFailure() && world_ != nullptr && world_->service != nullptr) {
      std::cerr << "--- token-validation log (tail) ---\n" << LogTail(world_->service->LogText()) << "\n";
    }
  }

  // Adds `key`'s public half to the key set the JWKS endpoint serves.
  static void Publish(const SigningKey& key) {
    World& w = *world_;
    w.published.push_back(key.jwk->PublicJson());
    boost::json::array keys(w.published.begin(), w.published.end());
    w.jwks.SetResponse(kJwksPath, HttpReply{.body = ToJson(boost::json::object{{"keys", keys}}),
                                            .headers = {{"Cache-Control", "public, max-age=300"}}});
  }

  // Validates on the suite's service, expecting an OK status.
  static v1::ValidateResponse Validate(const std::string& token, const std::string& resource = "") {
    v1::ValidateResponse response;
    grpc::Status status = world_->service->Validate(token, &response, resource);
    EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    return response;
  }

  static double MetricOrZero(const TokenValidationProcess& p, const std::string& sample) {
    return p.Metric(sample).value_or(0);
  }

  static World* world_;
};

TokenValidationIntegrationTest::World* TokenValidationIntegrationTest::world_ = nullptr;

TEST_F(TokenValidationIntegrationTest, ValidatesTokensOverGrpc) {
  World& w = *world_;
  EXPECT_TRUE(GrpcHealthServing(w.service->address()));
  EXPECT_TRUE(GrpcHealthServing(w.service->address(), "mcpauth.v1.TokenValidation"));

  const Minted good = Mint(w.key);
  v1::ValidateResponse r = Validate(good.token);
  EXPECT_TRUE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_OK);
  EXPECT_EQ(r.error(), "");
  EXPECT_FALSE(r.cached());
  const v1::Principal& p = r.principal();
  EXPECT_EQ(p.subject(), "user-123");
  EXPECT_THAT(p.scopes(), ElementsAre("files:read", "files:write"));
  EXPECT_EQ(p.issuer(), kIssuer);
  EXPECT_THAT(p.audiences(), ElementsAre(kResource));
  EXPECT_EQ(p.client_id(), "test-client");
  EXPECT_EQ(p.token_id(), good.jti);
  EXPECT_EQ(p.expires_at(), good.exp);
  EXPECT_EQ(p.claims_json(), good.payload);

  // The same token again is answered from the token cache, with the same principal.
  r = Validate(good.token);
  EXPECT_TRUE(r.valid());
  EXPECT_TRUE(r.cached());
  EXPECT_EQ(r.principal().claims_json(), good.payload);
  // Presented to the resource it was issued for (explicitly), and to another one.
  EXPECT_TRUE(Validate(good.token, kResource).valid());
  r = Validate(good.token, "https://other.example.test/mcp");
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_AUDIENCE_MISMATCH);

  r = Validate(Mint(w.key, {.audience = "https://other.example.test/mcp"}).token);
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_AUDIENCE_MISMATCH);
  EXPECT_EQ(r.error(), "invalid_token");
  EXPECT_FALSE(r.has_principal());

  r = Validate("this is not a JWT");
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_JWT_MALFORMED);
  EXPECT_EQ(r.error(), "invalid_token");

  r = Validate(Mint(w.key, {.ttl_seconds = -3600}).token);
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_EXPIRED);

  // One signature character changed (still canonical base64url: 'A' and 'B'
  // differ in their high bits only).
  std::string tampered = Mint(w.key).token;
  char& c = tampered[tampered.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  r = Validate(tampered);
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_SIGNATURE_INVALID);

  EXPECT_GE(MetricOrZero(*w.service, R"(mcpauth_token_validations_total{reason="ok",result="valid"})"), 1);
  EXPECT_GE(MetricOrZero(*w.service,
                         R"(mcpauth_token_validations_total{reason="audience_mismatch",result="invalid"})"),
            2);
}

TEST_F(TokenValidationIntegrationTest, RotatedKeyIsFetchedOnUnknownKid) {
  World& w = *world_;
  const std::string refetched = R"(mcpauth_jwks_unknown_kid_total{outcome="refetched"})";
  const std::string found = R"(mcpauth_jwks_unknown_kid_total{outcome="found_after_refetch"})";
  const double refetched_before = MetricOrZero(*w.service, refetched);
  const double found_before = MetricOrZero(*w.service, found);
  const int fetches_before = w.jwks.RequestCount(kJwksPath);

  // The authorization server rotates: the set now holds a new key besides the old.
  const SigningKey rotated = SigningKey::Generate(UniqueKid("rotated"));
  Publish(rotated);
  const Minted token = Mint(rotated);
  // The first attempt may fall inside the refetch interval (debounced, KID_UNKNOWN).
  v1::ValidateResponse r;
  EXPECT_TRUE(WaitFor(
      [&] {
        r = Validate(token.token);
        EXPECT_TRUE(r.valid() || r.reason() == v1::REASON_KID_UNKNOWN) << r.reason();
        return r.valid();
      },
      kPollTimeout, kPollInterval))
      << "last reason: " << v1::Reason_Name(r.reason());
  EXPECT_EQ(r.principal().subject(), "user-123");
  EXPECT_GT(w.jwks.RequestCount(kJwksPath), fetches_before);
  EXPECT_GE(MetricOrZero(*w.service, refetched), refetched_before + 1);
  EXPECT_GE(MetricOrZero(*w.service, found), found_before + 1);

  // The old key still works, and a kid the set never held stays unknown after a refetch.
  EXPECT_TRUE(Validate(Mint(w.key).token).valid());
  r = Validate(Mint(w.unpublished).token);
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_KID_UNKNOWN);
}

TEST_F(TokenValidationIntegrationTest, CachedKeysKeepWorkingWhileJwksServerIsDown) {
  World& w = *world_;
  ASSERT_TRUE(Validate(Mint(w.key).token).valid());  // the key set is loaded

  w.jwks.Stop();
  for (int i = 0; i < 3; ++i) {
    // Fresh tokens: verified with the cached key, not answered by the token cache.
    v1::ValidateResponse r = Validate(Mint(w.key, {.subject = StrCat("user-", i)}).token);
    EXPECT_TRUE(r.valid()) << v1::Reason_Name(r.reason());
    EXPECT_FALSE(r.cached());
    EXPECT_EQ(r.principal().subject(), StrCat("user-", i));
  }
  // An unknown kid cannot be refetched now; the answer is still definite.
  v1::ValidateResponse r = Validate(Mint(w.unpublished).token);
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_KID_UNKNOWN);
  r = Validate(Mint(w.key, {.audience = "https://other.example.test/mcp"}).token);
  EXPECT_EQ(r.reason(), v1::REASON_AUDIENCE_MISMATCH);

  ASSERT_TRUE(w.jwks.Start().ok());
}

TEST_F(TokenValidationIntegrationTest, KeepsAnsweringThroughARedisOutage) {
  World& w = *world_;
  const std::string redis_up = "mcpauth_redis_up";
  ASSERT_TRUE(w.redis.Running());
  ASSERT_TRUE(WaitFor([&] { return w.service->Metric(redis_up) == 1.0; }, kPollTimeout, kPollInterval));
  const double reconnects_before = MetricOrZero(*w.service, "mcpauth_redis_reconnects_total");

  w.redis.Stop();
  // Validation that needs no cache refresh never touches Redis.
  EXPECT_TRUE(Validate(Mint(w.key).token).valid());
  // An unknown kid makes the key cache consult Redis (after the refetch
  // interval); that command fails and the gauge drops.
  const Minted unknown_kid = Mint(w.unpublished);
  EXPECT_TRUE(WaitFor(
      [&] {
        v1::ValidateResponse r = Validate(unknown_kid.token);
        EXPECT_EQ(r.reason(), v1::REASON_KID_UNKNOWN);
        return w.service->Metric(redis_up) == 0.0;
      },
      kPollTimeout, kPollInterval));

  // Still deciding correctly while Redis is down, including a key rotation
  // (fetched from the source; the shared cache is skipped).
  v1::ValidateResponse r = Validate(Mint(w.key).token);
  EXPECT_TRUE(r.valid()) << v1::Reason_Name(r.reason());
  r = Validate(Mint(w.key, {.audience = "https://other.example.test/mcp"}).token);
  EXPECT_EQ(r.reason(), v1::REASON_AUDIENCE_MISMATCH);
  EXPECT_EQ(Validate("garbage").reason(), v1::REASON_JWT_MALFORMED);
  const SigningKey rotated = SigningKey::Generate(UniqueKid("rotated-during-outage"));
  Publish(rotated);
  const Minted rotated_token = Mint(rotated);
  EXPECT_TRUE(WaitFor([&] { return Validate(rotated_token.token).valid(); }, kPollTimeout, kPollInterval));
  EXPECT_EQ(w.service->Metric(redis_up), 0.0);

  // Redis comes back on the same port: the next command after the backoff reconnects.
  ASSERT_TRUE(w.redis.Start().ok());
  EXPECT_TRUE(WaitFor(
      [&] {
        EXPECT_EQ(Validate(unknown_kid.token).reason(), v1::REASON_KID_UNKNOWN);
        return w.service->Metric(redis_up) == 1.0;
      },
      kPollTimeout, absl::Milliseconds(100)));
  EXPECT_GE(MetricOrZero(*w.service, "mcpauth_redis_reconnects_total"), reconnects_before + 1);
  EXPECT_TRUE(Validate(Mint(rotated).token).valid());
}

TEST_F(TokenValidationIntegrationTest, SecondReplicaReadsKeySetFromRedis) {
  World& w = *world_;
  ASSERT_TRUE(w.redis.Ping());
  // The first replica writes the key set to Redis whenever it loads it from the
  // source; make it load once if Redis does not hold it (e.g. Redis restarted).
  const Minted unknown_kid = Mint(w.unpublished);
  auto stored_keys = [&] { return w.redis.Command({"KEYS", "mcpauth:v1:jwks:*"}).value_or(""); };
  ASSERT_TRUE(WaitFor(
      [&] {
        if (!stored_keys().empty()) return true;
        Validate(unknown_kid.token);
        return false;
      },
      kPollTimeout, kPollInterval));
  const std::string keys = stored_keys();
  for (std::string_view key : SplitSkipEmpty(keys, '\n')) {
    auto ttl = w.redis.Command({"PTTL", std::string(key)});
    ASSERT_TRUE(ttl.ok());
    int64_t ms = 0;
    EXPECT_TRUE(ParseInt64(*ttl, ms) && ms > 0) << key << " has no expiry: " << *ttl;
  }

  const int fetches_before = w.jwks.RequestCount(kJwksPath);
  TokenValidationProcess replica(w.dir, "replica", w.shared_config);
  absl::Status started = replica.Start();
  ASSERT_TRUE(started.ok()) << started;
  v1::ValidateResponse r;
  grpc::Status status = replica.Validate(Mint(w.key, {.subject = "replica-user"}).token, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(r.valid()) << v1::Reason_Name(r.reason()) << "\n" << LogTail(replica.LogText());
  EXPECT_FALSE(r.cached());
  EXPECT_EQ(r.principal().subject(), "replica-user");

  EXPECT_EQ(w.jwks.RequestCount(kJwksPath), fetches_before) << "the replica fetched the JWKS itself";
  EXPECT_GE(MetricOrZero(replica, R"(mcpauth_cache_requests_total{cache="jwks",result="shared_hit"})"), 1);
  EXPECT_THAT(test::HttpGetBody(replica.metrics_url()).value_or("unreadable"),
              Not(HasSubstr("mcpauth_jwks_fetches_total{")));
  EXPECT_EQ(replica.Stop(), 0);
}

TEST_F(TokenValidationIntegrationTest, SigtermShutsDownGracefully) {
  World& w = *world_;
  TokenValidationProcess instance(w.dir, "sigterm", w.shared_config);
  absl::Status started = instance.Start();
  ASSERT_TRUE(started.ok()) << started;
  v1::ValidateResponse r;
  ASSERT_TRUE(instance.Validate(Mint(w.key).token, &r).ok());
  EXPECT_TRUE(r.valid());

  ASSERT_TRUE(instance.process()->Signal(SIGTERM));
  EXPECT_EQ(instance.process()->WaitForExit(absl::Seconds(15)), 0) << LogTail(instance.LogText());
  EXPECT_THAT(instance.LogText(), HasSubstr(R"("msg":"stopped")"));
  EXPECT_FALSE(GrpcHealthServing(instance.address(), "", absl::Milliseconds(300)));
}

// ValidateStream over a real connection: several items in one message, answered by
// id; at SIGTERM the open stream ends with UNAVAILABLE (move to another replica)
// instead of holding the process until the grace period ends.
TEST_F(TokenValidationIntegrationTest, ValidateStreamAnswersByIdAndEndsAtSigterm) {
  World& w = *world_;
  TokenValidationProcess instance(w.dir, "stream", w.shared_config);
  absl::Status started = instance.Start();
  ASSERT_TRUE(started.ok()) << started;
  auto stub = v1::TokenValidation::NewStub(grpc::CreateChannel(instance.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto stream = stub->ValidateStream(&context);
  v1::ValidateStreamRequest message;
  for (const auto& [id, token] : {std::pair<uint64_t, std::string>{41, Mint(w.key).token}, {42, "not-a-token"}}) {
    v1::ValidateStreamItem* item = message.add_items();
    item->set_id(id);
    item->mutable_request()->set_token(token);
  }
  ASSERT_TRUE(stream->Write(message));
  std::map<uint64_t, v1::ValidateResponse> answers;
  v1::ValidateStreamResponse reply;
  while (answers.size() < 2 && stream->Read(&reply)) {
    for (const auto& answer : reply.answers()) answers[answer.id()] = answer.response();
  }
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_TRUE(answers[41].valid());
  EXPECT_EQ(answers[41].principal().subject(), "user-123");
  EXPECT_EQ(answers[42].reason(), v1::REASON_JWT_MALFORMED);

  ASSERT_TRUE(instance.process()->Signal(SIGTERM));
  EXPECT_FALSE(stream->Read(&reply));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
  EXPECT_EQ(instance.process()->WaitForExit(absl::Seconds(15)), 0) << LogTail(instance.LogText());
}

TEST_F(TokenValidationIntegrationTest, BadConfigExitsWithCode2AndOneLineNamingTheKey) {
  World& w = *world_;
  const std::string config = w.dir.File("bad.yaml");
  ASSERT_TRUE(test::WriteFile(config, "authorization: {cache_tll: 5}\n"));
  auto process = ChildProcess::Start({.argv = {Binary("mcpauth-token-validation"), "--config", config},
                                      .log_path = w.dir.File("bad.log"),
                                      .stderr_path = w.dir.File("bad.stderr")});
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->WaitForExit(absl::Seconds(15)), 2);
  const std::string stderr_text = (*process)->StderrText();
  const std::vector<std::string_view> lines = SplitSkipEmpty(stderr_text, '\n');
  ASSERT_EQ(lines.size(), 1u) << stderr_text;
  EXPECT_THAT(std::string(lines[0]), HasSubstr("authorization.cache_tll: unknown key"));
}

TEST_F(TokenValidationIntegrationTest, MissingConfigFlagExitsWithCode2) {
  World& w = *world_;
  auto process = ChildProcess::Start({.argv = {Binary("mcpauth-token-validation")},
                                      .log_path = w.dir.File("noconfig.log"),
                                      .stderr_path = w.dir.File("noconfig.stderr")});
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->WaitForExit(absl::Seconds(15)), 2);
  EXPECT_THAT((*process)->StderrText(), HasSubstr("--config"));
}

// The CLI mints with its own code path and asks the running service.
TEST_F(TokenValidationIntegrationTest, CliMintsAndValidatesAgainstTheService) {
  World& w = *world_;
  const std::string key_file = w.dir.File("key-1.json");
  ASSERT_TRUE(test::WriteFile(key_file, ToJson(w.key.private_json)));
  auto run_cli = [&](std::vector<std::string> args, const std::string& name) -> std::pair<int, std::string> {
    args.insert(args.begin(), Binary("mcpauth"));
    auto process = ChildProcess::Start({.argv = std::move(args),
                                        .log_path = w.dir.File(name + ".out"),
                                        .stderr_path = w.dir.File(name + ".err")});
    if (!process.ok()) return {-1, std::string(process.status().message())};
    const int status = (*process)->WaitForExit(absl::Seconds(15)).value_or(-1);
    return {status, (*process)->LogText()};
  };

  auto [mint_status, token] = run_cli({"token", "mint", "--key", key_file, "--iss", kIssuer, "--aud",
                                       kResource, "--sub", "cli-user", "--scope", "a b", "--ttl", "300"},
                                      "mint");
  ASSERT_EQ(mint_status, 0) << token;
  token = std::string(TrimAsciiWhitespace(token));
  v1::ValidateResponse r = Validate(token);
  EXPECT_TRUE(r.valid()) << v1::Reason_Name(r.reason());
  EXPECT_EQ(r.principal().subject(), "cli-user");
  EXPECT_THAT(r.principal().scopes(), ElementsAre("a", "b"));

  auto [valid_status, valid_out] =
      run_cli({"validate", "--server", w.service->address(), "--token", token}, "validate-ok");
  EXPECT_EQ(valid_status, 0) << valid_out;
  boost::json::value reply;
  ASSERT_EQ(ParseStrictJson(TrimAsciiWhitespace(valid_out), reply), JsonParseError::kNone) << valid_out;
  EXPECT_EQ(reply.at("valid"), true);
  EXPECT_EQ(reply.at("reason"), "REASON_OK");
  EXPECT_EQ(reply.at("principal").at("subject"), "cli-user");

  auto [invalid_status, invalid_out] = run_cli({"validate", "--server", w.service->address(), "--token",
                                                token, "--resource", "https://other.example.test/mcp"},
                                               "validate-bad");
  EXPECT_EQ(invalid_status, 1) << invalid_out;
  EXPECT_THAT(invalid_out, HasSubstr("REASON_AUDIENCE_MISMATCH"));
}

}  // namespace
}  // namespace mcpauth::tv
