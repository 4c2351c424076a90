// The MCP methods the suite decides on, filters or reads, in one table.
//
//   method                     a call uses          a result lists
//   tools/call                 a tool (name)        -
//   resources/read             a resource (uri)     -
//   resources/subscribe        a resource (uri)     -
//   resources/unsubscribe      a resource (uri)     -
//   prompts/get                a prompt (name)      -
//   tools/list                 -                    tools
//   resources/list             -                    resources
//   resources/templates/list   -                    resource templates
//   prompts/list               -                    prompts
//
// completion/complete uses the prompt or resource template it names (params.ref);
// initialize carries the protocol version. JSON-RPC method names are case-sensitive.
#pragma once

#include <optional>
#include <string_view>

#include "mcpauth/v1/scope_policy.pb.h"

namespace mcpauth::sp {

inline constexpr std::string_view kCompletionComplete = "completion/complete";
inline constexpr std::string_view kInitialize = "initialize";

struct McpMethod {
  std::string_view name;
  v1::TargetKind uses = v1::TARGET_KIND_NONE;     // what a call of it names
  v1::ListKind lists = v1::LIST_KIND_UNSPECIFIED;  // what its result lists
};

inline constexpr McpMethod kMcpMethods[] = {
    {"tools/call", v1::TARGET_KIND_TOOL},
    {"resources/read", v1::TARGET_KIND_RESOURCE},
    {"resources/subscribe", v1::TARGET_KIND_RESOURCE},
    {"resources/unsubscribe", v1::TARGET_KIND_RESOURCE},
    {"prompts/get", v1::TARGET_KIND_PROMPT},
    {"tools/list", v1::TARGET_KIND_NONE, v1::LIST_KIND_TOOLS},
    {"resources/list", v1::TARGET_KIND_NONE, v1::LIST_KIND_RESOURCES},
    {"resources/templates/list", v1::TARGET_KIND_NONE, v1::LIST_KIND_RESOURCE_TEMPLATES},
    {"prompts/list", v1::TARGET_KIND_NONE, v1::LIST_KIND_PROMPTS},
};

// The kind of target `method` names (NONE for methods without one).
constexpr v1::TargetKind TargetKindOf(std::string_view method) {
  for (const McpMethod& m : kMcpMethods) {
    if (m.name == method) return m.uses;
  }
  return v1::TARGET_KIND_NONE;
}

// What a result of `method` lists (nullopt for methods that list nothing).
constexpr std::optional<v1::ListKind> ListKindOf(std::string_view method) {
  for (const McpMethod& m : kMcpMethods) {
    if (m.name == method && m.lists != v1::LIST_KIND_UNSPECIFIED) return m.lists;
  }
  return std::nullopt;
}

// The kind of target a list's items are (resource templates are resources).
constexpr v1::TargetKind ItemKindOf(v1::ListKind kind) {
  switch (kind) {
    case v1::LIST_KIND_TOOLS: return v1::TARGET_KIND_TOOL;
    case v1::LIST_KIND_RESOURCES:
    case v1::LIST_KIND_RESOURCE_TEMPLATES: return v1::TARGET_KIND_RESOURCE;
    case v1::LIST_KIND_PROMPTS: return v1::TARGET_KIND_PROMPT;
    default: return v1::TARGET_KIND_NONE;
  }
}

// The method whose decision governs whether an item of a list is shown:
// tools/call, resources/read (also for resource templates), prompts/get; "" for
// LIST_KIND_UNSPECIFIED and values the enum does not declare.
constexpr std::string_view ListItemMethod(v1::ListKind kind) {
  const v1::TargetKind item = ItemKindOf(kind);
  for (const McpMethod& m : kMcpMethods) {
    if (item != v1::TARGET_KIND_NONE && m.uses == item) return m.name;
  }
  return "";
}

}  // namespace mcpauth::sp
