#include "services/token_validation/service.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <mutex>

#include "services/common/log.h"

namespace mcpauth::tv {

void FillResponse(const ValidationResult& result, v1::ValidateResponse* response) {
  response->set_valid(result.valid());
  response->set_reason(result.reason);
  response->set_cached(result.cached);
  response->set_dpop_nonce(result.dpop_nonce);
  if (!result.valid()) {
    response->set_error(std::string(ReasonErrorCode(result.reason)));
    response->set_error_description(std::string(ReasonText(result.reason)));
    return;
  }
  const JwtClaims& c = result.token->claims;
  v1::Principal* p = response->mutable_principal();
  p->set_subject(c.subject.value_or(""));
  for (const std::string& s : c.scopes) p->add_scopes(s);
  p->set_issuer(c.issuer.value_or(""));
  for (const std::string& a : c.audiences) p->add_audiences(a);
  p->set_client_id(c.client_id.value_or(""));
  p->set_expires_at(static_cast<int64_t>(std::floor(c.expires_at.value_or(0))));
  p->set_issued_at(static_cast<int64_t>(std::floor(c.issued_at.value_or(0))));
  p->set_token_id(c.token_id.value_or(""));
  p->set_claims_json(result.token->claims_json);
  p->set_confirmation_jkt(c.confirmation_jkt.value_or(""));
}

namespace {

// A stream's answer with others queued behind it may wait in gRPC's buffer for them
// (one write to the socket for the lot); the last of a burst goes out at once and
// takes the buffered ones with it.
grpc::WriteOptions CoalesceWhenMoreFollow(size_t queued) {
  grpc::WriteOptions options;
  if (queued > 1) options.set_buffer_hint();
  return options;
}

ValidationInput InputOf(const v1::ValidateRequest& request, bool may_wait) {
  return {.token = request.token(),
          .resource = request.resource(),
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
  if (!result.must_wait) {
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

// One ValidateStream call. Reads one request at a time; answers from memory at
// once, on gRPC's thread, and the rest on the blocking pool; writes one answer at a
// time from a queue. Ends when the caller has closed its side and nothing is
// pending, or when the call is cancelled (then once nothing is being validated).
class ValidateStreamReactor final
    : public grpc::ServerBidiReactor<v1::ValidateStreamRequest, v1::ValidateStreamResponse> {
 public:
  explicit ValidateStreamReactor(TokenValidationService* service) : service_(service) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the caller closed its side, or the call is over
      std::unique_lock<std::mutex> lock(mu_);
      reads_done_ = true;
      FinishIfDone(lock);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    ValidationResult result = service_->validator_->Validate(InputOf(request_.request(), /*may_wait=*/false));
    if (!result.must_wait) {
      Deliver(Reply(request_.id(), result, start), /*waited=*/false);
    } else {
      service_->metrics_->CountWaited();
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++waiting_;
      }
      service_->blocking_.Post([this, request = std::move(request_), start] {
        Deliver(Reply(request.id(), service_->validator_->Validate(InputOf(request.request(), /*may_wait=*/true)),
                      start),
                /*waited=*/true);
      });
    }
    bool read_more = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      read_more = !broken_ && outbox_.size() + static_cast<size_t>(waiting_) < kMaxPendingStreamAnswers;
      read_paused_ = !read_more;
    }
    if (read_more) StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    outbox_.pop_front();
    if (!ok) {  // the call is over: nothing more can be sent
      broken_ = true;
      outbox_.clear();
    }
    writing_ = !outbox_.empty();
    const v1::ValidateStreamResponse* next = writing_ ? &outbox_.front() : nullptr;
    const grpc::WriteOptions options = CoalesceWhenMoreFollow(outbox_.size());
    const bool resume = read_paused_ && !broken_ &&
                        outbox_.size() + static_cast<size_t>(waiting_) < kMaxPendingStreamAnswers;
    if (resume) read_paused_ = false;
    if (next == nullptr && !resume) {
      FinishIfDone(lock);
      return;
    }
    lock.unlock();
    if (next) StartWrite(next, options);
    if (resume) StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  v1::ValidateStreamResponse Reply(uint64_t id, const ValidationResult& result,
                                   std::chrono::steady_clock::time_point start) {
    v1::ValidateStreamResponse reply;
    reply.set_id(id);
    const grpc::Status status = service_->Answer(result, start, reply.mutable_response());
    if (!status.ok()) {
      reply.clear_response();
      reply.set_status_code(status.error_code());
      reply.set_status_message(status.error_message());
    }
    return reply;
  }

  // Queues `reply` (dropped once the call is over) and starts writing if idle.
  void Deliver(v1::ValidateStreamResponse reply, bool waited) {
    std::unique_lock<std::mutex> lock(mu_);
    if (waited) --waiting_;
    if (!broken_) outbox_.push_back(std::move(reply));
    if (writing_ || outbox_.empty()) {
      FinishIfDone(lock);
      return;
    }
    writing_ = true;
    const v1::ValidateStreamResponse* next = &outbox_.front();  // deque: stays put while others are added
    lock.unlock();
    StartWrite(next);
  }

  // Finishes the call when no read, validation or write is left; unlocks `lock`.
  // Nothing touches the reactor after Finish: OnDone deletes it.
  void FinishIfDone(std::unique_lock<std::mutex>& lock) {
    const bool no_more_reads = reads_done_ || (broken_ && read_paused_);
    if (finished_ || !no_more_reads || waiting_ > 0 || writing_) return;
    finished_ = true;
    const bool cancelled = broken_;
    lock.unlock();
    Finish(cancelled ? grpc::Status(grpc::StatusCode::CANCELLED, "the stream was cancelled") : grpc::Status::OK);
  }

  TokenValidationService* const service_;
  v1::ValidateStreamRequest request_;  // the read in progress
  std::mutex mu_;                      // guards the fields below
  std::deque<v1::ValidateStreamResponse> outbox_;  // the front is being written while writing_
  int waiting_ = 0;                                 // validations on the blocking pool
  bool writing_ = false;
  bool reads_done_ = false;
  bool read_paused_ = false;  // too much pending: no read in progress until some is written
  bool broken_ = false;       // a write failed: the call is over
  bool finished_ = false;
};

grpc::ServerBidiReactor<v1::ValidateStreamRequest, v1::ValidateStreamResponse>* TokenValidationService::ValidateStream(
    grpc::CallbackServerContext*) {
  return new ValidateStreamReactor(this);
}

grpc::Status TokenValidationService::Answer(const ValidationResult& result,
                                            std::chrono::steady_clock::time_point start,
                                            v1::ValidateResponse* response) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_->CountValidation(result.reason, !result.error.ok(), result.cached, seconds);
  metrics_->CountDpop(result.dpop_proof_checked, result.reason, !result.error.ok(), !result.dpop_nonce.empty());
  if (!result.error.ok()) {
    log::Warn("could not validate token", {{"error", std::string(result.error.message())}});
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(result.error.message()));
  }
  FillResponse(result, response);
  return grpc::Status::OK;
}

}  // namespace mcpauth::tv
