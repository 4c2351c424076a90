#include "services/common/json.h"

#include <gtest/gtest.h>

namespace mcpauth {
namespace {

TEST(StrictJson, ParsesObjects) {
  boost::json::value v;
  ASSERT_EQ(ParseStrictJson(R"({"a":1,"b":{"c":[true,null,"x"]}})", v), JsonParseError::kNone);
  EXPECT_EQ(v.at("a").as_int64(), 1);
  EXPECT_EQ(v.at("b").at("c").at(2).as_string(), "x");
}

TEST(StrictJson, RefusesDuplicateMembers) {
  boost::json::value v;
  EXPECT_EQ(ParseStrictJson(R"({"sub":"alice","sub":"admin"})", v), JsonParseError::kDuplicateMember);
  EXPECT_EQ(ParseStrictJson(R"({"a":{"x":1,"x":2}})", v), JsonParseError::kDuplicateMember);
  EXPECT_EQ(ParseStrictJson(R"([{"x":1},{"x":2}])", v), JsonParseError::kNone);
}

// Escaped spellings of the same name are the same member.
TEST(StrictJson, RefusesDuplicatesSpelledWithEscapes) {
  boost::json::value v;
  EXPECT_EQ(ParseStrictJson(R"({"iss":"a","\u0069ss":"b"})", v), JsonParseError::kDuplicateMember);
}

TEST(StrictJson, RefusesTrailingGarbageCommentsAndDepth) {
  boost::json::value v;
  EXPECT_EQ(ParseStrictJson(R"({"a":1} x)", v), JsonParseError::kSyntax);
  EXPECT_EQ(ParseStrictJson(R"({"a":1,})", v), JsonParseError::kSyntax);
  EXPECT_EQ(ParseStrictJson("{/*c*/\"a\":1}", v), JsonParseError::kSyntax);
  EXPECT_EQ(ParseStrictJson("", v), JsonParseError::kSyntax);
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_EQ(ParseStrictJson(deep, v), JsonParseError::kSyntax);
}

TEST(StrictJson, RefusesInvalidUtf8) {
  boost::json::value v;
  EXPECT_EQ(ParseStrictJson("{\"a\":\"\xff\"}", v), JsonParseError::kSyntax);
}

TEST(StrictJson, NumberValue) {
  EXPECT_EQ(NumberValue(boost::json::value(5)), 5.0);
  EXPECT_EQ(NumberValue(boost::json::value(2.5)), 2.5);
  EXPECT_FALSE(NumberValue(boost::json::value("5")));
}

}  // namespace
}  // namespace mcpauth

namespace mcpauth {
namespace {

// Shared cache entries are read from a store other processes write: a time that is
// no time (huge, NaN-like, a string) is refused rather than converted.
TEST(UnixMillisMember, ReadsMillisecondsAndRefusesWhatIsNoTime) {
  boost::json::object o{{"ok", 1700000000123}, {"huge", 1e300}, {"text", "1700000000123"}, {"negative", -1e19}};
  ASSERT_TRUE(UnixMillisMember(o, "ok").has_value());
  EXPECT_EQ(absl::ToUnixMillis(*UnixMillisMember(o, "ok")), 1700000000123);
  EXPECT_FALSE(UnixMillisMember(o, "huge").has_value());
  EXPECT_FALSE(UnixMillisMember(o, "negative").has_value());
  EXPECT_FALSE(UnixMillisMember(o, "text").has_value());
  EXPECT_FALSE(UnixMillisMember(o, "absent").has_value());
}

}  // namespace
}  // namespace mcpauth
