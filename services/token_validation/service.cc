#include "services/token_validation/service.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <mutex>

#include "services/common/log.h"

namespace mcpauth::tv {

void FillResponse(const ValidationResult& result, v1::ValidateResponse* response) {
  response->set_valid(result.valid());
  response->set_reason(result.reason());
  response->set_cached(result.cached());
  response->set_dpop_nonce(result.dpop_nonce);
  if (!result.valid()) {
    response->set_error(std::string(ReasonErrorCode(result.reason())));
    response->set_error_description(std::string(ReasonText(result.reason())));
    return;
  }
  const JwtClaims& c = result.token()->claims;
  v1::Principal* p = response->mutable_principal();
  p->set_subject(c.subject.value_or(""));
  for (const std::string& s : c.scopes) p->add_scopes(s);
  p->set_issuer(c.issuer.value_or(""));
  for (const std::string& a : c.audiences) p->add_audiences(a);
  p->set_client_id(c.client_id.value_or(""));
  p->set_expires_at(static_cast<int64_t>(std::floor(c.expires_at.value_or(0))));
  p->set_issued_at(static_cast<int64_t>(std::floor(c.issued_at.value_or(0))));
  p->set_token_id(c.token_id.value_or(""));
  p->set_claims_json(result.token()->claims_json);
  p->set_confirmation_jkt(c.confirmation_jkt.value_or(""));
  if (const absl::Time until = result.token()->introspected_until; until != absl::InfiniteFuture()) {
    response->set_reuse_until_ms(absl::ToUnixMillis(until));
  }
}

namespace {

ValidationInput InputOf(const v1::ValidateRequest& request, bool may_wait) {
  return {.token = request.token(),
          .resource = request.resource(),
          .audiences = {request.audiences().begin(), request.audiences().end()},
          .scheme = request.scheme(),
          .dpop = {.proof = request.dpop().proof(), .method = request.dpop().method(), .uri = request.dpop().uri()},
          .may_wait = may_wait};
}

}  // namespace

grpc::ServerUnaryReactor* TokenValidationService::Validate(grpc::CallbackServerContext* context,
                                                           const v1::ValidateRequest* request,
                                                           v1::ValidateResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ValidationResult result = validator_->Validate(InputOf(*request, /*may_wait=*/false));
  if (!result.must_wait()) {
    reactor->Finish(Answer(result, start, response));
    return reactor;
  }
  metrics_->CountWaited();
  // The request and response live until Finish; so does the context.
  blocking_.Post([this, context, reactor, request, response, start] {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the caller gave up before validation started"));
      return;
    }
    reactor->Finish(Answer(validator_->Validate(InputOf(*request, /*may_wait=*/true)), start, response));
  });
  return reactor;
}

