// libFuzzer target: the config loader. The input is a suite YAML file; yaml-cpp
// parses it and ParseSuiteConfig checks every key, type and cross-reference. A bad
// file must end as a ConfigError (or yaml-cpp's own exception) naming the problem,
// never as a crash; a good one must survive the derived views every service uses.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "services/common/suite_config.h"

using namespace mcpauth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const YAML::Node root = YAML::Load(text);
    SuiteConfig config = ParseSuiteConfig(root);
    (void)config.EffectiveAuthorizationServers();
  } catch (const ConfigError&) {
  } catch (const YAML::Exception&) {
  }
  return 0;
}
