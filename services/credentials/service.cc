#include "services/credentials/service.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "services/common/log.h"
#include "services/common/strings.h"

namespace mcpauth::credentials {
CredentialsService::CredentialsService(const Vault* vault, CredentialStore* store, CredentialsMetrics* metrics,
                                       const Clock* clock)
    : vault_(vault), store_(store), metrics_(metrics), clock_(clock) {}

grpc::Status CredentialsService::Failed(const char* operation, const absl::Status& status) {
  metrics_->CountOperation(operation, "error");
  log::Warn("credential store failed", {{"operation", operation}, {"error", std::string(status.message())}});
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(status.message()));
}

grpc::Status CredentialsService::Store(grpc::ServerContext*, const v1::StoreCredentialRequest* request,
                                       v1::CredentialInfo* response) {
  auto invalid = [&](std::string_view why) {
    metrics_->CountOperation("store", "invalid");
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(why));
  };
  if (request->sealed().size() > kMaxSealedBytes) return invalid("sealed: larger than 64 KiB");
  auto opened = vault_->Open(request->sealed());
  if (!opened.ok()) return invalid(StrCat("sealed: ", opened.status().message()));
  // The secret is checked and dropped: only the ciphertext is kept.
  const bool empty = opened->plaintext.empty();
  const bool too_large = opened->plaintext.size() > kMaxSecretBytes;
  const bool control = HasControlCharacters(opened->plaintext);
  OPENSSL_cleanse(opened->plaintext.data(), opened->plaintext.size());
  if (empty) return invalid("sealed: the secret is empty");
  if (too_large) return invalid("sealed: the secret is larger than 16 KiB");
  if (control) return invalid("sealed: the secret holds control characters (CR, LF, NUL, ...)");
  auto binding = ReadBinding(opened->header);
  if (!binding.ok()) return invalid(StrCat("sealed header ", binding.status().message()));

  // One credential per label and owner: a second "github" would let whoever can store
  // put their own account beside the owner's under the name the MCP server looks for.
  auto held = store_->List(binding->Owner());
  if (!held.ok()) return Failed("store", held.status());
  for (const CredentialRecord& other : *held) {
    auto header = tv::PeekJweHeader(other.sealed);
    auto other_binding = header.ok() ? ReadBinding(*header) : absl::StatusOr<CredentialBinding>(header.status());
    if (other_binding.ok() && other_binding->label == binding->label) {
      return invalid(StrCat("sealed header mcpauth_label: \"", binding->label, "\" is already stored for this user (",
                            other.handle, "); revoke it first"));
    }
  }
  CredentialRecord record{.handle = NewHandle(), .sealed = request->sealed(),
                          .created_at = absl::ToUnixSeconds(clock_->Now())};
  if (record.handle.empty()) return grpc::Status(grpc::StatusCode::INTERNAL, "no random bytes for a handle");
  if (absl::Status s = store_->Put(record, *binding); !s.ok()) {
    if (absl::IsInvalidArgument(s)) return invalid(std::string(s.message()));
    return Failed("store", s);
  }
  FillInfo(record, *binding, response);
  metrics_->CountOperation("store", "ok");
  log::Info("credential stored", {{"handle", record.handle},
                                  {"issuer", binding->issuer},
                                  {"subject", binding->subject},
                                  {"label", binding->label},
                                  {"hosts", StrJoin(binding->hosts, " ")}});
  return grpc::Status::OK;
}

grpc::Status CredentialsService::List(grpc::ServerContext*, const v1::ListCredentialsRequest* request,
                                      v1::ListCredentialsResponse* response) {
  if (request->issuer().empty() || request->subject().empty()) {
    metrics_->CountOperation("list", "invalid");
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "issuer and subject are required");
  }
  const std::string owner = StrCat(request->issuer(), "\n", request->subject());
  auto records = store_->List(owner);
  if (!records.ok()) return Failed("list", records.status());
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  for (const CredentialRecord& record : *records) {
    auto header = tv::PeekJweHeader(record.sealed);
    if (!header.ok()) continue;
    auto binding = ReadBinding(*header);
    if (!binding.ok() || binding->Owner() != owner) continue;
    if (binding->expires_at && *binding->expires_at <= now) continue;
    FillInfo(record, *binding, response->add_credentials());
  }
  metrics_->CountOperation("list", "ok");
  return grpc::Status::OK;
}

grpc::Status CredentialsService::Revoke(grpc::ServerContext*, const v1::RevokeCredentialRequest* request,
                                        v1::RevokeCredentialResponse* response) {
  auto record = store_->Find(request->handle());
  if (!record.ok() && absl::IsUnavailable(record.status())) return Failed("revoke", record.status());
  std::string owner;
  if (record.ok() && record->has_value()) {
    if (auto header = tv::PeekJweHeader((*record)->sealed); header.ok()) {
      if (auto binding = ReadBinding(*header); binding.ok()) owner = binding->Owner();
    }
  }
  auto removed = store_->Remove(request->handle(), owner);
  if (!removed.ok()) return Failed("revoke", removed.status());
  response->set_existed(*removed);
  metrics_->CountOperation("revoke", "ok");
  log::Info("credential revoked", {{"handle", request->handle()}, {"existed", *removed}});
  return grpc::Status::OK;
}

}  // namespace mcpauth::credentials
