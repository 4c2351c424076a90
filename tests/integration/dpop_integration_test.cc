// DPoP across replicas, as operators run it: two mcpauth-token-validation
// processes with the same YAML (server nonces on, one nonce secret file), one real
// redis-server they share, the authorization server's JWKS on loopback. A proof
// accepted by one replica is a replay at the other; a nonce one replica hands out
// is accepted by the other; with Redis down, DPoP requests cannot be decided
// (gRPC UNAVAILABLE: fail closed, no per-replica fallback that would let a
// replay through).
//
// Tokens and proofs are signed here with the JOSE library; in the CLI test by
// the `mcpauth` binary.
#include <atomic>
#include <iostream>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "mcpauth/v1/token_validation.grpc.pb.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/dpop_sign.h"
#include "services/token_validation/keygen.h"
#include "tests/support/child_process.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth::tv {
namespace {

using test::Binary;
using test::ChildProcess;
using test::HttpReply;
using test::LogTail;
using test::LoopbackHttpServer;
using test::RedisServerProcess;
using test::TempDir;
using test::WaitFor;
using ::testing::HasSubstr;

constexpr char kIssuer[] = "https://issuer.example.test";
constexpr char kResource[] = "https://mcp.example.test/mcp";
constexpr char kJwksPath[] = "/jwks.json";
const absl::Duration kPollTimeout = absl::Seconds(20);

struct Key {
  boost::json::object private_json;
  std::shared_ptr<const Jwk> jwk;

  static Key Generate(const std::string& kid) {
    auto json = GeneratePrivateJwk(*FindAlg("ES256"), kid);
    if (!json.ok()) throw std::runtime_error(std::string(json.status().message()));
    auto jwk = Jwk::Parse(*json, JwkPrivacy::kAllowPrivate);
    if (!jwk.ok()) throw std::runtime_error(std::string(jwk.status().message()));
    return Key{*json, std::make_shared<const Jwk>(std::move(*jwk))};
  }
};

// An access token of the test's authorization server, bound to `client` when given.
std::string Mint(const Key& as, const Key* client) {
  static std::atomic<int> counter = 0;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  boost::json::object claims{{"iss", kIssuer}, {"sub", "user-1"},  {"aud", kResource},
                             {"iat", now},     {"exp", now + 600}, {"jti", StrCat("at-", ++counter)}};
  if (client != nullptr) claims["cnf"] = boost::json::object{{"jkt", client->jwk->Thumbprint()}};
  auto token = SignCompact(*FindAlg("ES256"), *as.jwk, boost::json::object{{"typ", "at+jwt"}}, ToJson(claims));
  if (!token.ok()) throw std::runtime_error(std::string(token.status().message()));
  return *token;
}

std::string Proof(const Key& client, const std::string& token, std::optional<std::string> nonce,
                  const std::string& method = "POST") {
  auto proof = MakeDpopProof(*client.jwk, {.htm = method,
                                           .htu = kResource,
                                           .iat = absl::ToUnixSeconds(absl::Now()),
                                           .access_token = token,
                                           .nonce = std::move(nonce)});
  if (!proof.ok()) throw std::runtime_error(std::string(proof.status().message()));
  return *proof;
}

// One mcpauth-token-validation replica (the suite's shared config plus its
// token_validation section) with a gRPC stub.
class Replica : public test::ServiceProcess {
 public:
  Replica(const TempDir& dir, const std::string& name, const std::string& shared_config)
      : ServiceProcess(dir, name, "mcpauth-token-validation", shared_config, "token_validation",
                       "  fetch_timeout: 2\n") {}

  absl::Status Start() {
    absl::Status started = ServiceProcess::Start();
    if (started.ok()) stub_ = v1::TokenValidation::NewStub(channel());
    return started;
  }

