// mcpauth.v1.TokenValidation over gRPC: maps validation results to replies. A bad
// token is an OK reply with valid=false; only "could not decide" is an error status.
#pragma once

#include "mcpauth/v1/token_validation.grpc.pb.h"
#include "services/token_validation/validator.h"

namespace mcpauth::tv {

class TokenValidationService final : public v1::TokenValidation::Service {
 public:
  TokenValidationService(TokenValidator* validator, TokenValidationMetrics* metrics)
      : validator_(validator), metrics_(metrics) {}

  grpc::Status Validate(grpc::ServerContext* context, const v1::ValidateRequest* request,
                        v1::ValidateResponse* response) override;

 private:
  TokenValidator* validator_;
  TokenValidationMetrics* metrics_;
};

// Fills `response` from `result` (also used by the CLI and tests).
void FillResponse(const ValidationResult& result, v1::ValidateResponse* response);

}  // namespace mcpauth::tv
