// mcpauth-credentials as a process for the credentials tests.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/wait_for.h"

namespace mcpauth::test {

// Starts mcpauth-credentials with `config` (its log at `log`) and waits until its
// gRPC health answers at `address`.
inline absl::StatusOr<std::unique_ptr<ChildProcess>> StartCredentialsService(const std::string& config,
                                                                             const std::string& log,
                                                                             const std::string& address) {
  auto p = ChildProcess::Start({.argv = {StrCat(MCPAUTH_BINARY_DIR, "/bin/mcpauth-credentials"), "--config", config},
                                .env = {},
                                .log_path = log,
                                .stderr_path = ""});
  if (!p.ok()) return p.status();
  if (!WaitFor([&] { return GrpcHealthServing(address); }, absl::Seconds(20), absl::Milliseconds(50))) {
    return absl::UnavailableError(StrCat("mcpauth-credentials did not start: ", (*p)->LogText()));
  }
  return p;
}

}  // namespace mcpauth::test
