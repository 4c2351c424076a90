// Debian's nginx run by a test, in the test's own directory: a reverse proxy to
// compare the gateway with, a TLS front for a plain upstream, a forward-auth
// client. The test writes only the `http { ... }` block's content; the rest (pid,
// logs, temporary paths, one worker, no daemon) is set here.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::test {

class NginxProcess {
 public:
  // Writes dir/nginx.conf around `http_block` and starts nginx; waits (up to 20 s)
  // until 127.0.0.1:`wait_port` accepts connections. Errors carry nginx's output
  // and error log.
  static absl::StatusOr<std::unique_ptr<NginxProcess>> Start(const TempDir& dir, std::string_view http_block,
                                                             int wait_port);
  ~NginxProcess();  // Stop()

  // Asks nginx to read its configuration and certificates again (SIGHUP) — how
  // nginx is told of a rotated certificate.
  void Reload();
  int Stop();
  // nginx's output, then its error log.
  std::string LogText() const;
  // dir/<name> holds what an access_log line there wrote.
  std::string File(std::string_view name) const;

 private:
  NginxProcess(const TempDir& dir, std::unique_ptr<ChildProcess> process) : dir_(dir), process_(std::move(process)) {}
  const TempDir& dir_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace mcpauth::test
