#include "services/metadata/challenge.h"

#include <algorithm>

#include "proto/enum_label.h"
#include "services/common/strings.h"

namespace mcpauth::metadata {
namespace {

constexpr std::string_view kScopeChallengeVersion = "2025-11-25";

// YYYY-MM-DD, the form of every MCP protocol version.
bool IsDatedVersion(std::string_view v) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (v[i] < '0' || v[i] > '9') return false;
  }
  return true;
}

// The error code is the kind's label (RFC 6750 §3.1, RFC 9449 §7.1), but for no
// token (none) and insufficient scope where scope challenges are off (a 401
// invalid_token, which clients before MCP 2025-11-25 understand).
std::string_view ErrorCode(ChallengeKind kind, bool scope_challenges) {
  if (kind == v1::CHALLENGE_KIND_NO_TOKEN) return "";
  if (kind == v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE && !scope_challenges) return EnumLabel(v1::CHALLENGE_KIND_INVALID_TOKEN);
  return EnumLabel(kind);
}

int HttpStatus(ChallengeKind kind, bool scope_challenges) {
  switch (kind) {
    case v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE: return scope_challenges ? 403 : 401;
    case v1::CHALLENGE_KIND_INVALID_REQUEST: return 400;
    default: return 401;
  }
}

// One challenge being written: the scheme, then comma-separated auth-params.
class ChallengeWriter {
 public:
  explicit ChallengeWriter(std::string_view scheme) : value_(scheme) {}
  void Param(std::string_view name, std::string_view value) {
    StrAppend(value_, params_ == 0 ? " " : ", ", name, "=", QuotedString(value));
    ++params_;
  }
  std::string Take() { return std::move(value_); }

 private:
  std::string value_;
  int params_ = 0;
};

std::string JoinScopes(const std::vector<std::string>& first, const std::vector<std::string>& second) {
  std::vector<std::string> scopes;
  for (const auto* list : {&first, &second}) {
    for (const std::string& s : *list) {
      if (!s.empty() && std::find(scopes.begin(), scopes.end(), s) == scopes.end()) scopes.push_back(s);
    }
  }
  return StrJoin(scopes, " ");
}

}  // namespace

std::string Challenge::JoinedWwwAuthenticate() const { return StrJoin(www_authenticate, ", "); }

bool ScopeChallengesEnabled(ScopeEnforcement enforcement, std::string_view protocol_version) {
  switch (enforcement) {
    case v1::SCOPE_ENFORCEMENT_ALWAYS: return true;
    case v1::SCOPE_ENFORCEMENT_NEVER: return false;
    default: return IsDatedVersion(protocol_version) && protocol_version >= kScopeChallengeVersion;  // auto
  }
}

std::string QuotedString(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c < 0x20 || c > 0x7e) continue;  // control characters and anything non-ASCII
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Challenge BuildChallenge(const ChallengeSettings& settings, std::string_view resource_metadata_url,
                         const ChallengeRequest& request) {
  const bool scope_challenges = ScopeChallengesEnabled(settings.scope_enforcement, request.protocol_version);
  Challenge out;
  out.http_status = HttpStatus(request.kind, scope_challenges);
  out.error = std::string(ErrorCode(request.kind, scope_challenges));
  // RFC 9449 §8.1: a nonce is NQCHARs; anything else must not reach a header.
  for (const char c : request.dpop_nonce) {
    if (c >= 0x21 && c <= 0x7e && c != '"' && c != '\\') out.dpop_nonce.push_back(c);
  }

  // A proof or nonce problem is about DPoP alone, whatever else is accepted.
  const bool dpop_only =
      request.kind == v1::CHALLENGE_KIND_INVALID_DPOP_PROOF || request.kind == v1::CHALLENGE_KIND_USE_DPOP_NONCE;
  const bool bearer = settings.bearer_accepted && !dpop_only;
  const bool dpop = settings.dpop_accepted || dpop_only;
  bool error_everywhere = true;
  if (request.scheme == v1::PRESENTED_SCHEME_BEARER && bearer) error_everywhere = false;
  if (request.scheme == v1::PRESENTED_SCHEME_DPOP && dpop) error_everywhere = false;

  std::string scope;
  if (scope_challenges) {
    scope = request.kind == v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE
                ? JoinScopes(settings.required_scopes, request.operation_scopes)
                : JoinScopes(settings.required_scopes, {});
  }
  auto challenge = [&](std::string_view scheme_name, PresentedScheme scheme, std::string_view algs) {
    ChallengeWriter writer(scheme_name);
    if (!algs.empty()) writer.Param("algs", algs);
    if (!resource_metadata_url.empty()) writer.Param("resource_metadata", resource_metadata_url);
    if (!scope.empty()) writer.Param("scope", scope);
    if (!out.error.empty() && (error_everywhere || request.scheme == scheme)) {
      writer.Param("error", out.error);
      if (!request.error_description.empty()) writer.Param("error_description", request.error_description);
    }
    out.www_authenticate.push_back(writer.Take());
  };
  if (bearer) challenge("Bearer", v1::PRESENTED_SCHEME_BEARER, "");
  if (dpop) challenge("DPoP", v1::PRESENTED_SCHEME_DPOP, StrJoin(settings.dpop_algorithms, " "));
  return out;
}

}  // namespace mcpauth::metadata