  grpc::Status Validate(const std::string& token, const std::string& scheme, const std::string& proof,
                        v1::ValidateResponse* response) {
    v1::ValidateRequest request;
    request.set_token(token);
    request.set_scheme(scheme);
    if (!proof.empty()) {
      request.mutable_dpop()->set_proof(proof);
      request.mutable_dpop()->set_method("POST");
      request.mutable_dpop()->set_uri(kResource);
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return stub_->Validate(&context, request, response);
  }
  // Expects an OK status (a decided answer).
  v1::ValidateResponse Answer(const std::string& token, const std::string& scheme, const std::string& proof) {
    v1::ValidateResponse response;
    grpc::Status status = Validate(token, scheme, proof, &response);
    EXPECT_TRUE(status.ok()) << name() << ": " << status.error_code() << " " << status.error_message();
    return response;
  }
  double Metric(const std::string& sample) const { return ServiceProcess::Metric(sample).value_or(0); }

 private:
  std::unique_ptr<v1::TokenValidation::Stub> stub_;
};

// The suite config both replicas share; no `redis` section when `redis_url` is
// empty, no nonce secret file when `secret_file` is.
std::string SharedConfig(const std::string& jwks_uri, const std::string& redis_url, const std::string& secret_file) {
  std::string config = StrCat("resource: ", kResource, "\nauthorization:\n  dpop_nonce: true\n");
  if (!secret_file.empty()) StrAppend(config, "  dpop_nonce_secret_file: ", secret_file, "\n");
  StrAppend(config, "jwt_validators:\n  - issuer: ", kIssuer, "\n    jwks_uri: ", jwks_uri, "\n");
  if (!redis_url.empty()) {
    StrAppend(config, "redis:\n  url: ", redis_url, "\n  connect_timeout: 0.2\n  command_timeout: 0.2\n");
  }
  return config;
}

class DpopIntegrationTest : public ::testing::Test {
 protected:
  struct World {
    TempDir dir{"mcpauth-dpop-integration"};
    Key as = Key::Generate("as-1");
    Key client = Key::Generate("client-1");
    Key other_client = Key::Generate("client-2");
    RedisServerProcess redis;
    LoopbackHttpServer jwks;
    std::string shared_config;
    std::unique_ptr<Replica> a, b;
  };

  static void SetUpTestSuite() {
    world_ = new World;
    World& w = *world_;
    w.jwks.SetResponse(
        kJwksPath, HttpReply{.body = ToJson(boost::json::object{{"keys", boost::json::array{w.as.jwk->PublicJson()}}}),
                             .headers = {{"Cache-Control", "max-age=300"}}});
    ASSERT_TRUE(w.jwks.Start().ok());
    absl::Status redis = w.redis.Start();
    ASSERT_TRUE(redis.ok()) << redis;
    const std::string secret_file = w.dir.File("dpop-nonce.secret");
    ASSERT_TRUE(test::WriteFile(secret_file, "a-secret-both-replicas-share-0123456789\n"));
    w.shared_config = SharedConfig(w.jwks.Url(kJwksPath), w.redis.Url(), secret_file);
    for (auto [replica, name] : {std::pair{&w.a, "replica-a"}, std::pair{&w.b, "replica-b"}}) {
      auto r = std::make_unique<Replica>(w.dir, name, w.shared_config);
      absl::Status started = r->Start();
      ASSERT_TRUE(started.ok()) << started;
      *replica = std::move(r);
    }
  }

  static void TearDownTestSuite() {
    if (world_ != nullptr) {
      for (auto* replica : {&world_->a, &world_->b}) {
        if (*replica) {
          EXPECT_EQ((*replica)->Stop(), 0) << LogTail((*replica)->LogText());
        }
      }
    }
    delete world_;  // stops Redis and the JWKS server
    world_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(world_ != nullptr && world_->a && world_->b) << "the suite's processes did not start";
    ASSERT_TRUE(world_->redis.Running());
  }
  void TearDown() override {
    if (HasFailure() && world_ != nullptr) {
      for (auto* replica : {world_->a.get(), world_->b.get()}) {
        if (replica) {
          std::cerr << "--- " << replica->name() << " log (tail) ---\n" << LogTail(replica->LogText()) << "\n";
        }
      }
    }
  }

  // A current nonce, as a client gets it: its first DPoP request is refused with one.
  static std::string NonceFrom(Replica& replica) {
    const std::string token = Mint(world_->as, &world_->client);
    v1::ValidateResponse r = replica.Answer(token, "DPoP", Proof(world_->client, token, std::nullopt));
    EXPECT_EQ(r.reason(), v1::REASON_DPOP_NONCE_REQUIRED);
    EXPECT_EQ(r.error(), "use_dpop_nonce");
    EXPECT_FALSE(r.dpop_nonce().empty());
    return r.dpop_nonce();
  }

