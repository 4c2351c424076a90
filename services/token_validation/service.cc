#include "services/token_validation/service.h"

#include <chrono>
#include <cmath>

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
