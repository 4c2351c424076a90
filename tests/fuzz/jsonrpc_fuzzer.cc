// libFuzzer target: the gateway's JSON-RPC classifier (gateway/jsonrpc.cc), which
// reads every POST body before any policy decision: single messages and batches,
// method and target extraction, and the replies built from what it found.
#include <cstdint>
#include <string>

#include "gateway/jsonrpc.h"
#include "services/common/json.h"

using namespace mcpauth;
using namespace mcpauth::gw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  JsonRpcBody parsed = ParseJsonRpcBody(body);
  if (parsed.error != JsonRpcBody::Error::kNone) {
    (void)JsonRpcErrorMessage(parsed.error_id, JsonRpcCode::kInvalidRequest, parsed.error_detail);
    return 0;
  }
  if (parsed.messages.empty()) __builtin_trap();  // no error means at least one message
  for (const JsonRpcMessage& m : parsed.messages) {
    if (m.kind == JsonRpcMessage::Kind::kRequest) {
      (void)ToolErrorResult(m.id, m.target);
      (void)JsonRpcErrorMessage(m.id, JsonRpcCode::kForbidden, m.method);
    }
    if (m.target_kind != v1::TARGET_KIND_NONE && m.target.empty()) __builtin_trap();  // targeted without a target
  }
  return 0;
}
