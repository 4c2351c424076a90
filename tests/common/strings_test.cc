#include "services/common/strings.h"

#include <gtest/gtest.h>

namespace mcpauth {
namespace {

TEST(Strings, StrCatMixesTypes) {
  EXPECT_EQ(StrCat("a", std::string_view("b"), std::string("c"), 42, '-', int64_t{-7}, true), "abc42--7true");
}

TEST(Strings, SplitSkipsEmptyParts) {
  EXPECT_EQ(SplitSkipEmpty("  read  write ", ' '), (std::vector<std::string_view>{"read", "write"}));
  EXPECT_TRUE(SplitSkipEmpty("", ' ').empty());
}

TEST(Strings, ParseNumbersStrictly) {
  int64_t i = 0;
  EXPECT_TRUE(ParseInt64("300", i));
  EXPECT_EQ(i, 300);
  EXPECT_FALSE(ParseInt64("30s", i));
  EXPECT_FALSE(ParseInt64("", i));
  double d = 0;
  EXPECT_TRUE(ParseDouble("0.25", d));
  EXPECT_FALSE(ParseDouble("nan", d));
}

TEST(Strings, CaseInsensitiveCompare) {
  EXPECT_TRUE(EqualsIgnoreCase("Cache-Control", "cache-control"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
  EXPECT_TRUE(StartsWithIgnoreCase("Max-Age=5", "max-age="));
}

}  // namespace
}  // namespace mcpauth
