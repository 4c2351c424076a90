#include "services/common/sha256.h"

#include <openssl/sha.h>

namespace mcpauth {

static_assert(sizeof(Sha256Digest) == SHA256_DIGEST_LENGTH);

Sha256Digest Sha256Of(std::string_view data) {
  Sha256Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return digest;
}

std::string Sha256(std::string_view data) {
  const Sha256Digest digest = Sha256Of(data);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace mcpauth
