#include "tests/support/test_ca.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "services/common/strings.h"

namespace mcpauth::test {
namespace {

[[noreturn]] void Die(std::string_view what) {
  std::fprintf(stderr, "TestCa: %.*s failed\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

void Check(bool ok, std::string_view what) {
  if (!ok) Die(what);
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

// A certificate for `key`, named `cn`, valid from `not_before` to `not_after`, not yet signed.
X509* NewCertificate(EVP_PKEY* key, const std::string& cn, absl::Time not_before, absl::Time not_after) {
  static std::atomic<long> serial{1};
  X509* cert = X509_new();
  Check(cert != nullptr, "X509_new");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++ + absl::ToUnixSeconds(absl::Now()));
  X509_time_adj_ex(X509_getm_notBefore(cert), 0, absl::ToUnixSeconds(not_before) - absl::ToUnixSeconds(absl::Now()),
                   nullptr);
  X509_time_adj_ex(X509_getm_notAfter(cert), 0, absl::ToUnixSeconds(not_after) - absl::ToUnixSeconds(absl::Now()),
                   nullptr);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  Check(X509_set_pubkey(cert, key) == 1, "X509_set_pubkey");
  return cert;
}

void WritePem(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  Check(f != nullptr && PEM_write_X509(f, cert) == 1, "writing a certificate");
  std::fclose(f);
}

void WriteKey(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  Check(f != nullptr && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "writing a key");
  std::fclose(f);
}

EVP_PKEY* ReadKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  Check(f != nullptr, "opening a key");
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  Check(key != nullptr, "reading a key");
  return key;
}

}  // namespace

struct TestCa::Keys {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~Keys() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TestCa::TestCa(const TempDir& dir, std::string name)
    : dir_(dir), name_(std::move(name)), cert_file_(dir.File(StrCat(name_, "-ca.pem"))), keys_(std::make_unique<Keys>()) {
  keys_->key = EVP_EC_gen("P-256");
  Check(keys_->key != nullptr, "EVP_EC_gen");
  const absl::Time now = absl::Now();
  keys_->cert = NewCertificate(keys_->key, name_, now - absl::Hours(1), now + absl::Hours(24 * 30));
  X509_set_issuer_name(keys_->cert, X509_get_subject_name(keys_->cert));
  AddExtension(keys_->cert, keys_->cert, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(keys_->cert, keys_->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(keys_->cert, keys_->cert, NID_subject_key_identifier, "hash");
  Check(X509_sign(keys_->cert, keys_->key, EVP_sha256()) > 0, "X509_sign (CA)");
  WritePem(cert_file_, keys_->cert);
}

TestCa::~TestCa() = default;

IssuedCertificate TestCa::Issue(std::string_view stem, const CertificateSpec& spec) const {
  IssuedCertificate out{dir_.File(StrCat(stem, ".pem")),
                        spec.key_file.empty() ? dir_.File(StrCat(stem, "-key.pem")) : spec.key_file};
  EVP_PKEY* key = spec.key_file.empty() ? EVP_EC_gen("P-256") : ReadKey(spec.key_file);
  Check(key != nullptr, "EVP_EC_gen");
  X509* cert = NewCertificate(key, spec.common_name, spec.not_before, spec.not_after);
  X509_set_issuer_name(cert, X509_get_subject_name(keys_->cert));
  AddExtension(cert, keys_->cert, NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert, keys_->cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  AddExtension(cert, keys_->cert, NID_ext_key_usage, "serverAuth,clientAuth");
  AddExtension(cert, keys_->cert, NID_authority_key_identifier, "keyid:always");
  std::vector<std::string> names;
  for (const std::string& d : spec.dns_names) names.push_back(StrCat("DNS:", d));
  for (const std::string& ip : spec.ip_addresses) names.push_back(StrCat("IP:", ip));
  if (!names.empty()) AddExtension(cert, keys_->cert, NID_subject_alt_name, StrJoin(names, ","));
  Check(X509_sign(cert, keys_->key, EVP_sha256()) > 0, "X509_sign");
  // Written beside, then renamed: a reader never sees half a file.
  const std::string partial = StrCat(out.cert_file, ".partial");
  WritePem(partial, cert);
  Check(std::rename(partial.c_str(), out.cert_file.c_str()) == 0, "renaming a certificate");
  if (spec.key_file.empty()) WriteKey(out.key_file, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace mcpauth::test
