// Python's repr() of strings and lists of strings, for the denial text Dedalus MCP
// users know (`Tool "x" requires scopes: ['files:delete']. Missing: ['files:delete']`),
// which Dedalus builds by formatting Python lists.
//
// repr(str): single quotes, or double quotes when the text contains a single quote
// and no double quote; backslash escapes for '\\', the chosen quote, \t \n \r, and
// \xhh / \uhhhh / \Uhhhhhhhh for characters Python does not print (controls,
// separators, format characters such as the bidi overrides, private use).
// Python decides "printable" from the full Unicode database; this covers every
// ASCII and Latin-1 character exactly and the non-printable characters beyond
// Latin-1 that matter for display (Zs, Zl, Zp and Cf characters, private use,
// noncharacters), and prints other characters as they are. Bytes that are not
// UTF-8 come out as \xhh.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mcpauth::sp {

std::string PythonRepr(std::string_view text);
// "['a', 'b']"; "[]" when empty.
std::string PythonListRepr(const std::vector<std::string>& items);

}  // namespace mcpauth::sp
