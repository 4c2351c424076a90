#include "gateway/jsonrpc.h"

#include <gtest/gtest.h>

namespace mcpauth::gw {
namespace {

TEST(JsonRpc, ClassifiesTargets) {
  auto b = ParseJsonRpcBody(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_file","arguments":{}}})");
  ASSERT_EQ(b.error, JsonRpcBody::Error::kNone);
  ASSERT_EQ(b.messages.size(), 1u);
  EXPECT_FALSE(b.batch);
  EXPECT_EQ(b.messages[0].kind, JsonRpcMessage::Kind::kRequest);
  EXPECT_EQ(b.messages[0].target_kind, v1::TARGET_KIND_TOOL);
  EXPECT_EQ(b.messages[0].target, "delete_file");
  EXPECT_EQ(b.messages[0].id.as_int64(), 1);

  b = ParseJsonRpcBody(R"({"jsonrpc":"2.0","id":"r","method":"resources/read","params":{"uri":"file:///secret/a"}})");
  EXPECT_EQ(b.messages[0].target_kind, v1::TARGET_KIND_RESOURCE);
  EXPECT_EQ(b.messages[0].target, "file:///secret/a");
  b = ParseJsonRpcBody(R"({"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"deploy"}})");
  EXPECT_EQ(b.messages[0].target_kind, v1::TARGET_KIND_PROMPT);
  b = ParseJsonRpcBody(R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})");
  EXPECT_EQ(b.messages[0].target_kind, v1::TARGET_KIND_NONE);
}

TEST(JsonRpc, NotificationsResponsesAndBatches) {
  auto b = ParseJsonRpcBody(R"([{"jsonrpc":"2.0","method":"notifications/initialized"},
                                {"jsonrpc":"2.0","id":9,"result":{}},
                                {"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"echo"}}])");
  ASSERT_EQ(b.error, JsonRpcBody::Error::kNone);
  EXPECT_TRUE(b.batch);
  ASSERT_EQ(b.messages.size(), 3u);
  EXPECT_EQ(b.messages[0].kind, JsonRpcMessage::Kind::kNotification);
  EXPECT_EQ(b.messages[1].kind, JsonRpcMessage::Kind::kResponse);
  EXPECT_EQ(b.messages[2].target, "echo");
}

TEST(JsonRpc, Errors) {
  EXPECT_EQ(ParseJsonRpcBody("{not json").error, JsonRpcBody::Error::kParse);
  EXPECT_EQ(ParseJsonRpcBody("").error, JsonRpcBody::Error::kParse);
  EXPECT_EQ(ParseJsonRpcBody("[]").error, JsonRpcBody::Error::kInvalidRequest);
  EXPECT_EQ(ParseJsonRpcBody("[1]").error, JsonRpcBody::Error::kInvalidRequest);
  EXPECT_EQ(ParseJsonRpcBody(R"({"id":1,"method":"x"})").error, JsonRpcBody::Error::kInvalidRequest);
  EXPECT_EQ(ParseJsonRpcBody(R"({"jsonrpc":"2.0","id":{},"method":"x"})").error, JsonRpcBody::Error::kInvalidRequest);
  EXPECT_EQ(ParseJsonRpcBody(R"({"jsonrpc":"2.0","id":1})").error, JsonRpcBody::Error::kInvalidRequest);
  auto b = ParseJsonRpcBody(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"arguments":{}}})");
  EXPECT_EQ(b.error, JsonRpcBody::Error::kInvalidParams);
  EXPECT_EQ(b.error_id.as_int64(), 4);
  // A repeated member could smuggle a second tool name past the policy.
  EXPECT_EQ(ParseJsonRpcBody(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"delete_file"}})").error,
            JsonRpcBody::Error::kInvalidRequest);
}

TEST(JsonRpc, Replies) {
  EXPECT_EQ(ToolErrorResult(boost::json::value(7), "no"),
            R"({"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"no"}],"isError":true}})");
  EXPECT_EQ(JsonRpcErrorMessage(nullptr, JsonRpcCode::kParseError, "Parse error"),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
}

}  // namespace
}  // namespace mcpauth::gw

namespace mcpauth::gw {
namespace {

// Found by fuzz_jsonrpc: a targeted method naming the empty string is invalid
// params, never a message with a target kind and no target.
TEST(JsonRpcBodyEmptyTarget, AnEmptyNameOrUriIsInvalidParams) {
  for (const char* body : {R"({"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":""}})",
                           R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":""}})",
                           R"({"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":""}})",
                           R"({"jsonrpc":"2.0","id":3,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":""}}})"}) {
    EXPECT_EQ(ParseJsonRpcBody(body).error, JsonRpcBody::Error::kInvalidParams) << body;
  }
}

}  // namespace
}  // namespace mcpauth::gw
