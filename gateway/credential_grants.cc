#include "gateway/credential_grants.h"

#include <algorithm>

#include "gateway/grpc_await.h"
#include "services/common/log.h"
#include "services/common/strings.h"
#include "services/credentials/grant.h"

namespace mcpauth::gw {

CredentialGrants::CredentialGrants(std::shared_ptr<const tv::Jwk> key, GrantOptions options,
                                   std::shared_ptr<grpc::Channel> credentials)
    : key_(std::move(key)),
      options_(options),
      stub_(v1::Credentials::NewStub(std::move(credentials))),
      handles_(10000) {}

Task<std::string> CredentialGrants::Handles(const v1::Principal& principal, const std::string& resource) {
  // By client and resource too: a handle bound to one client, or to some MCP servers,
  // is listed only to that client's tokens at those servers.
  const std::string owner =
      StrCat(principal.issuer(), "\n", principal.subject(), "\n", principal.client_id(), "\n", resource);
  if (std::shared_ptr<const std::string> hit = handles_.Find(owner)) co_return *hit;
  v1::ListCredentialsRequest request;
  request.set_issuer(principal.issuer());
  request.set_subject(principal.subject());
  v1::ListCredentialsResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options_.list_timeout));
  const grpc::Status status = co_await AwaitGrpc([&](std::function<void(grpc::Status)> done) {
    stub_->async()->List(&context, &request, &response, std::move(done));
  });
  if (!status.ok()) {
    log::Warn("credentials service did not list the user's handles; forwarding without them",
              {{"code", static_cast<int>(status.error_code())}, {"error", status.error_message()}});
    // Asked again in a second, not on every request while the service is away.
    handles_.Insert(owner, std::make_shared<const std::string>(""), absl::Now() + absl::Seconds(1));
    co_return "";
  }
  std::string value;
  for (const v1::CredentialInfo& c : response.credentials()) {
    // Labels and handles are [a-z0-9_-] and base64url: safe in a header value.
    if (!c.client_id().empty() && c.client_id() != principal.client_id()) continue;  // bound to another client
    if (!c.resources().empty() &&
        std::find(c.resources().begin(), c.resources().end(), resource) == c.resources().end()) {
      continue;  // for other MCP servers
    }
    StrAppend(value, value.empty() ? "" : ", ", c.label(), "=", c.handle());
  }
  handles_.Insert(owner, std::make_shared<const std::string>(value), absl::Now() + options_.handles_cache_ttl);
  co_return value;
}

Task<void> CredentialGrants::AddHeaders(const v1::Principal& principal, const std::string& resource,
                                        std::vector<std::pair<std::string, std::string>>& headers,
                                        const std::string& grant_header, const std::string& credentials_header) {
  if (principal.subject().empty() || principal.issuer().empty()) co_return;
  const absl::Time now = absl::Now();
  credentials::Grant grant{.token_issuer = principal.issuer(),
                           .subject = principal.subject(),
                           .client_id = principal.client_id(),
                           .resource = resource,
                           .jti = "",
                           .issued_at = now,
                           .expires_at = now + options_.ttl,
                           .max_uses = options_.max_uses};
  absl::StatusOr<std::string> minted = credentials::MintGrant(*key_, std::move(grant));
  if (!minted.ok()) {
    log::Error("cannot sign a credentials grant", {{"error", std::string(minted.status().message())}});
    co_return;
  }
  headers.emplace_back(grant_header, std::move(*minted));
  std::string handles = co_await Handles(principal, resource);
  if (!handles.empty()) headers.emplace_back(credentials_header, std::move(handles));
}

}  // namespace mcpauth::gw
