// mcpauth.v1.Metadata over gRPC: documents and challenges from the current
// snapshot, authorization-server metadata from the discovery directory.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mcpauth/v1/metadata.grpc.pb.h"
#include "services/common/discovery.h"
#include "services/common/suite_config.h"
#include "services/metadata/md_metrics.h"
#include "services/metadata/snapshot.h"

namespace mcpauth::metadata {

class MetadataService final : public v1::Metadata::Service {
 public:
  // `known_issuers`: the only issuers GetAuthorizationServerMetadata discovers (an
  // arbitrary issuer from a caller would make this service fetch arbitrary URLs).
  // `watch_check_interval`: how often a WatchSnapshot stream with nothing new
  // checks whether its caller has gone (or the server is shutting down).
  MetadataService(std::shared_ptr<const MetadataSnapshot> snapshot, AuthorizationServerDirectory* directory,
                  std::vector<std::string> known_issuers, MetadataMetrics* metrics,
                  absl::Duration watch_check_interval = absl::Seconds(1));

  // Swaps in a new snapshot (a configuration reload): calls in flight finish with
  // the old one, watchers are sent the new one.
  void ReplaceSnapshot(std::shared_ptr<const MetadataSnapshot> snapshot);
  std::shared_ptr<const MetadataSnapshot> snapshot() const;

  grpc::Status GetProtectedResourceMetadata(grpc::ServerContext* context,
                                            const v1::GetProtectedResourceMetadataRequest* request,
                                            v1::GetProtectedResourceMetadataResponse* response) override;
  grpc::Status GetAuthorizationServerMetadata(grpc::ServerContext* context,
                                              const v1::GetAuthorizationServerMetadataRequest* request,
                                              v1::GetAuthorizationServerMetadataResponse* response) override;
  grpc::Status BuildChallenge(grpc::ServerContext* context, const v1::BuildChallengeRequest* request,
                              v1::BuildChallengeResponse* response) override;
  grpc::Status GetSnapshot(grpc::ServerContext* context, const v1::GetMetadataSnapshotRequest* request,
                           v1::GetMetadataSnapshotResponse* response) override;
  grpc::Status WatchSnapshot(grpc::ServerContext* context, const v1::GetMetadataSnapshotRequest* request,
                             grpc::ServerWriter<v1::MetadataSnapshot>* writer) override;

 private:
  // The current snapshot once its version differs from `version`, or the current
  // one (unchanged) after `timeout`.
  std::shared_ptr<const MetadataSnapshot> WaitForOtherVersion(const std::string& version, absl::Duration timeout);

  mutable std::mutex mu_;
  std::condition_variable replaced_;
  std::shared_ptr<const MetadataSnapshot> snapshot_;
  AuthorizationServerDirectory* directory_;
  const std::vector<std::string> known_issuers_;
  MetadataMetrics* metrics_;
  const absl::Duration watch_check_interval_;
};

// Every issuer the configuration names: authorization.authorization_servers, then
// the jwt_validators issuers (token-validation asks for those), without repeats.
std::vector<std::string> KnownIssuers(const SuiteConfig& config);
// Those discovered in the background from start-up: the authorization servers, and
// validators that have neither jwks_uri nor jwks_file (their keys come from discovery).
std::vector<std::string> IssuersToDiscover(const SuiteConfig& config);

// Unix seconds; 0 for an unknown time.
int64_t UnixSecondsOrZero(absl::Time t);

}  // namespace mcpauth::metadata
