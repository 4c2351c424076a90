#include "services/common/base64url.h"

#include <gtest/gtest.h>

namespace mcpauth {
namespace {

// RFC 4648 §10 test vectors, in the URL-safe alphabet without padding.
TEST(Base64Url, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded);
    EXPECT_EQ(Base64UrlDecode(encoded), std::string(plain));
  }
}

TEST(Base64Url, UsesUrlSafeAlphabet) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), std::string("\xfb\xff"));
}

TEST(Base64Url, RefusesPadding) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));
  EXPECT_FALSE(Base64UrlDecode("Zm8="));
}

TEST(Base64Url, RefusesStandardAlphabetAndStrayCharacters) {
  EXPECT_FALSE(Base64UrlDecode("+/8"));
  EXPECT_FALSE(Base64UrlDecode("Zm 9v"));
  EXPECT_FALSE(Base64UrlDecode("Zm9v\n"));
  EXPECT_FALSE(Base64UrlDecode("Zm9v."));
  EXPECT_FALSE(Base64UrlDecode(std::string("Zm9v\0", 5)));
}

TEST(Base64Url, RefusesImpossibleLength) { EXPECT_FALSE(Base64UrlDecode("Zm9vY")); }

// "Zh" and "Zg" both decode to "f" in lenient decoders; only "Zg" is canonical.
TEST(Base64Url, RefusesNonCanonicalTrailingBits) {
  EXPECT_FALSE(Base64UrlDecode("Zh"));
  EXPECT_FALSE(Base64UrlDecode("Zm9"));
  EXPECT_TRUE(Base64UrlDecode("Zm8"));
}

TEST(Base64Url, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 17) {
    const std::string part = all.substr(0, len);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(part)), part);
  }
}

}  // namespace
}  // namespace mcpauth
