// Whether a scope the caller holds grants a scope the policy requires, under the
// policy's scope_strategy:
//
//   exact       a held scope grants only itself.
//   wildcard    also, a held scope ending in ":*" grants every scope that starts
//               with what precedes the '*', at any depth: "files:*" grants
//               "files:delete" and "files:read:x", but not "files" itself nor
//               "filesystem:x". A held "*" alone grants every scope. A '*'
//               anywhere else in a held scope is an ordinary character.
//   hierarchic  also, a held scope grants every scope below it, segments being
//               separated by ':': "files" grants "files:delete" and
//               "files:read:all"; "files:read" grants "files:read:all" but not
//               "files" nor "files:readme".
//
// Every strategy grants a scope to a caller holding exactly that scope, so a
// policy never needs to change when its strategy does.
#pragma once

#include <span>
#include <string_view>

#include "mcpauth/v1/scope_policy.pb.h"

namespace mcpauth::sp {

using ScopeStrategy = v1::ScopeStrategy;  // EXACT, WILDCARD, HIERARCHIC

bool Grants(ScopeStrategy strategy, std::string_view held, std::string_view required);

// True when any of `held` grants `required`.
bool AnyGrants(ScopeStrategy strategy, std::span<const std::string_view> held, std::string_view required);

// An RFC 6749 §3.3 scope-token: one or more of %x21 / %x23-5B / %x5D-7E
// (printable ASCII except space, '"' and '\').
bool IsScopeToken(std::string_view scope);

}  // namespace mcpauth::sp
