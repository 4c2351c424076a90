// mcpauth.v1 messages <-> the metadata library's values, for the service and for
// C++ callers that keep a snapshot (GetSnapshot/WatchSnapshot) and work on it in
// process.
#pragma once

#include "absl/status/statusor.h"
#include "mcpauth/v1/metadata.pb.h"
#include "services/metadata/snapshot.h"

namespace mcpauth::metadata {

void ToProto(const ResourceDocument& doc, v1::ProtectedResourceDocument* out);
ResourceDocument FromProto(const v1::ProtectedResourceDocument& doc);

void ToProto(const ChallengeSettings& settings, v1::ChallengeSettings* out);
ChallengeSettings FromProto(const v1::ChallengeSettings& settings);

void ToProto(const MetadataSnapshot& snapshot, v1::MetadataSnapshot* out);
// Keeps the version it was sent with. InvalidArgument when it holds no version.
absl::StatusOr<MetadataSnapshot> FromProto(const v1::MetadataSnapshot& snapshot);

void ToProto(const ChallengeRequest& request, v1::BuildChallengeRequest* out);
// InvalidArgument for CHALLENGE_KIND_UNSPECIFIED and unknown kinds.
absl::StatusOr<ChallengeRequest> FromProto(const v1::BuildChallengeRequest& request);

void ToProto(const Challenge& challenge, v1::BuildChallengeResponse* out);
Challenge FromProto(const v1::BuildChallengeResponse& response);

}  // namespace mcpauth::metadata
