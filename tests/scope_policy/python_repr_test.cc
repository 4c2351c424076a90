// PythonRepr against Python itself: every expected value below was printed by
// CPython 3.11.7 (Unicode 14.0) with
//   for s in cases: print(repr(s))
// and pasted as UTF-8 bytes (the comment shows Python's ascii() of the input).
#include "services/scope_policy/python_repr.h"

#include <gtest/gtest.h>

#include <string_view>
#include <utility>

namespace mcpauth::sp {
namespace {

using namespace std::literals;

const std::pair<std::string_view, std::string_view> kFromPython[] = {
    {"files:delete"sv, "'files:delete'"sv},  // 'files:delete'
    {""sv, "''"sv},  // ''
    {"it's"sv, "\"it's\""sv},  // "it's"
    {"say \"hi\""sv, "'say \"hi\"'"sv},  // 'say "hi"'
    {"both ' and \""sv, "'both \\' and \"'"sv},  // 'both \' and "'
    {"back\\slash"sv, "'back\\\\slash'"sv},  // 'back\\slash'
    {"tab\x09""nl\x0a""cr\x0d"""sv, "'tab\\tnl\\ncr\\r'"sv},  // 'tab\tnl\ncr\r'
    {"\x00""\x01""\x1f"""sv, "'\\x00\\x01\\x1f'"sv},  // '\x00\x01\x1f'
    {"\x7f"""sv, "'\\x7f'"sv},  // '\x7f'
    {"caf\xc3""\xa9"""sv, "'caf\xc3""\xa9""'"sv},  // 'caf\xe9'
    {"nb\xc2""\xa0""sp"sv, "'nb\\xa0sp'"sv},  // 'nb\xa0sp'
    {"soft\xc2""\xad""hyphen"sv, "'soft\\xadhyphen'"sv},  // 'soft\xadhyphen'
    {"\xc2""\x85"""sv, "'\\x85'"sv},  // '\x85'
    {"zw\xe2""\x80""\x8b""sp"sv, "'zw\\u200bsp'"sv},  // 'zw\u200bsp'
    {"rtl\xe2""\x80""\xae""override"sv, "'rtl\\u202eoverride'"sv},  // 'rtl\u202eoverride'
    {"line\xe2""\x80""\xa8""sep"sv, "'line\\u2028sep'"sv},  // 'line\u2028sep'
    {"\xe3""\x80""\x80"""sv, "'\\u3000'"sv},  // '\u3000'
    {"\xee""\x80""\x80"""sv, "'\\ue000'"sv},  // '\ue000'
    {"\xef""\xbb""\xbf"""sv, "'\\ufeff'"sv},  // '\ufeff'
    {"\xef""\xb7""\x90"""sv, "'\\ufdd0'"sv},  // '\ufdd0'
    {"\xef""\xbf""\xbf"""sv, "'\\uffff'"sv},  // '\uffff'
    {"\xe6""\x97""\xa5""\xe6""\x9c""\xac"""sv, "'\xe6""\x97""\xa5""\xe6""\x9c""\xac""'"sv},  // '\u65e5\u672c'
    {"emoji \xf0""\x9f""\x98""\x80"""sv, "'emoji \xf0""\x9f""\x98""\x80""'"sv},  // 'emoji \U0001f600'
    {"\xf3""\xb0""\x80""\x80"""sv, "'\\U000f0000'"sv},  // '\U000f0000'
    {"\xf3""\xa0""\x80""\x81"""sv, "'\\U000e0001'"sv},  // '\U000e0001'
    {"\xd8""\x80"""sv, "'\\u0600'"sv},  // '\u0600'
    {"'\"\\"sv, "'\\'\"\\\\'"sv},  // '\'"\\'
};

TEST(PythonReprTest, MatchesCPython) {
  for (const auto& [input, expected] : kFromPython) {
    EXPECT_EQ(PythonRepr(input), expected) << "input bytes: " << input;
  }
}

TEST(PythonReprTest, QuoteChoiceFollowsPython) {
  // Single quotes unless the text has a single quote and no double quote.
  EXPECT_EQ(PythonRepr("a"), "'a'");
  EXPECT_EQ(PythonRepr("a'b"), "\"a'b\"");
  EXPECT_EQ(PythonRepr("a\"b"), "'a\"b'");
  EXPECT_EQ(PythonRepr("a'b\"c"), "'a\\'b\"c'");
}

TEST(PythonReprTest, BytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(PythonRepr("a\xff" "b"), "'a\\xffb'");
  EXPECT_EQ(PythonRepr("\xc0\xaf"), "'\\xc0\\xaf'");          // overlong '/'
  EXPECT_EQ(PythonRepr("\xed\xa0\x80"), "'\\xed\\xa0\\x80'");  // a UTF-16 surrogate
  EXPECT_EQ(PythonRepr("\xe2\x82"), "'\\xe2\\x82'");          // truncated sequence
}

TEST(PythonReprTest, Lists) {
  // Python: repr(['files:delete', 'admin', "it's"]) and repr([]).
  EXPECT_EQ(PythonListRepr({"files:delete", "admin", "it's"}), "['files:delete', 'admin', \"it's\"]");
  EXPECT_EQ(PythonListRepr({}), "[]");
  EXPECT_EQ(PythonListRepr({"x"}), "['x']");
}

}  // namespace
}  // namespace mcpauth::sp
