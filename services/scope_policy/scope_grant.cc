#include "services/scope_policy/scope_grant.h"

namespace mcpauth::sp {

bool Grants(ScopeStrategy strategy, std::string_view held, std::string_view required) {
  if (held == required) return true;
  switch (strategy) {
    case v1::SCOPE_STRATEGY_WILDCARD: {
      if (held == "*") return true;
      if (held.size() < 2 || held.substr(held.size() - 2) != ":*") return false;
      const std::string_view prefix = held.substr(0, held.size() - 1);  // keeps the ':'
      return required.size() > prefix.size() && required.substr(0, prefix.size()) == prefix;
    }
    case v1::SCOPE_STRATEGY_HIERARCHIC:
      return required.size() > held.size() && required[held.size()] == ':' &&
             required.substr(0, held.size()) == held;
    default:  // exact
      return false;
  }
}

bool AnyGrants(ScopeStrategy strategy, std::span<const std::string_view> held, std::string_view required) {
  for (std::string_view h : held) {
    if (Grants(strategy, h, required)) return true;
  }
  return false;
}

bool IsScopeToken(std::string_view scope) {
  if (scope.empty()) return false;
  for (const char ch : scope) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace mcpauth::sp
