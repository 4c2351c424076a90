// Reason codes are the proto enum itself (mcpauth.v1.Reason), so the library,
// the service and its callers share one list. This adds the human strings.
#pragma once

#include <string_view>

#include "mcpauth/v1/metadata.pb.h"
#include "mcpauth/v1/token_validation.pb.h"

namespace mcpauth::tv {

using Reason = ::mcpauth::v1::Reason;

// A short operator-facing sentence, e.g. "Jwt is expired".
std::string_view ReasonText(Reason reason);
// The challenge a refusal for this reason is answered with (UNSPECIFIED for OK).
v1::ChallengeKind ReasonChallengeKind(Reason reason);
// Its RFC 6750 / RFC 9449 error code: the kind's label ("" for OK).
std::string_view ReasonErrorCode(Reason reason);
// The enum name without its prefix, e.g. "EXPIRED" (metrics lowercase it).
std::string_view ReasonLabel(Reason reason);
// True for the reasons that concern DPoP (REASON_DPOP_*, 70–85).
bool IsDpopReason(Reason reason);

}  // namespace mcpauth::tv
