// DPoP over the TokenValidation service surface (in process, no network): what a
// caller gets back — reason, RFC 6750/9449 error code, DPoP-Nonce, gRPC status —
// and what the service counts.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "services/common/strings.h"
#include "services/token_validation/dpop_sign.h"
#include "services/token_validation/service.h"
#include "tests/fakes/fake_fetcher.h"
#include "tests/fakes/in_process_grpc.h"
#include "tests/support/wait_for.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::tv {
namespace {

constexpr char kIssuer[] = "https://as.example.com";
constexpr char kJwks[] = "https://as.example.com/jwks";
constexpr char kResource[] = "https://mcp.example.com/mcp";
const int64_t kNow = 1'700'000'040;

// A KeyValueStore that can be switched off, as Redis can.
class SwitchableStore final : public KeyValueStore {
 public:
  explicit SwitchableStore(const Clock* clock) : inner_(1000, clock) {}
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override { return inner_.Get(key); }
  absl::Status Set(const std::string& k, const std::string& v, absl::Duration ttl) override {
    return inner_.Set(k, v, ttl);
  }
  absl::StatusOr<bool> SetIfAbsent(const std::string& k, const std::string& v, absl::Duration ttl) override {
    {
      std::unique_lock<std::mutex> lock(gate_mu_);
      gate_.wait(lock, [this] { return !held_; });
    }
    if (down) return absl::UnavailableError("redis down");
    return inner_.SetIfAbsent(k, v, ttl);
  }
  // While held, every SetIfAbsent waits, as on a Redis that does not answer.
  void Hold(bool held) {
    {
      std::lock_guard<std::mutex> lock(gate_mu_);
      held_ = held;
    }
    gate_.notify_all();
  }
  bool down = false;

 private:
  InProcessStore inner_;
  std::mutex gate_mu_;
  std::condition_variable gate_;
  bool held_ = false;
};

class DpopServiceTest : public ::testing::Test {
 protected:
  DpopServiceTest() { fetcher_.Serve(kJwks, testing::JwksOf({&as_key_})); }

