#include "tests/support/nginx_process.h"

#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "services/common/strings.h"
#include "tests/support/raw_http.h"
#include "tests/support/service_process.h"
#include "tests/support/wait_for.h"

namespace mcpauth::test {
namespace {

bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NginxProcess>> NginxProcess::Start(const TempDir& dir, std::string_view http_block,
                                                                   int wait_port) {
  const std::string d = dir.path();
  for (const char* sub : {"body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    std::filesystem::create_directory(StrCat(d, "/", sub));
  }
  // Run as root (as tests on CI are), nginx's workers would drop to "nobody" and
  // lose the test's private directory.
  WriteFile(dir.File("nginx.conf"),
            StrCat(geteuid() == 0 ? "user root root;\n" : "", "worker_processes 1;\ndaemon off;\npid ", d,
                   "/nginx.pid;\nerror_log ", d, "/nginx-error.log warn;\nevents { worker_connections 256; }\n",
                   "http {\n  access_log off;\n  client_body_temp_path ", d, "/body;\n  proxy_temp_path ", d,
                   "/proxy;\n  fastcgi_temp_path ", d, "/fastcgi;\n  uwsgi_temp_path ", d, "/uwsgi;\n  scgi_temp_path ",
                   d, "/scgi;\n", http_block, "\n}\n"));
  auto process = ChildProcess::Start(
      {.argv = {"nginx", "-p", d, "-c", dir.File("nginx.conf")}, .log_path = dir.File("nginx.log")});
  if (!process.ok()) return absl::Status(process.status().code(), StrCat(process.status().message(), " (tools/setup installs Debian's nginx)"));
  std::unique_ptr<NginxProcess> nginx(new NginxProcess(dir, std::move(*process)));
  if (!WaitFor([&] { return Accepts(wait_port) || !nginx->process_->Running(); }, absl::Seconds(20)) ||
      !nginx->process_->Running()) {
    return absl::UnavailableError(StrCat("nginx did not start:\n", LogTail(nginx->LogText())));
  }
  return nginx;
}

NginxProcess::~NginxProcess() { Stop(); }

void NginxProcess::Reload() { process_->Signal(SIGHUP); }

int NginxProcess::Stop() { return process_->Stop(); }

std::string NginxProcess::LogText() const { return StrCat(process_->LogText(), File("nginx-error.log")); }

std::string NginxProcess::File(std::string_view name) const {
  return ReadFile(dir_.File(name));
}

}  // namespace mcpauth::test
