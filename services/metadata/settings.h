// The `metadata` section: what the RFC 9728 documents say about the resource.
#pragma once

#include <string>
#include <vector>

#include "services/common/service_section.h"

namespace mcpauth {

struct MetadataSection : ServiceSection {
  std::string resource_name;
  std::string resource_documentation;
  std::vector<std::string> scopes_supported;  // empty: the policy's server-level required scopes
};

}  // namespace mcpauth