  static World* world_;
};

DpopIntegrationTest::World* DpopIntegrationTest::world_ = nullptr;

TEST_F(DpopIntegrationTest, NonceFromOneReplicaIsAcceptedByTheOther) {
  World& w = *world_;
  const std::string nonce = NonceFrom(*w.a);
  const std::string token = Mint(w.as, &w.client);
  v1::ValidateResponse r = w.b->Answer(token, "DPoP", Proof(w.client, token, nonce));
  EXPECT_TRUE(r.valid()) << v1::Reason_Name(r.reason());
  EXPECT_EQ(r.principal().confirmation_jkt(), w.client.jwk->Thumbprint());
  // B hands out its own current nonce (the same string within a step: same secret).
  EXPECT_FALSE(r.dpop_nonce().empty());
  // And the other way round.
  const std::string nonce_b = NonceFrom(*w.b);
  EXPECT_TRUE(w.a->Answer(token, "DPoP", Proof(w.client, token, nonce_b)).valid());
  EXPECT_GE(w.a->Metric(R"(mcpauth_dpop_nonces_issued_total{kind="challenge"})"), 1);
  EXPECT_GE(w.b->Metric(R"(mcpauth_dpop_nonces_issued_total{kind="refresh"})"), 1);
}

TEST_F(DpopIntegrationTest, ProofAcceptedByOneReplicaIsAReplayAtTheOther) {
  World& w = *world_;
  const double replays_before = w.a->Metric("mcpauth_dpop_replays_refused_total");
  const std::string nonce = NonceFrom(*w.a);
  const std::string token = Mint(w.as, &w.client);
  const std::string proof = Proof(w.client, token, nonce);
  v1::ValidateResponse r = w.b->Answer(token, "DPoP", proof);
  ASSERT_TRUE(r.valid()) << v1::Reason_Name(r.reason());
  r = w.a->Answer(token, "DPoP", proof);
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_REPLAYED);
  EXPECT_EQ(r.error(), "invalid_dpop_proof");
  EXPECT_EQ(w.b->Answer(token, "DPoP", proof).reason(), v1::REASON_DPOP_REPLAYED);
  EXPECT_EQ(w.a->Metric("mcpauth_dpop_replays_refused_total"), replays_before + 1);
  // A fresh proof for the same token is fine on either replica.
  EXPECT_TRUE(w.a->Answer(token, "DPoP", Proof(w.client, token, nonce)).valid());
  EXPECT_TRUE(w.b->Answer(token, "DPoP", Proof(w.client, token, nonce)).valid());

