#include "services/credentials/vault.h"

#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/common/suite_config.h"

namespace mcpauth::credentials {

Vault Vault::FromFiles(const std::vector<std::string>& files, const std::string& key_path) {
  if (files.empty()) throw ConfigError(StrCat(key_path, ": at least one private key file is required"));
  std::vector<tv::AgreementKey> keys;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string where = StrCat(key_path, "[", i, "]");
    const std::string text = ReadConfigFile(files[i], where);
    boost::json::value v;
    if (ParseStrictJson(text, v) != JsonParseError::kNone || !v.is_object()) {
      throw ConfigError(StrCat(where, ": \"", files[i], "\" is not a JWK (a JSON object)"));
    }
    auto key = tv::ParseAgreementKey(v.get_object(), /*with_private=*/true);
    if (!key.ok()) throw ConfigError(StrCat(where, ": ", key.status().message()));
    for (const tv::AgreementKey& other : keys) {
      if (other.kid == key->kid) throw ConfigError(StrCat(where, ": kid \"", key->kid, "\" is used by another key"));
    }
    keys.push_back(std::move(*key));
  }
  return Vault(std::move(keys));
}

Vault::Vault(std::vector<tv::AgreementKey> keys) : keys_(std::move(keys)) {}

absl::StatusOr<tv::JweOpened> Vault::Open(std::string_view sealed) const {
  std::vector<const tv::AgreementKey*> keys;
  for (const tv::AgreementKey& k : keys_) keys.push_back(&k);
  return tv::OpenCompact(sealed, keys);
}

}  // namespace mcpauth::credentials
