// JSON-RPC 2.0 as MCP uses it: classifying the messages in a POST body (a single
// message, or a batch from 2025-03-26 clients) by method and target (the tool,
// resource or prompt the policy decides on), and the replies the gateway writes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "services/scope_policy/decision.h"

namespace mcpauth::gw {

using sp::TargetKind;

struct JsonRpcMessage {
  enum class Kind { kRequest, kNotification, kResponse };
  Kind kind = Kind::kRequest;
  std::string method;             // empty for responses
  boost::json::value id;          // null for notifications
  TargetKind target_kind = v1::TARGET_KIND_NONE;
  std::string target;             // tool name, resource URI or prompt name
  // completion/complete completes an argument of a prompt (params.ref.name) or of a
  // resource template (params.ref.uri, a URI template): its target is that.
  bool target_is_template = false;
  boost::json::value raw;         // the message as sent
};

struct JsonRpcBody {
  enum class Error {
    kNone,
    kParse,           // not JSON: -32700, HTTP 400
    kInvalidRequest,  // not a JSON-RPC message (or an empty batch): -32600, HTTP 400
    kInvalidParams,   // a tools/call, resources/read, prompts/get or completion/complete without its target: -32602
  };
  Error error = Error::kNone;
  std::string error_detail;
  boost::json::value error_id;  // the id of the offending message, when known
  bool batch = false;
  std::vector<JsonRpcMessage> messages;
};

JsonRpcBody ParseJsonRpcBody(std::string_view body);

// The error codes the gateway answers with (JSON-RPC 2.0 §5.1; -32000 to -32099 are
// the server's own).
enum class JsonRpcCode : int {
  kParseError = -32700,      // the body is not JSON
  kInvalidRequest = -32600,  // not a JSON-RPC request, or a request HTTP refuses (origin, method, size, type)
  kInvalidParams = -32602,   // a target missing, or one no scope could allow
  kInternalError = -32603,   // the upstream could not be reached or answered wrongly
  kRetryLater = -32000,      // authorization not ready, overloaded or rate-limited
  kForbidden = -32001,       // a resource or prompt the caller's scopes do not reach
  kSessionNotFound = -32001, // an Mcp-Session-Id this gateway holds no binding for (HTTP 404)
};

// {"jsonrpc":"2.0","id":…,"error":{"code":…,"message":…}}
std::string JsonRpcErrorMessage(const boost::json::value& id, JsonRpcCode code, std::string_view message);
// A tools/call result the client shows as a failed tool call (the denial text):
// {"jsonrpc":"2.0","id":…,"result":{"content":[{"type":"text","text":…}],"isError":true}}
std::string ToolErrorResult(const boost::json::value& id, std::string_view text);

}  // namespace mcpauth::gw
