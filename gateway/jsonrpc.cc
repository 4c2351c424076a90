#include "gateway/jsonrpc.h"

#include <boost/json.hpp>

#include "services/common/json.h"

namespace mcpauth::gw {
namespace {

bool ValidId(const boost::json::value& id) { return id.is_string() || id.is_int64() || id.is_uint64() || id.is_null(); }

// completion/complete: params.ref is {"type":"ref/prompt","name":…} or
// {"type":"ref/resource","uri":…} (MCP 2025-06-18); the completion is decided as a
// use of that prompt or resource template.
bool ClassifyCompletion(const boost::json::object& o, JsonRpcMessage& message, JsonRpcBody& out) {
  const boost::json::value* params = o.if_contains("params");
  const boost::json::value* ref =
      params != nullptr && params->is_object() ? params->get_object().if_contains("ref") : nullptr;
  const boost::json::value* type = ref != nullptr && ref->is_object() ? ref->get_object().if_contains("type") : nullptr;
  const bool prompt = type != nullptr && type->is_string() && type->get_string() == "ref/prompt";
  const bool resource = type != nullptr && type->is_string() && type->get_string() == "ref/resource";
  const boost::json::value* target =
      prompt ? ref->get_object().if_contains("name") : resource ? ref->get_object().if_contains("uri") : nullptr;
  if (target == nullptr || !target->is_string() || target->get_string().empty()) {
    out.error = JsonRpcBody::Error::kInvalidParams;
    out.error_detail = "completion/complete needs params.ref: {type: ref/prompt, name} or {type: ref/resource, uri}";
    out.error_id = message.id;
    return false;
  }
  message.target_kind = prompt ? v1::TARGET_KIND_PROMPT : v1::TARGET_KIND_RESOURCE;
  message.target_is_template = resource;
  message.target = std::string(target->get_string());
  return true;
}

// Classifies one message; false (with `out.error` set) when it is not JSON-RPC.
bool Classify(const boost::json::value& v, JsonRpcMessage& message, JsonRpcBody& out) {
  if (!v.is_object()) {
    out.error = JsonRpcBody::Error::kInvalidRequest;
    out.error_detail = "a JSON-RPC message must be an object";
    return false;
  }
  const boost::json::object& o = v.get_object();
  const boost::json::value* version = o.if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->get_string() != "2.0") {
    out.error = JsonRpcBody::Error::kInvalidRequest;
    out.error_detail = "jsonrpc must be \"2.0\"";
    if (const auto* id = o.if_contains("id")) out.error_id = *id;
    return false;
  }
  message.raw = v;
  const boost::json::value* method = o.if_contains("method");
  const boost::json::value* id = o.if_contains("id");
  if (id != nullptr && !ValidId(*id)) {
    out.error = JsonRpcBody::Error::kInvalidRequest;
    out.error_detail = "id must be a string or an integer";
    return false;
  }
  if (method == nullptr) {
    if (id == nullptr || (!o.contains("result") && !o.contains("error"))) {
      out.error = JsonRpcBody::Error::kInvalidRequest;
      out.error_detail = "a message needs a method, or an id with result or error";
      return false;
    }
    message.kind = JsonRpcMessage::Kind::kResponse;
    message.id = *id;
    return true;
  }
  if (!method->is_string()) {
    out.error = JsonRpcBody::Error::kInvalidRequest;
    out.error_detail = "method must be a string";
    if (id) out.error_id = *id;
    return false;
  }
  message.method = std::string(method->get_string());
  message.kind = id == nullptr ? JsonRpcMessage::Kind::kNotification : JsonRpcMessage::Kind::kRequest;
  if (id) message.id = *id;
  message.target_kind = sp::TargetKindOf(message.method);
  if (message.method == sp::kCompletionComplete) return ClassifyCompletion(o, message, out);
  if (message.target_kind != v1::TARGET_KIND_NONE) {
    const char* field = message.target_kind == v1::TARGET_KIND_RESOURCE ? "uri" : "name";
    const boost::json::value* params = o.if_contains("params");
    const boost::json::value* target =
        params != nullptr && params->is_object() ? params->get_object().if_contains(field) : nullptr;
    if (target == nullptr || !target->is_string() || target->get_string().empty()) {
      out.error = JsonRpcBody::Error::kInvalidParams;
      out.error_detail = std::string(message.method) + " needs params." + field + " (a non-empty string)";
      out.error_id = message.id;
      return false;
    }
    message.target = std::string(target->get_string());
  }
  return true;
}

}  // namespace

JsonRpcBody ParseJsonRpcBody(std::string_view body) {
  JsonRpcBody out;
  boost::json::value doc;
  switch (ParseStrictJson(body, doc, {.max_depth = 64})) {
    case JsonParseError::kNone: break;
    case JsonParseError::kDuplicateMember:
      out.error = JsonRpcBody::Error::kInvalidRequest;
      out.error_detail = "a member name is repeated";
      return out;
    case JsonParseError::kSyntax:
      out.error = JsonRpcBody::Error::kParse;
      out.error_detail = "the body is not valid JSON";
      return out;
  }
  if (doc.is_array()) {
    out.batch = true;
    if (doc.get_array().empty()) {
      out.error = JsonRpcBody::Error::kInvalidRequest;
      out.error_detail = "an empty batch";
      return out;
    }
    for (const auto& v : doc.get_array()) {
      JsonRpcMessage m;
      if (!Classify(v, m, out)) return out;
      out.messages.push_back(std::move(m));
    }
    return out;
  }
  JsonRpcMessage m;
  if (!Classify(doc, m, out)) return out;
  out.messages.push_back(std::move(m));
  return out;
}

std::string JsonRpcErrorMessage(const boost::json::value& id, JsonRpcCode code, std::string_view message) {
  return ToJson(boost::json::object{{"jsonrpc", "2.0"},
                                    {"id", id},
                                    {"error", boost::json::object{{"code", static_cast<int>(code)}, {"message", message}}}});
}

std::string ToolErrorResult(const boost::json::value& id, std::string_view text) {
  boost::json::array content{boost::json::object{{"type", "text"}, {"text", text}}};
  return ToJson(boost::json::object{{"jsonrpc", "2.0"},
                                    {"id", id},
                                    {"result", boost::json::object{{"content", content}, {"isError", true}}}});
}

}  // namespace mcpauth::gw