  std::string Token(bool bound) {
    boost::json::object claims{{"iss", kIssuer}, {"sub", "alice"},    {"aud", kResource},
                               {"iat", kNow},    {"exp", kNow + 600}, {"jti", StrCat("t-", ++serial_)}};
    if (bound) claims["cnf"] = boost::json::object{{"jkt", client_.private_key->Thumbprint()}};
    return testing::Mint(as_key_, claims);
  }
  std::string Proof(const std::string& token, std::optional<std::string> nonce = std::nullopt,
                    std::string htm = "POST") {
    return *MakeDpopProof(*client_.private_key,
                          {.htm = htm, .htu = kResource, .iat = kNow, .access_token = token, .nonce = nonce});
  }
  static v1::ValidateRequest Request(const std::string& token, const std::string& scheme, const std::string& proof) {
    v1::ValidateRequest request;
    request.set_token(token);
    request.set_scheme(scheme);
    if (!proof.empty()) {
      request.mutable_dpop()->set_proof(proof);
      request.mutable_dpop()->set_method("POST");
      request.mutable_dpop()->set_uri(StrCat(kResource, "?session=1"));
    }
    return request;
  }
  grpc::Status Call(const std::string& token, const std::string& scheme, const std::string& proof,
                    v1::ValidateResponse* response) {
    grpc::ClientContext context;
    return stub_->Validate(&context, Request(token, scheme, proof), response);
  }
  // Adds an item to a ValidateStream message.
  static v1::ValidateStreamRequest& Add(v1::ValidateStreamRequest& message, uint64_t id, v1::ValidateRequest request) {
    v1::ValidateStreamItem* item = message.add_items();
    item->set_id(id);
    *item->mutable_request() = std::move(request);
    return message;
  }
  v1::ValidateResponse Answer(const std::string& token, const std::string& scheme, const std::string& proof) {
    v1::ValidateResponse response;
    grpc::Status status = Call(token, scheme, proof, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
  double Metric(const std::string& sample) {
    const std::string text = prometheus::TextSerializer().Serialize(registry_.Collect());
    const size_t at = text.find(StrCat("\n", sample, " "));
    if (at == std::string::npos) return 0;
    double value = 0;
    ParseDouble(text.substr(at + sample.size() + 2, text.find('\n', at + 1) - at - sample.size() - 2), value);
    return value;
  }

  int serial_ = 0;
  ManualClock clock_{absl::FromUnixSeconds(kNow)};
  mcpauth::testing::FakeFetcher fetcher_;
  prometheus::Registry registry_;
  TokenValidationMetrics metrics_{registry_};
  SuiteConfig config_ = ParseSuiteConfig(YAML::Load(
      StrCat("resource: ", kResource, "\njwt_validators: [{issuer: ", kIssuer, ", jwks_uri: ", kJwks, "}]")));
  IssuerRegistry issuers_ = IssuerRegistry::FromConfig(config_);
  testing::TestKey as_key_ = testing::MakeKey("ES256", "as-1");
  testing::TestKey client_ = testing::MakeKey("ES256", "");
  JwksCache jwks_{JwksCacheOptions{}, &fetcher_, nullptr, &metrics_, &clock_};
  TokenCache cache_{1000, &clock_};
  SwitchableStore redis_{&clock_};
  SharedDpopReplayStore replay_{&redis_};
  DpopNonces nonces_{std::string(32, 'k'), absl::Seconds(60), &clock_};
  DpopVerifier dpop_{DpopOptions{}, &replay_, &nonces_};
  TokenValidator validator_{
      ValidatorOptions{.default_resource = kResource}, &issuers_, &jwks_, nullptr, &cache_, &metrics_, &clock_, &dpop_};
  TokenValidationService service_{&validator_, &metrics_};
  mcpauth::testing::InProcessGrpc grpc_{&service_};
  std::unique_ptr<v1::TokenValidation::Stub> stub_ = v1::TokenValidation::NewStub(grpc_.channel());
};

// Calls answerable from memory stay on gRPC's thread; the rest (keys not loaded
// yet, a replay store in Redis) wait on the blocking pool, are counted there, and
// get the same answers.
TEST_F(DpopServiceTest, OnlyCallsThatMustWaitLeaveGrpcsThread) {
  const char kWaited[] = "mcpauth_token_validations_waited_total";
  EXPECT_TRUE(Answer(Token(/*bound=*/false), "Bearer", "").valid());  // keys not loaded yet
  EXPECT_EQ(Metric(kWaited), 1);
  EXPECT_EQ(fetcher_.Count(kJwks), 1);
  const std::string token = Token(/*bound=*/false);
  EXPECT_TRUE(Answer(token, "Bearer", "").valid());  // keys in memory
  EXPECT_TRUE(Answer(token, "Bearer", "").cached());
  EXPECT_EQ(Metric(kWaited), 1);

  const std::string bound = Token(/*bound=*/true);
  v1::ValidateResponse r = Answer(bound, "DPoP", Proof(bound, nonces_.Issue()));  // the replay store is "Redis"
  EXPECT_TRUE(r.valid()) << v1::Reason_Name(r.reason());
  EXPECT_EQ(Metric(kWaited), 2);

  clock_.Advance(absl::Seconds(301));  // past the key set's lifetime: refreshing it waits
  EXPECT_TRUE(Answer(Token(/*bound=*/false), "Bearer", "").valid());
  EXPECT_EQ(Metric(kWaited), 3);
  EXPECT_EQ(fetcher_.Count(kJwks), 2);
  EXPECT_EQ(Metric(R"(mcpauth_cache_requests_total{cache="token",result="miss"})"), 4);
}

TEST_F(DpopServiceTest, NonceChallengeThenAcceptance) {
  const std::string token = Token(/*bound=*/true);
  v1::ValidateResponse r = Answer(token, "DPoP", Proof(token));
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_NONCE_REQUIRED);
  EXPECT_EQ(r.error(), "use_dpop_nonce");
  EXPECT_EQ(r.error_description(), "DPoP proof must carry a current server nonce");
  ASSERT_EQ(r.dpop_nonce(), nonces_.Issue());

  r = Answer(token, "DPoP", Proof(token, r.dpop_nonce()));
  EXPECT_TRUE(r.valid()) << v1::Reason_Name(r.reason());
  EXPECT_EQ(r.error(), "");
  EXPECT_EQ(r.dpop_nonce(), nonces_.Issue());
  EXPECT_EQ(r.principal().confirmation_jkt(), client_.private_key->Thumbprint());

  EXPECT_EQ(Metric(R"(mcpauth_dpop_nonces_issued_total{kind="challenge"})"), 1);
  EXPECT_EQ(Metric(R"(mcpauth_dpop_nonces_issued_total{kind="refresh"})"), 1);
  EXPECT_EQ(Metric(R"(mcpauth_dpop_proofs_total{reason="dpop_nonce_required",result="invalid"})"), 1);
  EXPECT_EQ(Metric(R"(mcpauth_dpop_proofs_total{reason="ok",result="valid"})"), 1);
}

TEST_F(DpopServiceTest, ErrorCodesForBadProofsAndBadBindings) {
  const std::string token = Token(/*bound=*/true);
  v1::ValidateResponse r = Answer(token, "DPoP", "x.y.z");
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_PROOF_INVALID);
  EXPECT_EQ(r.error(), "invalid_dpop_proof");
  EXPECT_FALSE(r.dpop_nonce().empty());
  r = Answer(token, "Bearer", "");
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_BOUND_TOKEN_AS_BEARER);
  EXPECT_EQ(r.error(), "invalid_token");
  r = Answer(Token(/*bound=*/false), "DPoP", Proof(token, nonces_.Issue()));
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_ATH_MISMATCH);  // the proof was made for the other token
  EXPECT_EQ(r.error(), "invalid_dpop_proof");
  EXPECT_EQ(Metric(R"(mcpauth_dpop_proofs_total{reason="dpop_proof_invalid",result="invalid"})"), 1);
  EXPECT_EQ(Metric(R"(mcpauth_dpop_proofs_total{reason="dpop_bound_token_as_bearer",result="invalid"})"), 1);
  EXPECT_EQ(Metric(R"(mcpauth_token_validations_total{reason="dpop_bound_token_as_bearer",result="invalid"})"), 1);
}

