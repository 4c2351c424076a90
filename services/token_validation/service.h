// mcpauth.v1.TokenValidation over gRPC: maps validation results to replies. A bad
// token is an OK reply with valid=false; only "could not decide" is an error status.
//
// gRPC's callback API: a call that can be answered from memory (a cached token, or
// a signature checked against keys held fresh in memory) is answered on the gRPC
// thread that received it, with no hand-off between threads. A call that has to
// wait (fetching keys or discovery, an unknown kid, the DPoP replay store in Redis)
// moves to a pool of blocking threads, so gRPC's own few threads never wait on the
// network.
#pragma once

#include <mutex>
#include <set>

#include "mcpauth/v1/token_validation.grpc.pb.h"
#include "services/common/worker_pool.h"
#include "services/token_validation/validator.h"

namespace mcpauth::tv {

class ValidateStreamReactor;

// How many calls may wait on the network or Redis at the same time; more queue.
inline constexpr int kBlockingValidationThreads = 32;
// ValidateStream: answers pending on one stream (being validated or not yet
// written) before the service stops reading more from it.
inline constexpr size_t kMaxPendingStreamAnswers = 1024;

class TokenValidationService final : public v1::TokenValidation::CallbackService {
 public:
  TokenValidationService(TokenValidator* validator, TokenValidationMetrics* metrics,
                         int blocking_threads = kBlockingValidationThreads)
      : validator_(validator), metrics_(metrics), blocking_(blocking_threads) {}

  grpc::ServerUnaryReactor* Validate(grpc::CallbackServerContext* context, const v1::ValidateRequest* request,
                                     v1::ValidateResponse* response) override;
  grpc::ServerBidiReactor<v1::ValidateStreamRequest, v1::ValidateStreamResponse>* ValidateStream(
      grpc::CallbackServerContext* context) override;

  // At shutdown: every open ValidateStream ends with UNAVAILABLE once the answers it
  // owes are written, and streams opened later end at once, so callers move to
  // another replica instead of holding this one until the grace period runs out.
  void EndStreams();

 private:
  friend class ValidateStreamReactor;
  void Forget(ValidateStreamReactor* reactor);  // its stream is done

  // Counts the call and turns `result` into the reply and status.
  grpc::Status Answer(const ValidationResult& result, std::chrono::steady_clock::time_point start,
                      v1::ValidateResponse* response);

  TokenValidator* validator_;
  TokenValidationMetrics* metrics_;
  std::mutex streams_mu_;
  std::set<ValidateStreamReactor*> streams_;  // open ValidateStreams
  bool streams_ended_ = false;
  WorkerPool blocking_;  // last: joined first, while the validator is still there
};

// Fills `response` from `result` (also used by the CLI and tests).
void FillResponse(const ValidationResult& result, v1::ValidateResponse* response);

}  // namespace mcpauth::tv
