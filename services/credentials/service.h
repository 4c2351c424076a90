// mcpauth.v1.Credentials over gRPC: store, list and revoke sealed credentials.
#pragma once

#include "mcpauth/v1/credentials.grpc.pb.h"
#include "services/common/clock.h"
#include "services/credentials/credentials_metrics.h"
#include "services/credentials/store.h"
#include "services/credentials/vault.h"

namespace mcpauth::credentials {

// The largest secret accepted (API keys and tokens are far smaller).
inline constexpr size_t kMaxSecretBytes = 16 * 1024;
// The largest sealed value accepted.
inline constexpr size_t kMaxSealedBytes = 64 * 1024;

class CredentialsService final : public v1::Credentials::Service {
 public:
  CredentialsService(const Vault* vault, CredentialStore* store, CredentialsMetrics* metrics,
                     const Clock* clock = SystemClock::Get());

  grpc::Status Store(grpc::ServerContext*, const v1::StoreCredentialRequest* request,
                     v1::CredentialInfo* response) override;
  grpc::Status List(grpc::ServerContext*, const v1::ListCredentialsRequest* request,
                    v1::ListCredentialsResponse* response) override;
  grpc::Status Revoke(grpc::ServerContext*, const v1::RevokeCredentialRequest* request,
                      v1::RevokeCredentialResponse* response) override;

 private:
  grpc::Status Failed(const char* operation, const absl::Status& status);

  const Vault* vault_;
  CredentialStore* store_;
  CredentialsMetrics* metrics_;
  const Clock* clock_;
};

}  // namespace mcpauth::credentials
