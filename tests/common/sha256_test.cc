// services/common/sha256.h against the FIPS 180-2 examples.
#include "services/common/sha256.h"

#include <gtest/gtest.h>

#include "services/common/strings.h"

namespace mcpauth {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(HexEncode(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const Sha256Digest digest = Sha256Of("abc");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(digest.data()), digest.size()), Sha256("abc"));
}

}  // namespace
}  // namespace mcpauth
