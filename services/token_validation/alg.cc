#include "services/token_validation/alg.h"

#include "services/common/jws_algorithms.h"

namespace mcpauth::tv {
namespace {

// Explicitly fetched digests: OpenSSL 3 re-fetches implicitly on every use of the
// legacy EVP_sha256() handles, which is measurable on the verification hot path.
const EVP_MD* Digest(const char* name) {
  return EVP_MD_fetch(nullptr, name, nullptr);
}

struct Table {
  std::vector<AlgSpec> specs;
  std::vector<const AlgSpec*> pointers;
  Table() {
    const EVP_MD* sha256 = Digest("SHA256");
    const EVP_MD* sha384 = Digest("SHA384");
    const EVP_MD* sha512 = Digest("SHA512");
    specs = {
        {"RS256", KeyFamily::kRsa, "", sha256, 0},     {"RS384", KeyFamily::kRsa, "", sha384, 0},
        {"RS512", KeyFamily::kRsa, "", sha512, 0},     {"PS256", KeyFamily::kRsaPss, "", sha256, 0},
        {"PS384", KeyFamily::kRsaPss, "", sha384, 0},  {"PS512", KeyFamily::kRsaPss, "", sha512, 0},
        {"ES256", KeyFamily::kEc, "P-256", sha256, 32}, {"ES384", KeyFamily::kEc, "P-384", sha384, 48},
        {"ES512", KeyFamily::kEc, "P-521", sha512, 66}, {"EdDSA", KeyFamily::kOkp, "Ed25519", nullptr, 0},
    };
    for (const AlgSpec& s : specs) pointers.push_back(&s);
  }
};

const Table& GetTable() {
  // Never destroyed: the digests stay fetched for the life of the process, and
  // stay reachable (LeakSanitizer) after static destructors have run.
  static const Table* table = new Table;
  return *table;
}

}  // namespace

const AlgSpec* FindAlg(std::string_view name) {
  for (const AlgSpec* s : GetTable().pointers) {
    if (s->name == name) return s;
  }
  return nullptr;
}

const std::vector<const AlgSpec*>& SupportedAlgs() { return GetTable().pointers; }

bool IsForbiddenAlg(std::string_view name) { return IsForbiddenJwsAlg(name); }

}  // namespace mcpauth::tv
