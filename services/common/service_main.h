// The shared shape of every service binary: `NAME --config FILE`, a one-line error
// and a non-zero exit for a bad command line or configuration.
#pragma once

#include "services/common/suite_config.h"

namespace mcpauth {

// Parses the command line, loads the config and calls `run`. Exit codes: run's
// result; 2 for usage or configuration errors (one line on stderr naming the key).
int RunServiceMain(const char* name, int argc, char** argv, int (*run)(const SuiteConfig&));

}  // namespace mcpauth
