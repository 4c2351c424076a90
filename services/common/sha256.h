// SHA-256 (FIPS 180-4, by OpenSSL): the one digest the suite keys, thumbprints and
// fingerprints with.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace mcpauth {

using Sha256Digest = std::array<unsigned char, 32>;

// The digest of `data`.
Sha256Digest Sha256Of(std::string_view data);
// The same as 32 raw bytes in a string (for HexEncode, Base64UrlEncode, map keys).
std::string Sha256(std::string_view data);

}  // namespace mcpauth
