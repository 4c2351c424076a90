#include "gateway/sse.h"

#include <gtest/gtest.h>

namespace mcpauth::gw {
namespace {

TEST(SseSplitter, SplitsOnBlankLinesAcrossReads) {
  SseEventSplitter s;
  EXPECT_TRUE(s.Feed("event: message\nda").empty());
  auto events = s.Feed("ta: {\"a\":1}\n\nid: 2\ndata: x\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], "event: message\ndata: {\"a\":1}\n\n");
  events = s.Feed("\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], "id: 2\ndata: x\n\n");
  EXPECT_TRUE(s.pending().empty());
}

TEST(SseSplitter, CrLfAndCrLineEndings) {
  SseEventSplitter s;
  auto events = s.Feed("data: a\r\n\r\ndata: b\r\rdata: c\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], "data: a\r\n\r\n");
  EXPECT_EQ(events[1], "data: b\r\r");
}

// A CR at the end of a read may be the first half of a CRLF: wait.
TEST(SseSplitter, WaitsOnATrailingCarriageReturn) {
  SseEventSplitter s;
  EXPECT_TRUE(s.Feed("data: a\r\n\r").empty());
  auto events = s.Feed("\ndata: b\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], "data: a\r\n\r\n");
}

TEST(SseRewrite, ReplacesDataKeepsOtherFields) {
  auto upper = [](std::string_view d) -> std::optional<std::string> { return std::string(d) + "!"; };
  EXPECT_EQ(RewriteSseEvent("event: message\nid: 7\ndata: {\"x\":1}\n\n", upper),
            "event: message\nid: 7\ndata: {\"x\":1}!\n\n");
  // Multi-line data is joined before the transform sees it.
  EXPECT_EQ(RewriteSseEvent("data: a\ndata: b\n\n", upper), "data: a\nb!\n\n");
  // No data: untouched. nullopt: untouched.
  EXPECT_EQ(RewriteSseEvent(": comment\n\n", upper), ": comment\n\n");
  auto keep = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(RewriteSseEvent("data: a\r\n\r\n", keep), "data: a\r\n\r\n");
}

TEST(SseRewrite, MessageEvent) { EXPECT_EQ(SseMessageEvent("{}"), "event: message\ndata: {}\n\n"); }

}  // namespace
}  // namespace mcpauth::gw
