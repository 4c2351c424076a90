#include "services/metadata/service.h"

#include <algorithm>

#include "services/common/grpc_server.h"
#include "services/common/log.h"
#include "services/metadata/convert.h"

namespace mcpauth::metadata {
namespace {

void AddOnce(std::vector<std::string>& list, const std::string& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

}  // namespace

MetadataService::MetadataService(std::shared_ptr<const MetadataSnapshot> snapshot,
                                 AuthorizationServerDirectory* directory, std::vector<std::string> known_issuers,
                                 MetadataMetrics* metrics, absl::Duration watch_check_interval)
    : snapshot_(std::move(snapshot)),
      directory_(directory),
      known_issuers_(std::move(known_issuers)),
      metrics_(metrics),
      watch_check_interval_(watch_check_interval) {}

void MetadataService::ReplaceSnapshot(std::shared_ptr<const MetadataSnapshot> snapshot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot_ = std::move(snapshot);
  }
  replaced_.notify_all();
}

std::shared_ptr<const MetadataSnapshot> MetadataService::WaitForOtherVersion(const std::string& version,
                                                                             absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  replaced_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return snapshot_->version != version; });
  return snapshot_;
}

std::shared_ptr<const MetadataSnapshot> MetadataService::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

grpc::Status MetadataService::GetProtectedResourceMetadata(grpc::ServerContext*,
                                                           const v1::GetProtectedResourceMetadataRequest* request,
                                                           v1::GetProtectedResourceMetadataResponse* response) {
  const std::shared_ptr<const MetadataSnapshot> snap = snapshot();
  const ResourceDocument* doc = request->key_case() == v1::GetProtectedResourceMetadataRequest::kPath
                                    ? snap->resources.FindByPath(request->path())
                                    : snap->resources.FindByResource(request->resource());
  if (doc == nullptr) {
    metrics_->CountDocumentNotFound();
    response->set_found(false);
    return grpc::Status::OK;
  }
  metrics_->CountDocumentServed(doc->resource);
  response->set_found(true);
  ToProto(*doc, response->mutable_document());
  response->set_cache_control(snap->resources.cache_control());
  return grpc::Status::OK;
}

grpc::Status MetadataService::GetAuthorizationServerMetadata(grpc::ServerContext*,
                                                             const v1::GetAuthorizationServerMetadataRequest* request,
                                                             v1::GetAuthorizationServerMetadataResponse* response) {
  const std::string& issuer = request->issuer();
  if (std::find(known_issuers_.begin(), known_issuers_.end(), issuer) == known_issuers_.end()) {
    metrics_->CountAuthorizationServerRequest("unknown_issuer");
    response->set_found(false);
    return grpc::Status::OK;
  }
  auto found = directory_->Find(issuer);
  if (!found.ok()) {
    metrics_->CountAuthorizationServerRequest("unavailable");
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(found.status().message()));
  }
  metrics_->CountAuthorizationServerRequest("found");
  const AuthorizationServerMetadata& m = *found->metadata;
  response->set_found(true);
  response->set_issuer(m.issuer);
  response->set_document_json(m.document);
  response->set_jwks_uri(m.jwks_uri);
  response->set_source_url(m.source_url);
  response->set_fetched_at(UnixSecondsOrZero(m.fetched_at));
  response->set_fresh_until(UnixSecondsOrZero(found->fresh_until));
  response->set_stale(found->stale);
  return grpc::Status::OK;
}

grpc::Status MetadataService::BuildChallenge(grpc::ServerContext*, const v1::BuildChallengeRequest* request,
                                             v1::BuildChallengeResponse* response) {
  auto challenge_request = FromProto(*request);
  if (!challenge_request.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(challenge_request.status().message()));
  }
  auto challenge = snapshot()->BuildChallenge(*challenge_request);
  if (!challenge.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(challenge.status().message()));
  }
  metrics_->CountChallenge(challenge_request->kind, challenge->http_status);
  ToProto(*challenge, response);
  return grpc::Status::OK;
}

grpc::Status MetadataService::GetSnapshot(grpc::ServerContext*, const v1::GetMetadataSnapshotRequest* request,
                                          v1::GetMetadataSnapshotResponse* response) {
  const std::shared_ptr<const MetadataSnapshot> snap = snapshot();
  const bool unchanged = request->known_version() == snap->version;
  metrics_->CountSnapshot(unchanged);
  response->set_unchanged(unchanged);
  if (!unchanged) ToProto(*snap, response->mutable_snapshot());
  return grpc::Status::OK;
}

grpc::Status MetadataService::WatchSnapshot(grpc::ServerContext* context, const v1::GetMetadataSnapshotRequest* request,
                                            grpc::ServerWriter<v1::MetadataSnapshot>* writer) {
  std::string sent = request->known_version();
  while (!context->IsCancelled() && !ShutdownRequested()) {
    const std::shared_ptr<const MetadataSnapshot> current = WaitForOtherVersion(sent, watch_check_interval_);
    if (current->version == sent) continue;
    v1::MetadataSnapshot message;
    ToProto(*current, &message);
    if (!writer->Write(message)) break;  // the caller has gone
    metrics_->CountSnapshot(/*unchanged=*/false);
    sent = current->version;
  }
  return context->IsCancelled() ? grpc::Status::CANCELLED : grpc::Status::OK;
}

std::vector<std::string> KnownIssuers(const SuiteConfig& config) {
  std::vector<std::string> out;
  for (const std::string& issuer : config.EffectiveAuthorizationServers()) AddOnce(out, issuer);
  for (const JwtValidatorConfig& v : config.jwt_validators) AddOnce(out, v.issuer);
  return out;
}

std::vector<std::string> IssuersToDiscover(const SuiteConfig& config) {
  std::vector<std::string> out;
  for (const std::string& issuer : config.EffectiveAuthorizationServers()) {
    if (std::none_of(config.jwt_validators.begin(), config.jwt_validators.end(),
                     [&](const JwtValidatorConfig& v) { return v.issuer == issuer; })) {
      AddOnce(out, issuer);
    }
  }
  for (const JwtValidatorConfig& v : config.jwt_validators) {
    if (v.jwks_uri.empty() && v.jwks_file.empty()) AddOnce(out, v.issuer);
  }
  return out;
}

int64_t UnixSecondsOrZero(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return 0;
  return absl::ToUnixSeconds(t);
}

}  // namespace mcpauth::metadata
