// Everything the metadata service knows about the protected resources, as one
// immutable value: the RFC 9728 documents and the challenge settings. The gateway
// builds its own from the configuration and the policy it follows (gateway/
// suite_view.h) and serves documents and builds challenges from it in process;
// other callers can fetch the service's (GetSnapshot, see convert.h).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/suite_config.h"
#include "services/metadata/challenge.h"
#include "services/metadata/resource_metadata.h"

namespace mcpauth::metadata {

struct MetadataSnapshot {
  // Derived from the content, so replicas with the same configuration agree.
  std::string version;
  ProtectedResourceMetadata resources;
  ChallengeSettings challenge;

  // A snapshot of `resources` and `challenge` with its version computed.
  static MetadataSnapshot Make(ProtectedResourceMetadata resources, ChallengeSettings challenge);

  // The challenge for `request`, pointing at its resource's metadata URL.
  // NotFound when request.resource names no protected resource.
  absl::StatusOr<Challenge> BuildChallenge(const ChallengeRequest& request) const;
};

// The version Make computes: 16 hex digits of a SHA-256 over the content.
std::string SnapshotVersion(const ProtectedResourceMetadata& resources, const ChallengeSettings& challenge);

// True when the DPoP scheme is offered: dpop_required, dpop_nonce, or algorithms
// configured. Otherwise documents and challenges speak Bearer only.
bool DpopEnabled(const AuthorizationConfig& authorization);
// Every supported asymmetric JWS algorithm, compact elliptic-curve keys first
// (ES256, the one every DPoP client implements, leads), then RSA-PSS, then RSA.
std::vector<std::string> DefaultDpopAlgorithms();

// The pieces, from the configuration and the server-level required scopes.
ResourceMetadataSettings ResourceMetadataSettingsFromConfig(const SuiteConfig& config,
                                                            const std::vector<std::string>& required_scopes);
ChallengeSettings ChallengeSettingsFromConfig(const SuiteConfig& config,
                                              const std::vector<std::string>& required_scopes);

// The snapshot the configuration describes, with `required_scopes` as the
// server-level ones (without them: those of the policy in the main file; none when
// the policy is in policy_file, whose scopes come from scope-policy's stream).
// Throws ConfigError naming the key when it cannot be built (no protected resource,
// an unsupported DPoP algorithm).
MetadataSnapshot SnapshotFromConfig(const SuiteConfig& config, const std::vector<std::string>& required_scopes);
MetadataSnapshot SnapshotFromConfig(const SuiteConfig& config);

}  // namespace mcpauth::metadata
