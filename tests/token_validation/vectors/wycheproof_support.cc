#include "tests/token_validation/vectors/wycheproof_support.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "services/common/json.h"
#include "services/common/strings.h"

namespace mcpauth::tv::vectors {

std::filesystem::path WycheproofDir() {
  if (const char* env = std::getenv("MCPAUTH_WYCHEPROOF_DIR"); env != nullptr && *env != '\0') {
    return std::filesystem::path(env);
  }
  return std::filesystem::path(MCPAUTH_SOURCE_DIR) / ".." / "shared" / "testdata" / "wycheproof";
}

bool WycheproofAvailable() {
  std::error_code ec;
  return std::filesystem::is_directory(WycheproofDir(), ec);
}

std::string WycheproofSkipMessage() {
  return StrCat("Wycheproof vectors not found at ", WycheproofDir().string(),
                " (they are not part of the repository; set MCPAUTH_WYCHEPROOF_DIR to a copy of "
                "C2SP/wycheproof testvectors_v1 to run these tests)");
}

std::optional<boost::json::object> LoadWycheproofFile(std::string_view file_name) {
  const std::filesystem::path path = WycheproofDir() / std::string(file_name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "the Wycheproof directory exists but " << path << " cannot be read";
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(buffer.str(), ec);
  if (ec || !doc.is_object()) {
    ADD_FAILURE() << path << " is not a JSON object: " << ec.message();
    return std::nullopt;
  }
  return std::move(doc.get_object());
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

std::string DescribeCase(const boost::json::object& test) {
  std::string out = "tcId ";
  if (const auto* id = FindMember(test, "tcId"); id != nullptr && id->is_int64()) StrAppend(out, id->get_int64());
  StrAppend(out, " \"", StringOr(test, "comment"), "\" flags [");
  if (const auto* flags = FindMember(test, "flags"); flags != nullptr && flags->is_array()) {
    bool first = true;
    for (const auto& flag : flags->get_array()) {
      if (!flag.is_string()) continue;
      StrAppend(out, first ? "" : ", ", flag.get_string());
      first = false;
    }
  }
  StrAppend(out, "] result ", StringOr(test, "result"));
  return out;
}

std::string StringOr(const boost::json::object& object, std::string_view name) {
  return StringMember(object, name).value_or("");
}

}  // namespace mcpauth::tv::vectors
