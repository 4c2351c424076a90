// Where sealed credentials live: Redis when configured (every replica sees the same
// handles), else process memory (lost on restart; start-up says so). Only the
// ciphertext and an authenticated record around it are written: the store never
// holds a secret, and a record written by anyone without the record secret is
// refused when read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/kv_store.h"
#include "services/credentials/credential.h"

namespace mcpauth::credentials {

class CredentialStore {
 public:
  CredentialStore(KeyValueStore* kv, std::string record_secret, const Clock* clock = SystemClock::Get());

  // Stores `record` and adds it to its owner's list.
  absl::Status Put(const CredentialRecord& record, const CredentialBinding& binding);
  // The record under `handle` (nullopt when none); an error when the store fails
  // or the record does not verify.
  absl::StatusOr<std::optional<CredentialRecord>> Find(const std::string& handle);
  // Removes `handle` from the store and from `owner`'s list; true when it existed.
  absl::StatusOr<bool> Remove(const std::string& handle, const std::string& owner);
  // The records `owner` holds (those that went away or fail to verify are left out).
  absl::StatusOr<std::vector<CredentialRecord>> List(const std::string& owner);

  // The keys, for tests that read the store directly.
  static std::string RecordKey(const std::string& handle);
  static std::string OwnerKey(const std::string& owner);

 private:
  absl::StatusOr<std::vector<std::string>> Handles(const std::string& owner);
  absl::Status SetHandles(const std::string& owner, const std::vector<std::string>& handles);

  KeyValueStore* kv_;
  const std::string record_secret_;
  const Clock* clock_;
};

}  // namespace mcpauth::credentials
