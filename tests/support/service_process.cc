#include "tests/support/service_process.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdlib>

#include "absl/time/time.h"
#include "services/common/strings.h"
#include "tests/support/grpc_health.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/ports.h"
#include "tests/support/wait_for.h"

namespace mcpauth::test {
namespace {

const absl::Duration kStartTimeout = absl::Seconds(20);
const absl::Duration kStartPollInterval = absl::Milliseconds(50);

}  // namespace

std::string Binary(std::string_view name) {
  const char* dir = std::getenv("MCPAUTH_TEST_BIN_DIR");
  if (dir != nullptr && *dir != '\0') return StrCat(dir, "/", name);
  return StrCat(MCPAUTH_BINARY_DIR, "/bin/", name);
}

std::string LogTail(const std::string& text, size_t max_chars) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

ServiceProcess::ServiceProcess(const TempDir& dir, std::string name, std::string_view binary,
                               std::string_view shared_config, std::string_view section,
                               std::string_view section_lines)
    : name_(std::move(name)),
      binary_(Binary(binary)),
      grpc_port_(PickFreePort()),
      metrics_port_(PickFreePort()),
      config_path_(dir.File(name_ + ".yaml")),
      log_path_(dir.File(name_ + ".log")) {
  // clang-format off
  WriteFile(config_path_, StrCat(
      shared_config,
      section, ":\n"
      "  listen: 127.0.0.1:", grpc_port_, "\n"
      "  metrics_listen: 127.0.0.1:", metrics_port_, "\n"
      "  shutdown_grace: 1\n",
      section_lines));
  // clang-format on
}

ServiceProcess::~ServiceProcess() { Stop(); }

absl::Status ServiceProcess::Start() {
  auto process = ChildProcess::Start({.argv = {binary_, "--config", config_path_}, .log_path = log_path_});
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  const bool up =
      WaitFor([this] { return !process_->Running() || GrpcHealthServing(health_address()); }, kStartTimeout,
              kStartPollInterval);
  if (!up || !process_->Running()) {
    const int status = process_->Stop();
    return absl::UnavailableError(
        StrCat(name_, " did not become SERVING (exit status ", status, "); log:\n", LogTail(process_->LogText())));
  }
  if (health_address_.empty()) channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  return absl::OkStatus();
}

int ServiceProcess::Stop() { return process_ ? process_->Stop() : -1; }

std::string ServiceProcess::address() const { return StrCat("127.0.0.1:", grpc_port_); }

std::string ServiceProcess::health_address() const { return health_address_.empty() ? address() : health_address_; }

std::string ServiceProcess::metrics_url() const { return StrCat("http://127.0.0.1:", metrics_port_, "/metrics"); }

std::optional<double> ServiceProcess::Metric(const std::string& sample) const {
  return ScrapeMetric(metrics_url(), sample);
}

std::string ServiceProcess::LogText() const { return process_ ? process_->LogText() : ""; }

}  // namespace mcpauth::test
