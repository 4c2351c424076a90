#include "gateway/session_binding.h"

#include <openssl/sha.h>

#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return HexEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

std::string Key(std::string_view session_id) { return StrCat(kRedisKeyPrefix, "session:", Sha256Hex(session_id)); }

}  // namespace

std::string SessionBindings::OwnerKey(std::string_view issuer, std::string_view subject) {
  return Sha256Hex(StrCat(issuer, "\n", subject));
}

void SessionBindings::Bind(std::string_view session_id, const std::string& owner) {
  const std::string key = Key(session_id);
  (void)local_->Set(key, owner, ttl_);
  if (shared_ != nullptr) (void)shared_->Set(key, owner, ttl_);
}

SessionBindings::Owner SessionBindings::Check(std::string_view session_id, const std::string& owner) {
  const std::string key = Key(session_id);
  auto local = local_->Get(key);
  std::optional<std::string> bound = local.ok() ? *local : std::nullopt;
  if (!bound && shared_ != nullptr) {
    auto shared = shared_->Get(key);
    if (shared.ok() && shared->has_value()) {
      bound = **shared;
      (void)local_->Set(key, *bound, ttl_);
    }
  }
  if (!bound) return Owner::kUnknown;
  return *bound == owner ? Owner::kSame : Owner::kOther;
}

}  // namespace mcpauth::gw