TEST_F(DpopServiceTest, ReplaysAreRefusedAndCounted) {
  const std::string token = Token(/*bound=*/true);
  const std::string proof = Proof(token, nonces_.Issue());
  EXPECT_TRUE(Answer(token, "DPoP", proof).valid());
  v1::ValidateResponse r = Answer(token, "DPoP", proof);
  EXPECT_EQ(r.reason(), v1::REASON_DPOP_REPLAYED);
  EXPECT_EQ(r.error(), "invalid_dpop_proof");
  EXPECT_TRUE(r.cached());
  EXPECT_FALSE(r.has_principal());
  EXPECT_EQ(Metric("mcpauth_dpop_replays_refused_total"), 1);
  EXPECT_EQ(Metric(R"(mcpauth_dpop_proofs_total{reason="dpop_replayed",result="invalid"})"), 1);
}

TEST_F(DpopServiceTest, ReplayStoreDownIsUnavailable) {
  const std::string token = Token(/*bound=*/true);
  redis_.down = true;
  v1::ValidateResponse response;
  grpc::Status status = Call(token, "DPoP", Proof(token, nonces_.Issue()), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("DPoP replay store"), std::string::npos) << status.error_message();
  EXPECT_FALSE(response.valid());
  EXPECT_EQ(Metric(R"(mcpauth_dpop_proofs_total{reason="could_not_decide",result="error"})"), 1);
  EXPECT_EQ(Metric(R"(mcpauth_token_validations_total{reason="could_not_decide",result="error"})"), 1);
  // Plain bearer tokens do not need the replay store.
  EXPECT_TRUE(Answer(Token(/*bound=*/false), "Bearer", "").valid());
  redis_.down = false;
  EXPECT_TRUE(Answer(token, "DPoP", Proof(token, nonces_.Issue())).valid());
}

TEST_F(DpopServiceTest, TokenFailuresAreNotCountedAsProofOutcomes) {
  v1::ValidateResponse r = Answer("garbage", "DPoP", Proof("garbage", nonces_.Issue()));
  EXPECT_EQ(r.reason(), v1::REASON_JWT_MALFORMED);
  EXPECT_EQ(Metric(R"(mcpauth_dpop_proofs_total{reason="token_invalid",result="not_checked"})"), 1);
  EXPECT_EQ(Metric(R"(mcpauth_dpop_proofs_total{reason="ok",result="valid"})"), 0);
  // A Bearer request without DPoP counts no proof at all.
  EXPECT_TRUE(Answer(Token(/*bound=*/false), "Bearer", "").valid());
  EXPECT_EQ(Metric(R"(mcpauth_dpop_proofs_total{reason="ok",result="valid"})"), 0);
}

