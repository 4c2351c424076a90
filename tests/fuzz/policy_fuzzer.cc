// libFuzzer target: the policy compiler and matcher (services/scope_policy). The
// input is a policy document (policy_file layout); when it compiles, decisions are
// taken for targets and scopes derived from the same bytes, and checked for
// consistency: Decide and IsAllowed agree, an allowed decision misses nothing, a
// denied one names what is missing, and list filtering agrees with Decide.
#include <cstdint>
#include <string>
#include <vector>

#include "services/scope_policy/decision.h"
#include "services/scope_policy/policy.h"

using namespace mcpauth;
using namespace mcpauth::sp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto policy = CompilePolicyText(text, "fuzz");
  if (!policy.ok()) return 0;
  // Names and scopes: the words of the document itself, so rules get hit.
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == ':' || c == '[' || c == ']' || c == ',' || c == '{' || c == '}' || c == '"') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += c;
    }
    if (words.size() > 64) break;
  }
  if (!word.empty()) words.push_back(word);
  words.push_back("");
  const std::vector<std::string_view> scopes = ScopeViews(words);
  const std::vector<std::string_view> half(scopes.begin(), scopes.begin() + static_cast<long>(scopes.size() / 2));
  for (const char* method : {"tools/call", "resources/read", "prompts/get", "tools/list", "initialize"}) {
    for (const std::string& target : words) {
      for (bool anonymous : {false, true}) {
        for (const auto* s : {&scopes, &half}) {
          Decision d = Decide(**policy, *s, anonymous, method, target);
          if (d.allowed != IsAllowed(**policy, *s, anonymous, method, target)) __builtin_trap();
          if (d.allowed && !d.missing_scopes.empty()) __builtin_trap();
          if (!d.allowed && d.message.empty()) __builtin_trap();
        }
      }
    }
  }
  const std::vector<std::string> tools = FilterAllowed(**policy, half, false, v1::LIST_KIND_TOOLS, words);
  for (const std::string& t : tools) {
    if (!IsAllowed(**policy, half, false, "tools/call", t)) __builtin_trap();
  }
  return 0;
}
