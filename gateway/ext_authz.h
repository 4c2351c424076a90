// Envoy's external authorization API (envoy.service.auth.v3.Authorization/Check)
// served by the gateway: Envoy (and Istio's CUSTOM provider, Contour, Emissary) asks
// before forwarding a request, and gets the gateway's own decision (front_door.h):
// OK with the identity headers to set and the credential headers to remove, or a
// denied response with the exact status, WWW-Authenticate and body the gateway
// would have sent. With with_request_body the JSON-RPC body is decided per message
// as on the gateway's routes; a body Envoy cut (x-envoy-auth-partial-body) counts
// as not seen.
#pragma once

#include <functional>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "gateway/front_door.h"
#include "gateway/settings.h"

namespace mcpauth::gw {

class Gateway;

namespace authz = envoy::service::auth::v3;

// The held request a CheckRequest describes; an error (a denied 400) when it
// describes none the gateway could decide on: no method or path, a header name or
// value HTTP cannot carry. `limits` bounds the headers and the body.
absl::StatusOr<HeldRequest> HeldFromCheck(const authz::CheckRequest& check, const GatewayLimits& limits);
// The CheckResponse that makes Envoy carry out `verdict`.
void FillCheckResponse(const Verdict& verdict, authz::CheckResponse& response);

class ExtAuthzService final : public authz::Authorization::CallbackService {
 public:
  // Decisions run on `executor()` (the gateway's threads), not on gRPC's.
  ExtAuthzService(Gateway* gateway, std::function<asio::any_io_executor()> executor)
      : gateway_(gateway), executor_(std::move(executor)) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context, const authz::CheckRequest* request,
                                  authz::CheckResponse* response) override;

 private:
  Gateway* gateway_;
  std::function<asio::any_io_executor()> executor_;
};

}  // namespace mcpauth::gw
