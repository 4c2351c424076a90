// What every service's section of the configuration has (SuiteConfig in
// suite_config.h is the whole file): where it listens and how long it drains.
#pragma once

#include <string>

#include "absl/time/time.h"

namespace mcpauth {

struct ServiceSection {
  std::string listen;          // host:port the service binds
  std::string metrics_listen;  // host:port of its Prometheus endpoint; empty: none
  std::string address;         // how the other services reach it; default: listen
  absl::Duration shutdown_grace = absl::Seconds(10);  // in-flight calls get this long
};

}  // namespace mcpauth
