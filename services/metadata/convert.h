// The metadata service's wire side: its values into mcpauth.v1 messages, and a
// BuildChallenge request out of one.
#pragma once

#include "absl/status/statusor.h"
#include "mcpauth/v1/metadata.pb.h"
#include "services/metadata/snapshot.h"

namespace mcpauth::metadata {

void ToProto(const ResourceDocument& doc, v1::ProtectedResourceDocument* out);
void ToProto(const ChallengeSettings& settings, v1::ChallengeSettings* out);
void ToProto(const MetadataSnapshot& snapshot, v1::MetadataSnapshot* out);
void ToProto(const Challenge& challenge, v1::BuildChallengeResponse* out);

// InvalidArgument for CHALLENGE_KIND_UNSPECIFIED and unknown kinds, and for
// use_dpop_nonce without the nonce.
absl::StatusOr<ChallengeRequest> FromProto(const v1::BuildChallengeRequest& request);

}  // namespace mcpauth::metadata
