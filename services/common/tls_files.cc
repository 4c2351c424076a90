#include "services/common/tls_files.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "services/common/log.h"
#include "services/common/openssl_error.h"
#include "services/common/strings.h"
#include "services/common/yaml_reader.h"

namespace mcpauth {
namespace {

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Certificate = std::unique_ptr<X509, decltype(&X509_free)>;
using PrivateKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Bio OpenFile(const std::string& path, const std::string& key) {
  Bio bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  if (!bio) {
    ERR_clear_error();
    throw ConfigError(StrCat(key, ": cannot read \"", path, "\""));
  }
  return bio;
}

std::vector<Certificate> ReadCertificates(const std::string& path, const std::string& key) {
  Bio bio = OpenFile(path, key);
  std::vector<Certificate> certificates;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certificates.emplace_back(x, &X509_free);
  ERR_clear_error();  // the end of the file
  if (certificates.empty()) throw ConfigError(StrCat(key, ": \"", path, "\" holds no PEM certificate"));
  return certificates;
}

PrivateKey ReadPrivateKey(const std::string& path, const std::string& key) {
  Bio bio = OpenFile(path, key);
  PrivateKey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!pkey) {
    throw ConfigError(StrCat(key, ": \"", path, "\" holds no PEM private key (", TakeOpenSslError("no PEM data"), ")"));
  }
  return pkey;
}

// cert_file's first certificate and key_file's key belong together; warns when the
// certificate is outside its validity period.
void CheckIdentity(const std::string& cert_file, const std::string& key_file, std::string_view key_path) {
  const std::string cert_key = StrCat(key_path, ".cert_file");
  const std::vector<Certificate> chain = ReadCertificates(cert_file, cert_key);
  const PrivateKey pkey = ReadPrivateKey(key_file, StrCat(key_path, ".key_file"));
  if (X509_check_private_key(chain.front().get(), pkey.get()) != 1) {
    ERR_clear_error();
    throw ConfigError(StrCat(key_path, ".key_file: \"", key_file, "\" is not the private key of the certificate in \"",
                             cert_file, "\""));
  }
  if (X509_cmp_current_time(X509_get0_notAfter(chain.front().get())) < 0) {
    log::Warn("certificate has expired; peers will refuse it until it is replaced",
              {{"key", cert_key}, {"file", cert_file}});
  } else if (X509_cmp_current_time(X509_get0_notBefore(chain.front().get())) > 0) {
    log::Warn("certificate is not valid yet; peers will refuse it", {{"key", cert_key}, {"file", cert_file}});
  }
}

}  // namespace

// cert_file and key_file come together.
void CheckPair(const std::string& cert_file, const std::string& key_file, std::string_view key_path) {
  if (cert_file.empty() == key_file.empty()) return;
  throw ConfigError(StrCat(key_path, cert_file.empty() ? ".cert_file" : ".key_file",
                           ": cert_file and key_file come together"));
}

void CheckServerTls(const ServerTls& tls, std::string_view key_path) {
  CheckPair(tls.cert_file, tls.key_file, key_path);
  if (!tls.enabled()) {
    if (!tls.client_ca_file.empty()) {
      throw ConfigError(StrCat(key_path, ".client_ca_file: mutual TLS needs the service's own cert_file and key_file"));
    }
    return;
  }
  CheckIdentity(tls.cert_file, tls.key_file, key_path);
  if (!tls.client_ca_file.empty()) ReadCertificates(tls.client_ca_file, StrCat(key_path, ".client_ca_file"));
}

void CheckClientTls(const ClientTls& tls, std::string_view key_path) {
  CheckPair(tls.cert_file, tls.key_file, key_path);
  if (!tls.ca_file.empty()) ReadCertificates(tls.ca_file, StrCat(key_path, ".ca_file"));
  if (!tls.cert_file.empty()) CheckIdentity(tls.cert_file, tls.key_file, key_path);
}

}  // namespace mcpauth
