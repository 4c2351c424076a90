#include "gateway/session_binding.h"

#include "services/common/sha256.h"
#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

std::string Key(std::string_view session_id) {
  return StrCat(kRedisKeyPrefix, "session:", HexEncode(Sha256(session_id)));
}

SessionBindings::Owner Compare(const std::string& bound, const std::string& owner) {
  return bound == owner ? SessionBindings::Owner::kSame : SessionBindings::Owner::kOther;
}

}  // namespace

std::string SessionBindings::OwnerKey(std::string_view issuer, std::string_view subject, std::string_view client_id) {
  // (The subject form is the one bindings in Redis were made with before; the
  // client form cannot meet it, since no accepted subject holds a line break.)
  if (!subject.empty()) return HexEncode(Sha256(StrCat(issuer, "\n", subject)));
  if (!client_id.empty()) return HexEncode(Sha256(StrCat(issuer, "\n\nclient\n", client_id)));
  return "";
}

SessionBindings::Owner SessionBindings::Bind(std::string_view session_id, const std::string& owner) {
  const std::string key = Key(session_id);
  if (auto local = local_->Get(key); local.ok() && local->has_value()) return Compare(**local, owner);
  if (shared_ != nullptr) {
    absl::StatusOr<bool> created = shared_->SetIfAbsent(key, owner, ttl_);
    if (created.ok() && !*created) {
      auto bound = shared_->Get(key);
      if (bound.ok() && bound->has_value()) {
        (void)local_->Set(key, **bound, ttl_);
        return Compare(**bound, owner);
      }
    }
  }
  absl::StatusOr<bool> created = local_->SetIfAbsent(key, owner, ttl_);
  if (created.ok() && !*created) {
    auto bound = local_->Get(key);
    if (bound.ok() && bound->has_value()) return Compare(**bound, owner);
  }
  return Owner::kSame;
}

SessionBindings::Owner SessionBindings::Claim(std::string_view session_id, const std::string& owner) {
  if (shared_ == nullptr) return Bind(session_id, owner);
  const std::string key = Key(session_id);
  if (auto local = local_->Get(key); local.ok() && local->has_value()) return Compare(**local, owner);
  absl::StatusOr<bool> created = shared_->SetIfAbsent(key, owner, ttl_);
  if (!created.ok()) return Owner::kUnavailable;
  if (*created) {
    (void)local_->Set(key, owner, ttl_);
    return Owner::kSame;
  }
  auto bound = shared_->Get(key);
  if (!bound.ok() || !bound->has_value()) return Owner::kUnavailable;
  (void)local_->Set(key, **bound, ttl_);
  return Compare(**bound, owner);
}

SessionBindings::Owner SessionBindings::Check(std::string_view session_id, const std::string& owner) {
  const std::string key = Key(session_id);
  if (auto local = local_->Get(key); local.ok() && local->has_value()) return Compare(**local, owner);
  if (shared_ == nullptr) return Owner::kUnknown;
  auto shared = shared_->Get(key);
  if (!shared.ok()) return Owner::kUnavailable;
  if (!shared->has_value()) return Owner::kUnknown;
  (void)local_->Set(key, **shared, ttl_);
  return Compare(**shared, owner);
}

}  // namespace mcpauth::gw