// One ValidateStream call. Reads one message at a time (the next read starts as
// soon as a message's items are taken); answers items from memory at once, on
// gRPC's thread, and the rest on the blocking pool. Answers gather while a message
// is being written and go out together in the next one.
// Ends when the caller has closed its side and nothing is pending, at shutdown
// (End: once the answers owed are written), or when the call is over (cancelled:
// then once nothing is being validated).
class ValidateStreamReactor final
    : public grpc::ServerBidiReactor<v1::ValidateStreamRequest, v1::ValidateStreamResponse> {
 public:
  // `ending`: the service is shutting down; the stream ends at once.
  ValidateStreamReactor(TokenValidationService* service, bool ending) : service_(service), ending_(ending) {
    if (ending) {
      finished_ = true;
      Finish(ShuttingDown());
      return;
    }
    StartRead(&request_);
  }

  // Ends the stream with UNAVAILABLE once the answers it owes are written. Called by
  // the service at shutdown, under its list's lock: so never finishes here (OnDone
  // may run inside Finish and take that lock), but from the blocking pool.
  void End() {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_ || ending_) return;
    ending_ = true;
    ++waiting_;  // keeps the reactor until the task has run
    service_->blocking_.Post([this] {
      std::unique_lock<std::mutex> lock(mu_);
      --waiting_;
      FinishIfDone(lock);
    });
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the caller closed its side, or the call is over
      std::unique_lock<std::mutex> lock(mu_);
      reads_done_ = true;
      FinishIfDone(lock);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    // Take the items and start the next read before validating them, so that the
    // next message can be validated on another of gRPC's threads meanwhile. The
    // items count as pending (waiting_) until answered.
    google::protobuf::RepeatedPtrField<v1::ValidateStreamItem> items;
    items.Swap(request_.mutable_items());
    bool read_more = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Ended for shutdown while this message arrived: it goes unanswered, like
      // anything else still on its way (callers send unanswered ids again elsewhere).
      if (finished_) return;
      waiting_ += items.size();
      read_paused_ = broken_ || ending_ || Pending() >= kMaxPendingStreamAnswers;
      read_more = !read_paused_;
    }
    if (read_more) StartRead(&request_);
    std::vector<v1::ValidateStreamAnswer> answered;
    for (v1::ValidateStreamItem& item : items) {
      ValidationResult result = service_->validator_->Validate(InputOf(item.request(), /*may_wait=*/false));
      if (!result.must_wait()) {
        answered.push_back(AnswerOf(item.id(), result, start));
        continue;
      }
      service_->metrics_->CountWaited();
      service_->blocking_.Post([this, item = std::move(item), start] {
        v1::ValidateStreamAnswer answer =
            AnswerOf(item.id(), service_->validator_->Validate(InputOf(item.request(), /*may_wait=*/true)), start);
        std::unique_lock<std::mutex> lock(mu_);
        --waiting_;
        Deliver(lock, &answer, 1);
      });
    }
    std::unique_lock<std::mutex> lock(mu_);
    waiting_ -= static_cast<int>(answered.size());
    Deliver(lock, answered.data(), answered.size());
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    writing_.clear_answers();
    if (!ok) {  // the call is over: nothing more can be sent
      broken_ = true;
      gathering_.clear_answers();
    }
    const bool resume = read_paused_ && !broken_ && !ending_ && Pending() < kMaxPendingStreamAnswers;
    if (resume) read_paused_ = false;
    Deliver(lock, nullptr, 0);
    if (resume) StartRead(&request_);
  }

  void OnDone() override {
    service_->Forget(this);
    delete this;
  }

 private:
  v1::ValidateStreamAnswer AnswerOf(uint64_t id, const ValidationResult& result,
                                    std::chrono::steady_clock::time_point start) {
    v1::ValidateStreamAnswer answer;
    answer.set_id(id);
    const grpc::Status status = service_->Answer(result, start, answer.mutable_response());
    if (!status.ok()) {
      answer.clear_response();
      answer.set_status_code(status.error_code());
      answer.set_status_message(status.error_message());
    }
    return answer;
  }

  size_t Pending() const {
    return static_cast<size_t>(gathering_.answers_size() + writing_.answers_size() + waiting_);
  }

  // Adds `count` answers (dropped once the call is over) to the next message, starts
  // writing it unless a write is in progress, or finishes the call if nothing is
  // left. Unlocks `lock`; Start* and Finish are called without it.
  void Deliver(std::unique_lock<std::mutex>& lock, v1::ValidateStreamAnswer* answers, size_t count) {
    if (!broken_) {
      for (size_t i = 0; i < count; ++i) *gathering_.add_answers() = std::move(answers[i]);
    }
    if (writing_.answers_size() > 0 || gathering_.answers_size() == 0) {
      FinishIfDone(lock);
      return;
    }
    writing_.Swap(&gathering_);
    lock.unlock();
    StartWrite(&writing_);
  }

  static grpc::Status ShuttingDown() {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "token-validation is shutting down; open a new stream (to another replica)");
  }

  // Finishes the call when no read (or the stream is ending), validation or write is
  // left; unlocks `lock`. A read still outstanding then completes with ok false.
  // Nothing touches the reactor after Finish: OnDone deletes it.
  void FinishIfDone(std::unique_lock<std::mutex>& lock) {
    const bool no_more_reads = reads_done_ || ending_ || (broken_ && read_paused_);
    if (finished_ || !no_more_reads || waiting_ > 0 || writing_.answers_size() > 0) {
      lock.unlock();
      return;
    }
    finished_ = true;
    const grpc::Status status = broken_    ? grpc::Status(grpc::StatusCode::CANCELLED, "the stream was cancelled")
                                : ending_ ? ShuttingDown()
                                          : grpc::Status::OK;
    lock.unlock();
    Finish(status);
  }

  TokenValidationService* const service_;
  v1::ValidateStreamRequest request_;  // the read in progress
  std::mutex mu_;                      // guards the fields below
  v1::ValidateStreamResponse writing_;    // the message being written; empty when none is
  v1::ValidateStreamResponse gathering_;  // answers for the next message
  int waiting_ = 0;                       // items read and not yet answered
  bool reads_done_ = false;
  bool read_paused_ = false;  // too much pending: no read in progress until some is written
  bool broken_ = false;       // a write failed: the call is over
  bool ending_ = false;       // the service is shutting down: no more reads
  bool finished_ = false;
};

grpc::ServerBidiReactor<v1::ValidateStreamRequest, v1::ValidateStreamResponse>* TokenValidationService::ValidateStream(
    grpc::CallbackServerContext*) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  auto* reactor = new ValidateStreamReactor(this, streams_ended_);
  if (!streams_ended_) streams_.insert(reactor);
  return reactor;
}

void TokenValidationService::EndStreams() {
  std::lock_guard<std::mutex> lock(streams_mu_);
  streams_ended_ = true;
  for (ValidateStreamReactor* reactor : streams_) reactor->End();
}

void TokenValidationService::Forget(ValidateStreamReactor* reactor) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  streams_.erase(reactor);
}

grpc::Status TokenValidationService::Answer(const ValidationResult& result,
                                            std::chrono::steady_clock::time_point start,
                                            v1::ValidateResponse* response) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_->CountValidation(result.reason(), !result.error().ok(), result.cached(), seconds);
  metrics_->CountDpop(result.dpop_proof_checked, result.reason(), !result.error().ok(), !result.dpop_nonce.empty());
  if (!result.error().ok()) {
    log::Warn("could not validate token", {{"error", std::string(result.error().message())}});
    // A full in-process replay store is an overload (RESOURCE_EXHAUSTED, never a
    // caller's fail_open); anything else is "could not reach / could not fetch".
    const grpc::StatusCode code = result.error().code() == absl::StatusCode::kResourceExhausted
                                      ? grpc::StatusCode::RESOURCE_EXHAUSTED
                                      : grpc::StatusCode::UNAVAILABLE;
    return grpc::Status(code, std::string(result.error().message()));
  }
  FillResponse(result, response);
  return grpc::Status::OK;
}

}  // namespace mcpauth::tv
