#include "services/common/service_main.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "absl/synchronization/mutex.h"
#include "services/common/log.h"

namespace mcpauth {

int RunServiceMain(const char* name, int argc, char** argv, int (*run)(const SuiteConfig&)) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strncmp(argv[i], "--config=", 9) == 0) {
      config_path = argv[i] + 9;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: %s --config FILE\n", name);
      return 0;
    } else if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("%s 0.1.0\n", name);
      return 0;
    } else {
      std::fprintf(stderr, "%s: unknown argument \"%s\"; usage: %s --config FILE\n", name, argv[i], name);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "%s: missing --config FILE\n", name);
    return 2;
  }
  // Debian's abseil is built with Mutex deadlock detection on, a debugging aid that
  // records every lock acquisition in a global graph; gRPC's locks are absl::Mutex,
  // so every call paid for it (4-5% of token-validation's CPU under load, perf).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  try {
    SuiteConfig config = LoadSuiteConfig(config_path);
    ReleaseFreedMemory();  // the file's node tree is gone (large with a large policy)
    return run(config);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s: configuration error: %s\n", name, e.what());
    return 2;
  } catch (const std::exception& e) {
    log::Error("fatal error", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace mcpauth
