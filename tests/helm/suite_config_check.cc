// mcpauth-suite-config-check CONFIG [POLICY]: what the services do with a suite
// configuration before serving, without serving: parse it with the suite's schema
// (unknown keys, wrong types, bad URLs and scopes are errors naming the key) and
// compile its policy (from the file itself, or from POLICY when it sets policy_file)
// as scope-policy does. Prints "ok" or the error; exit 0 or 1. The chart tests run it
// on every configuration the chart renders.
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>

#include "services/common/suite_config.h"
#include "services/scope_policy/policy.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s CONFIG [POLICY]\n", argv[0]);
    return 2;
  }
  try {
    const mcpauth::SuiteConfig config = mcpauth::LoadSuiteConfig(argv[1]);
    if (config.policy_file.empty()) {
      auto compiled = mcpauth::sp::CompiledPolicy::Compile(config.policy);
      if (!compiled.ok()) throw mcpauth::ConfigError(std::string(compiled.status().message()));
    } else if (argc == 3) {
      std::ifstream in(argv[2], std::ios::binary);
      if (!in) throw mcpauth::ConfigError(std::string("cannot read policy file ") + argv[2]);
      std::stringstream text;
      text << in.rdbuf();
      auto compiled = mcpauth::sp::CompilePolicyText(text.str(), argv[2]);
      if (!compiled.ok())
        throw mcpauth::ConfigError(std::string("policy_file: ") + std::string(compiled.status().message()));
    } else {
      throw mcpauth::ConfigError("policy_file is set: pass the policy file as the second argument");
    }
  } catch (const std::exception& e) {
    std::printf("%s\n", e.what());
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
