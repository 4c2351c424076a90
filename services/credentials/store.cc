#include "services/credentials/store.h"

#include <algorithm>

#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/sha256.h"
#include "services/common/strings.h"

namespace mcpauth::credentials {
namespace {

// Records without an expiry of their own are kept this long.
constexpr absl::Duration kNoExpiry = absl::Hours(24 * 3650);

}  // namespace

CredentialStore::CredentialStore(KeyValueStore* kv, std::string record_secret, const Clock* clock)
    : kv_(kv), record_secret_(std::move(record_secret)), clock_(clock) {}

std::string CredentialStore::RecordKey(const std::string& handle) {
  return StrCat(kRedisKeyPrefix, "credential:", handle);
}

std::string CredentialStore::OwnerKey(const std::string& owner) {
  return StrCat(kRedisKeyPrefix, "credential-owner:", HexEncode(Sha256(owner)));
}

absl::StatusOr<std::vector<std::string>> CredentialStore::Handles(const std::string& owner) {
  auto stored = kv_->Get(OwnerKey(owner));
  if (!stored.ok()) return stored.status();
  std::vector<std::string> handles;
  if (!stored->has_value()) return handles;
  boost::json::value v;
  if (ParseStrictJson(**stored, v) != JsonParseError::kNone || !v.is_array()) {
    return absl::DataLossError("an owner's handle list is not a JSON array");
  }
  for (const boost::json::value& h : v.get_array()) {
    if (h.is_string()) handles.emplace_back(h.get_string());
  }
  return handles;
}

absl::Status CredentialStore::SetHandles(const std::string& owner, const std::vector<std::string>& handles) {
  if (handles.empty()) {
    auto deleted = kv_->Delete(OwnerKey(owner));
    return deleted.ok() ? absl::OkStatus() : deleted.status();
  }
  boost::json::array list;
  for (const std::string& h : handles) list.emplace_back(h);
  return kv_->Set(OwnerKey(owner), ToJson(list), kNoExpiry);
}

absl::Status CredentialStore::Put(const CredentialRecord& record, const CredentialBinding& binding) {
  absl::Duration ttl = kNoExpiry;
  if (binding.expires_at) ttl = absl::FromUnixSeconds(*binding.expires_at) - clock_->Now();
  if (ttl <= absl::ZeroDuration()) return absl::InvalidArgumentError("mcpauth_exp: the credential has expired");
  if (absl::Status s = kv_->Set(RecordKey(record.handle), SerializeRecord(record, record_secret_), ttl); !s.ok()) {
    return s;
  }
  // Read, add, write: stores and revocations are administrative and rare; two at
  // the same moment for one owner can lose a list entry (the record stays and is
  // found by its handle; List leaves it out until it is stored again).
  auto handles = Handles(binding.Owner());
  if (!handles.ok()) return handles.status();
  handles->push_back(record.handle);
  return SetHandles(binding.Owner(), *handles);
}

absl::StatusOr<std::optional<CredentialRecord>> CredentialStore::Find(const std::string& handle) {
  auto stored = kv_->Get(RecordKey(handle));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<CredentialRecord>();
  auto record = ParseRecord(**stored, handle, record_secret_);
  if (!record.ok()) {
    log::Warn("refused a stored credential record", {{"handle", handle}, {"error", std::string(record.status().message())}});
    return record.status();
  }
  return std::optional<CredentialRecord>(std::move(*record));
}

absl::StatusOr<bool> CredentialStore::Remove(const std::string& handle, const std::string& owner) {
  auto deleted = kv_->Delete(RecordKey(handle));
  if (!deleted.ok()) return deleted.status();
  auto handles = Handles(owner);
  if (!handles.ok()) return handles.status();
  const size_t before = handles->size();
  handles->erase(std::remove(handles->begin(), handles->end(), handle), handles->end());
  if (handles->size() != before) {
    if (absl::Status s = SetHandles(owner, *handles); !s.ok()) return s;
  }
  return *deleted;
}

absl::StatusOr<std::vector<CredentialRecord>> CredentialStore::List(const std::string& owner) {
  auto handles = Handles(owner);
  if (!handles.ok()) return handles.status();
  std::vector<CredentialRecord> records;
  for (const std::string& handle : *handles) {
    auto record = Find(handle);
    if (!record.ok()) {
      if (absl::IsUnavailable(record.status())) return record.status();
      continue;  // does not verify: logged by Find
    }
    if (record->has_value()) records.push_back(std::move(**record));
  }
  return records;
}

}  // namespace mcpauth::credentials
