#include "services/token_validation/jwks.h"

#include <map>

#include "services/common/strings.h"
#include "services/common/json.h"

namespace mcpauth::tv {

std::vector<const Jwk*> KeySet::WithKid(std::string_view kid) const {
  std::vector<const Jwk*> out;
  if (kid.empty()) return out;  // an empty kid names nothing, not the keys without one
  for (const auto& k : keys) {
    if (k->kid() == kid) out.push_back(k.get());
  }
  return out;
}

absl::StatusOr<KeySet> ParseJwks(std::string_view json) {
  boost::json::value doc;
  switch (ParseStrictJson(json, doc)) {
    case JsonParseError::kNone: break;
    case JsonParseError::kDuplicateMember: return absl::InvalidArgumentError("jwks: repeats a member name");
    case JsonParseError::kSyntax: return absl::InvalidArgumentError("jwks: not valid JSON");
  }
  if (!doc.is_object()) return absl::InvalidArgumentError("jwks: not a JSON object");
  const boost::json::value* keys = FindMember(doc.get_object(), "keys");
  if (keys == nullptr || !keys->is_array()) return absl::InvalidArgumentError("jwks: no \"keys\" array");

  KeySet set;
  std::vector<std::pair<size_t, std::shared_ptr<const Jwk>>> parsed;
  const auto& array = keys->get_array();
  for (size_t i = 0; i < array.size(); ++i) {
    const std::string where = StrCat("keys[", i, "]");
    if (!array[i].is_object()) {
      set.skipped.push_back(StrCat(where, ": not a JSON object"));
      continue;
    }
    auto jwk = Jwk::Parse(array[i].get_object(), JwkPrivacy::kPublicOnly);
    if (!jwk.ok()) {
      const std::string kid = StringMember(array[i].get_object(), "kid").value_or("");
      set.skipped.push_back(StrCat(where, kid.empty() ? "" : StrCat(" (kid \"", kid, "\")"), ": ",
                                         jwk.status().message()));
      continue;
    }
    parsed.emplace_back(i, std::make_shared<const Jwk>(std::move(*jwk)));
  }
  std::map<std::string, int> kid_count;
  for (const auto& [i, k] : parsed) {
    if (!k->kid().empty()) ++kid_count[k->kid()];
  }
  for (auto& [i, k] : parsed) {
    if (!k->kid().empty() && kid_count[k->kid()] > 1) {
      set.skipped.push_back(StrCat("keys[", i, "] (kid \"", k->kid(), "\"): kid is shared with another key"));
      continue;
    }
    set.keys.push_back(std::move(k));
  }
  return set;
}

}  // namespace mcpauth::tv