// ValidateStream answers each request once, by id, as Validate would: from memory
// or after waiting (keys, the replay store), a refusal with its reason, "could not
// decide" as status 14 in the item while the stream goes on; it ends OK after the
// caller closes its side.
TEST_F(DpopServiceTest, StreamAnswersEachRequestByIdAsValidateDoes) {
  grpc::ClientContext context;
  auto stream = stub_->ValidateStream(&context);
  // One item per message, each answered before the next is sent.
  auto exchange = [&stream](uint64_t id, v1::ValidateRequest request) {
    v1::ValidateStreamRequest message;
    EXPECT_TRUE(stream->Write(Add(message, id, std::move(request))));
    v1::ValidateStreamResponse reply;
    EXPECT_TRUE(stream->Read(&reply));
    EXPECT_EQ(reply.answers_size(), 1);
    EXPECT_EQ(reply.answers(0).id(), id);
    return reply.answers(0);
  };
  const std::string bearer = Token(/*bound=*/false);
  v1::ValidateStreamAnswer reply = exchange(7, Request(bearer, "Bearer", ""));  // keys not loaded
  EXPECT_EQ(reply.status_code(), 0);
  EXPECT_TRUE(reply.response().valid());
  EXPECT_EQ(reply.response().principal().subject(), "alice");
  EXPECT_TRUE(exchange(8, Request(bearer, "Bearer", "")).response().cached());
  reply = exchange(9, Request("garbage", "Bearer", ""));
  EXPECT_EQ(reply.response().reason(), v1::REASON_JWT_MALFORMED);
  EXPECT_EQ(reply.response().error(), "invalid_token");
  // Items of one message answered from memory come back together.
  v1::ValidateStreamRequest several;
  Add(several, 20, Request(bearer, "Bearer", ""));
  Add(several, 21, Request("garbage", "Bearer", ""));
  Add(Add(several, 22, Request(Token(/*bound=*/false), "Bearer", "")), 23, Request(bearer, "DPoP", ""));
  ASSERT_TRUE(stream->Write(several));
  v1::ValidateStreamResponse together;
  ASSERT_TRUE(stream->Read(&together));
  ASSERT_EQ(together.answers_size(), 4);
  EXPECT_EQ(together.answers(0).id(), 20);
  EXPECT_TRUE(together.answers(0).response().cached());
  EXPECT_EQ(together.answers(1).response().reason(), v1::REASON_JWT_MALFORMED);
  EXPECT_TRUE(together.answers(2).response().valid());
  EXPECT_EQ(together.answers(3).response().reason(), v1::REASON_DPOP_PROOF_MISSING);

  const std::string bound = Token(/*bound=*/true);
  redis_.down = true;
  reply = exchange(10, Request(bound, "DPoP", Proof(bound, nonces_.Issue())));
  EXPECT_EQ(reply.status_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(reply.status_message().find("DPoP replay store"), std::string::npos) << reply.status_message();
  EXPECT_FALSE(reply.has_response());
  redis_.down = false;
  const std::string proof = Proof(bound, nonces_.Issue());
  reply = exchange(11, Request(bound, "DPoP", proof));
  EXPECT_TRUE(reply.response().valid()) << v1::Reason_Name(reply.response().reason());
  EXPECT_EQ(reply.response().dpop_nonce(), nonces_.Issue());
  EXPECT_EQ(exchange(12, Request(bound, "DPoP", proof)).response().reason(), v1::REASON_DPOP_REPLAYED);

  EXPECT_TRUE(stream->WritesDone());
  v1::ValidateStreamResponse more;
  EXPECT_FALSE(stream->Read(&more));
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Metric(R"(mcpauth_token_validations_total{reason="ok",result="valid"})"), 5);
  EXPECT_EQ(Metric(R"(mcpauth_token_validations_total{reason="could_not_decide",result="error"})"), 1);
  EXPECT_EQ(Metric("mcpauth_token_validations_waited_total"), 4);  // the first, and each DPoP one
}

