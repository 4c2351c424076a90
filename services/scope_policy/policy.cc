#include "services/scope_policy/policy.h"

#include <algorithm>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <yaml-cpp/yaml.h>

#include "proto/enum_label.h"
#include "services/common/sha256.h"
#include "services/common/strings.h"
#include "services/common/suite_config.h"
#include "services/common/yaml_reader.h"
#include "services/scope_policy/resource_uri.h"
#include "services/scope_policy/scope_grant.h"

namespace mcpauth::sp {
namespace {

std::vector<std::string> SortedUnique(std::vector<std::string> scopes) {
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  return scopes;
}

std::vector<std::string> SortedUnion(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

template <typename Scopes>
absl::Status CheckScopes(const Scopes& scopes, std::string_view path) {
  for (int i = 0; i < static_cast<int>(scopes.size()); ++i) {
    if (!IsScopeToken(scopes[i])) {
      return absl::InvalidArgumentError(
          StrCat(path, "[", i, "]: a scope must be non-empty printable ASCII without spaces, quotes or "
                              "backslashes (RFC 6749 §3.3)"));
    }
  }
  return absl::OkStatus();
}

bool IsSuffixOf(std::string_view suffix, std::string_view text) {
  return suffix.size() <= text.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view TargetKindKey(TargetKind kind) {
  switch (kind) {
    case v1::TARGET_KIND_TOOL: return "tools";
    case v1::TARGET_KIND_RESOURCE: return "resources";
    case v1::TARGET_KIND_PROMPT: return "prompts";
    default: return "";
  }
}

// Builds a CompiledPolicy's parts; a friend of both classes.
class PolicyCompiler {
 public:
  static absl::Status BuildRules(const google::protobuf::RepeatedPtrField<v1::ScopeRule>& rules,
                                 std::string_view key, const std::vector<std::string>& server_scopes, RuleSet& out) {
    out.rules_.reserve(rules.size());
    for (const v1::ScopeRule& r : rules) {
      const std::string path = StrCat(key, ".", r.pattern());
      if (r.pattern().empty()) return absl::InvalidArgumentError(StrCat(key, ": a name or pattern must not be empty"));
      if (absl::Status s = CheckScopes(r.required_scopes(), StrCat(path, ".required_scopes")); !s.ok()) return s;
      std::string pattern = r.pattern();
      if (key == TargetKindKey(v1::TARGET_KIND_RESOURCE)) {
        // Targets are matched by their normal form, so patterns are put in it too.
        absl::StatusOr<std::string> normal = NormalizeResourcePattern(pattern);
        if (!normal.ok()) {
          return absl::InvalidArgumentError(
              StrCat(path, ": a resource URI must have a normal form (RFC 3986 §6), but ", normal.status().message()));
        }
        pattern = std::move(*normal);
      }
      CompiledRule rule{.pattern = NamePattern(std::move(pattern)),
                        .path = path,
                        .rule_scopes = SortedUnique({r.required_scopes().begin(), r.required_scopes().end()})};
      rule.operation_scopes = SortedUnion(server_scopes, rule.rule_scopes);
      rule.challenge_scope = StrJoin(rule.operation_scopes, " ");
      out.rules_.push_back(std::move(rule));
    }
    // From here on rules_ never changes, so views into it stay valid.
    absl::flat_hash_map<std::string_view, const CompiledRule*> patterns;
    for (const CompiledRule& rule : out.rules_) {
      auto& seen = rule.pattern.is_exact() ? out.exact_ : patterns;
      auto [it, inserted] = seen.emplace(rule.pattern.text(), &rule);
      if (!inserted) {
        return absl::InvalidArgumentError(rule.path == it->second->path
                                              ? StrCat(rule.path, ": appears more than once")
                                              : StrCat(rule.path, ": duplicates ", it->second->path));
      }
      if (!rule.pattern.is_exact()) out.patterns_by_prefix_[rule.pattern.literal_prefix()].push_back(&rule);
    }
    for (const auto& [prefix, unused] : out.patterns_by_prefix_) out.prefix_lengths_.push_back(prefix.size());
    std::sort(out.prefix_lengths_.begin(), out.prefix_lengths_.end());
    out.prefix_lengths_.erase(std::unique(out.prefix_lengths_.begin(), out.prefix_lengths_.end()),
                              out.prefix_lengths_.end());
    return CheckConflicts(out);
  }

  // Two patterns can match a common name only if one's literal prefix is a prefix
  // of the other's. So each pattern is compared with the patterns whose prefix is
  // a prefix of its own (found by hash), which visits every such pair once.
  static absl::Status CheckConflicts(const RuleSet& set) {
    for (const CompiledRule& b : set.rules_) {
      if (b.pattern.is_exact()) continue;
      const std::string_view b_prefix = b.pattern.literal_prefix();
      for (size_t length : set.prefix_lengths_) {
        if (length > b_prefix.size()) break;
        auto it = set.patterns_by_prefix_.find(b_prefix.substr(0, length));
        if (it == set.patterns_by_prefix_.end()) continue;
        for (const CompiledRule* a : it->second) {
          if (a == &b || a->pattern.literal_chars() != b.pattern.literal_chars()) continue;
          if (length == b_prefix.size() && a > &b) continue;  // same prefix: that pair is checked from `a`
          const std::string_view sa = a->pattern.literal_suffix(), sb = b.pattern.literal_suffix();
          if (!IsSuffixOf(sa, sb) && !IsSuffixOf(sb, sa)) continue;
          std::optional<std::string> name = CommonMatch(a->pattern, b.pattern);
          if (!name) continue;
          const CompiledRule* earlier = std::min(a, &b);
          const CompiledRule* later = std::max(a, &b);
          return absl::InvalidArgumentError(StrCat(
              later->path, ": conflicts with ", earlier->path, ": both patterns could match \"", *name,
              "\" with equal specificity (", b.pattern.literal_chars(),
              b.pattern.literal_chars() == 1 ? " literal character" : " literal characters",
              "); make one of them more specific or give that name its own rule"));
        }
      }
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<std::shared_ptr<const CompiledPolicy>> Compile(v1::Policy source) {
    if (source.scope_strategy() == v1::SCOPE_STRATEGY_UNSPECIFIED || EnumLabel(source.scope_strategy()).empty()) {
      return absl::InvalidArgumentError(StrCat("authorization.scope_strategy: unspecified or unknown value ",
                                               static_cast<int>(source.scope_strategy())));
    }
    if (source.unknown_tool() == v1::UNKNOWN_TOOL_UNSPECIFIED || EnumLabel(source.unknown_tool()).empty()) {
      return absl::InvalidArgumentError(
          StrCat("policy.unknown_tool: unspecified or unknown value ", static_cast<int>(source.unknown_tool())));
    }
    std::shared_ptr<CompiledPolicy> policy(new CompiledPolicy());
    if (absl::Status s = CheckScopes(source.required_scopes(), "authorization.required_scopes"); !s.ok()) return s;
    policy->server_scopes_ = SortedUnique({source.required_scopes().begin(), source.required_scopes().end()});
    policy->server_challenge_scope_ = StrJoin(policy->server_scopes_, " ");
    for (auto [kind, rules, set] : {std::tuple{v1::TARGET_KIND_TOOL, &source.tools(), &policy->tools_},
                                    std::tuple{v1::TARGET_KIND_RESOURCE, &source.resources(), &policy->resources_},
                                    std::tuple{v1::TARGET_KIND_PROMPT, &source.prompts(), &policy->prompts_}}) {
      absl::Status s = BuildRules(*rules, TargetKindKey(kind), policy->server_scopes_, *set);
      if (!s.ok()) return s;
    }
    policy->source_ = std::move(source);
    return std::shared_ptr<const CompiledPolicy>(std::move(policy));
  }
};

const CompiledRule* RuleSet::Find(std::string_view name) const {
  if (auto it = exact_.find(name); it != exact_.end()) return it->second;
  const CompiledRule* best = nullptr;
  for (size_t length : prefix_lengths_) {
    if (length > name.size()) break;
    auto it = patterns_by_prefix_.find(name.substr(0, length));
    if (it == patterns_by_prefix_.end()) continue;
    for (const CompiledRule* rule : it->second) {
      if (best != nullptr && rule->pattern.literal_chars() <= best->pattern.literal_chars()) continue;
      if (rule->pattern.Matches(name)) best = rule;
    }
  }
  return best;
}

absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompiledPolicy::Compile(v1::Policy policy) {
  return PolicyCompiler::Compile(std::move(policy));
}

std::string CompiledPolicy::Digest() const {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    source_.SerializeToCodedStream(&coded);
  }
  return HexEncode(Sha256(bytes));
}

const RuleSet& CompiledPolicy::rules(TargetKind kind) const {
  switch (kind) {
    case v1::TARGET_KIND_TOOL: return tools_;
    case v1::TARGET_KIND_RESOURCE: return resources_;
    case v1::TARGET_KIND_PROMPT: return prompts_;
    default: return none_;
  }
}

absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompilePolicyText(std::string_view text,
                                                                        const std::string& source) {
  v1::Policy policy;
  {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          StrCat("invalid YAML at line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
    }
    if (!root.IsDefined() || root.IsNull()) {
      return absl::InvalidArgumentError(
          "the document is empty; an empty policy would require no scopes at all (write {} if that is meant)");
    }
    try {
      policy = ParsePolicyFile(root, source);
    } catch (const ConfigError& e) {
      return absl::InvalidArgumentError(e.what());
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(StrCat("invalid policy: ", e.what()));
    }
  }
  ReleaseFreedMemory();  // the node tree is gone
  return CompiledPolicy::Compile(std::move(policy));
}

}  // namespace mcpauth::sp