  // The shared record: prefixed, and expiring after 3 × dpop_leeway (60 s).
  auto keys = w.redis.Command({"KEYS", "mcpauth:v1:dpop:jti:*"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  const std::vector<std::string_view> names = SplitSkipEmpty(*keys, '\n');
  ASSERT_GE(names.size(), 3u);
  for (std::string_view key : names) {
    EXPECT_THAT(std::string(key), HasSubstr(StrCat("mcpauth:v1:dpop:jti:", w.client.jwk->Thumbprint(), ":")));
    auto ttl = w.redis.Command({"PTTL", std::string(key)});
    ASSERT_TRUE(ttl.ok());
    int64_t ms = 0;
    ASSERT_TRUE(ParseInt64(*ttl, ms)) << *ttl;
    EXPECT_GT(ms, 170'000) << key;
    EXPECT_LE(ms, 180'000) << key;
  }
}

TEST_F(DpopIntegrationTest, BindingIsEnforcedOnEveryReplica) {
  World& w = *world_;
  const std::string nonce = NonceFrom(*w.a);
  const std::string bound = Mint(w.as, &w.client);
  for (Replica* replica : {w.a.get(), w.b.get()}) {
    SCOPED_TRACE(replica->name());
    v1::ValidateResponse r = replica->Answer(bound, "Bearer", "");
    EXPECT_EQ(r.reason(), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
    EXPECT_EQ(r.error(), "invalid_token");
    r = replica->Answer(bound, "DPoP", Proof(w.other_client, bound, nonce));
    EXPECT_EQ(r.reason(), v1::REASON_DPOP_JKT_MISMATCH);
    EXPECT_EQ(r.error(), "invalid_token");
    r = replica->Answer(bound, "DPoP", "");
    EXPECT_EQ(r.reason(), v1::REASON_DPOP_PROOF_MISSING);
    EXPECT_EQ(r.error(), "invalid_dpop_proof");
    EXPECT_FALSE(r.dpop_nonce().empty());
    const std::string plain = Mint(w.as, nullptr);
    EXPECT_TRUE(replica->Answer(plain, "Bearer", "").valid());
    EXPECT_EQ(replica->Answer(plain, "DPoP", Proof(w.client, plain, nonce)).reason(), v1::REASON_DPOP_SCHEME_CONFUSION);
  }
}

TEST_F(DpopIntegrationTest, ReplicaWithoutTheSharedSecretRefusesTheNonce) {
  World& w = *world_;
  const std::string config = SharedConfig(w.jwks.Url(kJwksPath), w.redis.Url(), /*secret_file=*/"");
  Replica loner(w.dir, "no-shared-secret", config);
  absl::Status started = loner.Start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_THAT(loner.LogText(), HasSubstr("dpop_nonce_secret_file not set"));
  const std::string nonce = NonceFrom(*w.a);
  const std::string token = Mint(w.as, &w.client);
  v1::ValidateResponse r = loner.Answer(token, "DPoP", Proof(w.client, token, nonce));
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_NONCE_REQUIRED);
  EXPECT_NE(r.dpop_nonce(), nonce);
  EXPECT_EQ(loner.Stop(), 0);
}

TEST_F(DpopIntegrationTest, ReplicaWithoutRedisWarnsAndRemembersProofsItself) {
  World& w = *world_;
  const std::string config =
      SharedConfig(w.jwks.Url(kJwksPath), /*redis_url=*/"", w.dir.File("dpop-nonce.secret"));
  Replica alone(w.dir, "no-redis", config);
  absl::Status started = alone.Start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_THAT(alone.LogText(), HasSubstr("DPoP proof replay (jti) is detected per replica only"));
  const std::string nonce = NonceFrom(alone);
  const std::string token = Mint(w.as, &w.client);
  const std::string proof = Proof(w.client, token, nonce);
  EXPECT_TRUE(alone.Answer(token, "DPoP", proof).valid());
  EXPECT_EQ(alone.Answer(token, "DPoP", proof).reason(), v1::REASON_DPOP_REPLAYED);
  EXPECT_EQ(alone.Stop(), 0);
}

TEST_F(DpopIntegrationTest, RedisDownFailsClosedForDpopOnly) {
  World& w = *world_;
  const std::string nonce = NonceFrom(*w.a);
  const std::string token = Mint(w.as, &w.client);
  ASSERT_TRUE(w.a->Answer(token, "DPoP", Proof(w.client, token, nonce)).valid());  // the token is now cached
  const std::string plain = Mint(w.as, nullptr);
  ASSERT_TRUE(w.a->Answer(plain, "Bearer", "").valid());

  w.redis.Stop();
  for (Replica* replica : {w.a.get(), w.b.get()}) {
    SCOPED_TRACE(replica->name());
    for (int i = 0; i < 3; ++i) {
      v1::ValidateResponse r;
      grpc::Status status = replica->Validate(token, "DPoP", Proof(w.client, token, nonce), &r);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
      EXPECT_THAT(status.error_message(), HasSubstr("DPoP replay store"));
    }
    // What needs no replay store is still decided: bearer tokens, and DPoP
    // requests refused before the store is reached.
    EXPECT_TRUE(replica->Answer(plain, "Bearer", "").valid());
    EXPECT_EQ(replica->Answer(token, "Bearer", "").reason(), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
    EXPECT_EQ(replica->Answer(token, "DPoP", Proof(w.client, token, std::nullopt)).reason(),
              v1::REASON_DPOP_NONCE_REQUIRED);
    EXPECT_GE(replica->Metric(R"(mcpauth_dpop_proofs_total{reason="could_not_decide",result="error"})"), 3);
  }

  // Redis back on the same port: DPoP requests are decided again once the client reconnects.
  ASSERT_TRUE(w.redis.Start().ok());
  for (Replica* replica : {w.a.get(), w.b.get()}) {
    SCOPED_TRACE(replica->name());
    EXPECT_TRUE(WaitFor(
        [&] {
          v1::ValidateResponse r;
          grpc::Status status = replica->Validate(token, "DPoP", Proof(w.client, token, nonce), &r);
          return status.ok() && r.valid();
        },
        kPollTimeout, absl::Milliseconds(100)));
  }
}

TEST_F(DpopIntegrationTest, CliMakesProofsAndBoundTokens) {
  World& w = *world_;
  const std::string as_file = w.dir.File("as.json");
  const std::string client_file = w.dir.File("client.json");
  ASSERT_TRUE(test::WriteFile(as_file, ToJson(w.as.private_json)));
  ASSERT_TRUE(test::WriteFile(client_file, ToJson(w.client.private_json)));
  int run = 0;
  auto cli = [&](std::vector<std::string> args) -> std::pair<int, std::string> {
    args.insert(args.begin(), Binary("mcpauth"));
    const std::string name = StrCat("cli-", ++run);
    auto process = ChildProcess::Start(
        {.argv = std::move(args), .log_path = w.dir.File(name + ".out"), .stderr_path = w.dir.File(name + ".err")});
    if (!process.ok()) return {-1, std::string(process.status().message())};
    const int status = (*process)->WaitForExit(absl::Seconds(15)).value_or(-1);
    return {status, std::string(TrimAsciiWhitespace((*process)->LogText()))};
  };

  auto [mint_status, token] = cli({"token", "mint", "--key", as_file, "--iss", kIssuer, "--aud", kResource, "--sub",
                                   "cli-user", "--cnf-key", client_file});
  ASSERT_EQ(mint_status, 0) << token;
  auto [proof_status, proof] =
      cli({"dpop", "proof", "--key", client_file, "--htm", "POST", "--htu", kResource, "--token", token});
  ASSERT_EQ(proof_status, 0) << proof;

  // Without a nonce: refused with one (exit 1), which the next proof carries.
  auto [first_status, first] = cli({"validate", "--server", w.a->address(), "--token", token, "--scheme", "DPoP",
                                    "--dpop", proof, "--htm", "POST", "--htu", kResource});
  EXPECT_EQ(first_status, 1) << first;
  boost::json::value reply;
  ASSERT_EQ(ParseStrictJson(first, reply), JsonParseError::kNone) << first;
  EXPECT_EQ(reply.at("reason"), "REASON_DPOP_NONCE_REQUIRED");
  EXPECT_EQ(reply.at("error"), "use_dpop_nonce");
  const std::string nonce(reply.at("dpop_nonce").as_string());
  ASSERT_FALSE(nonce.empty());

  auto [proof2_status, proof2] = cli(
      {"dpop", "proof", "--key", client_file, "--htm", "POST", "--htu", kResource, "--token", token, "--nonce", nonce});
  ASSERT_EQ(proof2_status, 0) << proof2;
  auto [ok_status, ok] = cli({"validate", "--server", w.b->address(), "--token", token, "--scheme", "DPoP", "--dpop",
                              proof2, "--htm", "POST", "--htu", kResource});
  EXPECT_EQ(ok_status, 0) << ok;
  ASSERT_EQ(ParseStrictJson(ok, reply), JsonParseError::kNone) << ok;
  EXPECT_EQ(reply.at("valid"), true);
  EXPECT_EQ(reply.at("principal").at("confirmation_jkt"), boost::json::value(w.client.jwk->Thumbprint()));
  // The same proof again, at the other replica: a replay.
  auto [replay_status, replay] = cli({"validate", "--server", w.a->address(), "--token", token, "--scheme", "DPoP",
                                      "--dpop", proof2, "--htm", "POST", "--htu", kResource});
  EXPECT_EQ(replay_status, 1) << replay;
  EXPECT_THAT(replay, HasSubstr("REASON_DPOP_REPLAYED"));
  // The bound token as a bearer token.
  auto [bearer_status, bearer] = cli({"validate", "--server", w.a->address(), "--token", token, "--scheme", "Bearer"});
  EXPECT_EQ(bearer_status, 1) << bearer;
  EXPECT_THAT(bearer, HasSubstr("REASON_DPOP_BOUND_TOKEN_AS_BEARER"));
  // Bad usage.
  auto [usage_status, usage] = cli({"validate", "--server", w.a->address(), "--token", token, "--dpop", proof2});
  EXPECT_EQ(usage_status, 2) << usage;
}

}  // namespace
}  // namespace mcpauth::tv
