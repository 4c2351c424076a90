// A certificate authority made by the test, with OpenSSL: a P-256 CA and the
// leaf certificates tests need (servers on loopback names, clients, expired or
// not-yet-valid ones), written as PEM files in the test's directory.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::test {

struct CertificateSpec {
  std::string common_name = "mcpauth-test";
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};
  absl::Time not_before = absl::Now() - absl::Hours(1);
  absl::Time not_after = absl::Now() + absl::Hours(24);
  // A key file already written (e.g. to renew a certificate with the same key, as
  // cert-manager may); empty: a new key.
  std::string key_file;
};

struct IssuedCertificate {
  std::string cert_file;  // PEM certificate
  std::string key_file;   // PEM private key
};

class TestCa {
 public:
  // Makes the CA's key and self-signed certificate (CN=`name`), written to
  // dir/<name>-ca.pem. Aborts the test program when OpenSSL fails.
  TestCa(const TempDir& dir, std::string name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_file() const { return cert_file_; }
  // A certificate for serverAuth and clientAuth, signed by this CA: dir/<stem>.pem
  // and (unless spec.key_file names one) dir/<stem>-key.pem.
  IssuedCertificate Issue(std::string_view stem, const CertificateSpec& spec = {}) const;

 private:
  struct Keys;
  const TempDir& dir_;
  std::string name_;
  std::string cert_file_;
  std::unique_ptr<Keys> keys_;
};

}  // namespace mcpauth::test