// Twice as many requests as may be pending, four to a message, written without
// waiting for answers, each waiting on the replay store: the service stops reading
// at the limit and resumes once answers are written; every request is answered
// exactly once.
TEST_F(DpopServiceTest, StreamStopsReadingAtThePendingLimitAndResumes) {
  const size_t kRequests = 2 * kMaxPendingStreamAnswers;
  const std::string bound = Token(/*bound=*/true);
  std::vector<v1::ValidateStreamRequest> messages(kRequests / 4);
  for (size_t i = 0; i < kRequests; ++i) Add(messages[i / 4], i, Request(bound, "DPoP", Proof(bound, nonces_.Issue())));
  redis_.Hold(true);
  grpc::ClientContext context;
  auto stream = stub_->ValidateStream(&context);
  std::thread writer([&] {
    for (const auto& message : messages) {
      if (!stream->Write(message)) break;
    }
    stream->WritesDone();
  });
  const char kWaited[] = "mcpauth_token_validations_waited_total";
  ASSERT_TRUE(test::WaitFor([&] { return Metric(kWaited) >= kMaxPendingStreamAnswers; }, absl::Seconds(10)));
  // The limit holds: given time to read more, the service takes no further item.
  EXPECT_FALSE(test::WaitFor([&] { return Metric(kWaited) > kMaxPendingStreamAnswers; }, absl::Milliseconds(200)));
  EXPECT_EQ(Metric(kWaited), kMaxPendingStreamAnswers);
  redis_.Hold(false);
  std::map<uint64_t, int> answers;
  size_t valid = 0;
  for (v1::ValidateStreamResponse reply; stream->Read(&reply);) {
    for (const v1::ValidateStreamAnswer& answer : reply.answers()) {
      ++answers[answer.id()];
      valid += answer.response().valid();
    }
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_EQ(answers.size(), kRequests);
  for (const auto& [id, count] : answers) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(valid, kRequests);  // every proof has its own jti
}

// At shutdown, open streams end with UNAVAILABLE once the answers they owe are
// written (an idle one at once), and streams opened afterwards end straight away.
TEST_F(DpopServiceTest, StreamsEndWithUnavailableAtShutdownAfterTheirAnswers) {
  grpc::ClientContext idle_context, busy_context;
  auto idle = stub_->ValidateStream(&idle_context);
  auto busy = stub_->ValidateStream(&busy_context);
  const std::string bound = Token(/*bound=*/true);
  redis_.Hold(true);
  v1::ValidateStreamRequest message;
  ASSERT_TRUE(busy->Write(Add(message, 5, Request(bound, "DPoP", Proof(bound, nonces_.Issue())))));
  ASSERT_TRUE(test::WaitFor([&] { return Metric("mcpauth_token_validations_waited_total") >= 1; }, absl::Seconds(10)));
  service_.EndStreams();
  v1::ValidateStreamResponse reply;
  EXPECT_FALSE(idle->Read(&reply));
  grpc::Status status = idle->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("shutting down"), std::string::npos) << status.error_message();

  redis_.Hold(false);  // the waiting validation completes and is answered before the end
  ASSERT_TRUE(busy->Read(&reply));
  ASSERT_EQ(reply.answers_size(), 1);
  EXPECT_EQ(reply.answers(0).id(), 5);
  EXPECT_TRUE(reply.answers(0).response().valid());
  EXPECT_FALSE(busy->Read(&reply));
  EXPECT_EQ(busy->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  grpc::ClientContext late_context;
  auto late = stub_->ValidateStream(&late_context);
  EXPECT_FALSE(late->Read(&reply));
  EXPECT_EQ(late->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

// A caller that goes away with validations still waiting: the service finishes the
// stream once they are done (the fixture's server shutdown would hang otherwise).
TEST_F(DpopServiceTest, StreamCancelledWithValidationsWaiting) {
  const std::string bound = Token(/*bound=*/true);
  grpc::ClientContext context;
  auto stream = stub_->ValidateStream(&context);
  for (uint64_t i = 0; i < 200; ++i) {
    v1::ValidateStreamRequest message;
    if (!stream->Write(Add(message, i, Request(bound, "DPoP", Proof(bound, nonces_.Issue()))))) break;
  }
  context.TryCancel();
  v1::ValidateStreamResponse reply;
  while (stream->Read(&reply)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace mcpauth::tv
