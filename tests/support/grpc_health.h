// grpc.health.v1 checks without generated stubs (Debian's gRPC ships none): a
// GenericStub call with the request and response bytes written out by hand.
#pragma once

#include <string>

#include "absl/time/time.h"

namespace mcpauth::test {

// True when `address` (host:port) answers Health/Check for `service` ("" means
// the server as a whole) with SERVING within `deadline`.
bool GrpcHealthServing(const std::string& address, const std::string& service = "",
                       absl::Duration deadline = absl::Seconds(1));

}  // namespace mcpauth::test
