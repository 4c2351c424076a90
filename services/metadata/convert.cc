#include "services/metadata/convert.h"

#include "proto/enum_label.h"
#include "services/common/strings.h"

namespace mcpauth::metadata {
namespace {

template <typename Repeated>
std::vector<std::string> ToVector(const Repeated& values) {
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace

void ToProto(const ResourceDocument& doc, v1::ProtectedResourceDocument* out) {
  out->set_resource(doc.resource);
  out->set_document_json(doc.document_json);
  out->set_metadata_url(doc.metadata_url);
  out->mutable_well_known_paths()->Assign(doc.well_known_paths.begin(), doc.well_known_paths.end());
}

void ToProto(const ChallengeSettings& settings, v1::ChallengeSettings* out) {
  out->mutable_required_scopes()->Assign(settings.required_scopes.begin(), settings.required_scopes.end());
  out->set_scope_enforcement(settings.scope_enforcement);
  out->set_bearer_accepted(settings.bearer_accepted);
  out->set_dpop_accepted(settings.dpop_accepted);
  out->mutable_dpop_algorithms()->Assign(settings.dpop_algorithms.begin(), settings.dpop_algorithms.end());
}

void ToProto(const MetadataSnapshot& snapshot, v1::MetadataSnapshot* out) {
  out->set_version(snapshot.version);
  for (const ResourceDocument& doc : snapshot.resources.documents()) ToProto(doc, out->add_documents());
  if (const ResourceDocument* def = snapshot.resources.default_document()) out->set_default_resource(def->resource);
  out->set_cache_control(snapshot.resources.cache_control());
  ToProto(snapshot.challenge, out->mutable_challenge());
}

absl::StatusOr<ChallengeRequest> FromProto(const v1::BuildChallengeRequest& request) {
  const ChallengeKind kind = request.kind();
  if (kind == v1::CHALLENGE_KIND_UNSPECIFIED || EnumLabel(kind).empty()) {
    return absl::InvalidArgumentError(StrCat("challenge kind ", static_cast<int>(kind), " is not a kind"));
  }
  if (kind == v1::CHALLENGE_KIND_USE_DPOP_NONCE && request.dpop_nonce().empty()) {
    return absl::InvalidArgumentError("use_dpop_nonce needs the nonce to send (dpop_nonce)");
  }
  return ChallengeRequest{.kind = kind,
                          .resource = request.resource(),
                          .protocol_version = request.protocol_version(),
                          .scheme = request.scheme(),
                          .operation_scopes = ToVector(request.operation_scopes()),
                          .error_description = request.error_description(),
                          .dpop_nonce = request.dpop_nonce()};
}

void ToProto(const Challenge& challenge, v1::BuildChallengeResponse* out) {
  out->set_http_status(challenge.http_status);
  out->mutable_www_authenticate()->Assign(challenge.www_authenticate.begin(), challenge.www_authenticate.end());
  out->set_error(challenge.error);
  out->set_dpop_nonce(challenge.dpop_nonce);
}

}  // namespace mcpauth::metadata
