// Reading the Wycheproof vectors (C2SP/wycheproof, testvectors_v1). They are not part
// of the repository: CI provides them at ../shared/testdata/wycheproof from the project
// root, and MCPAUTH_WYCHEPROOF_DIR points elsewhere. Tests skip, saying so, without them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace mcpauth::tv::vectors {

// MCPAUTH_WYCHEPROOF_DIR if set, else <source>/../shared/testdata/wycheproof.
std::filesystem::path WycheproofDir();
bool WycheproofAvailable();
// Why the tests skip, naming the directory that was looked for.
std::string WycheproofSkipMessage();

// Loads one vector file. A missing or unreadable file in a present directory is a test
// failure (the copy is incomplete), reported here; the caller gets nullopt.
std::optional<boost::json::object> LoadWycheproofFile(std::string_view file_name);

// Lower- or upper-case hex to bytes; nullopt on odd length or a non-hex character.
std::optional<std::string> HexDecode(std::string_view hex);

// "tcId 12 \"comment\" flags [A, B]": what SCOPED_TRACE shows when a case fails.
std::string DescribeCase(const boost::json::object& test);

// A JSON member that must be a string; "" when absent or of another type.
std::string StringOr(const boost::json::object& object, std::string_view name);

}  // namespace mcpauth::tv::vectors
