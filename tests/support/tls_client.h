// A TLS client for tests (OpenSSL, blocking, on a fresh loopback connection): it
// checks the server's certificate as a careful client would, can present its own,
// and reports what a test needs to see — whether the handshake passed and why not,
// which certificate the server showed, and what came back.
#pragma once

#include <string>

#include "absl/time/time.h"

namespace mcpauth::test {

struct TlsClientOptions {
  std::string ca_file;             // roots the server's certificate must chain to
  std::string server_name = "localhost";  // SNI and the name the certificate must carry
  std::string cert_file, key_file;  // the client's own certificate (mutual TLS)
  absl::Duration timeout = absl::Seconds(5);
};

struct TlsExchangeResult {
  bool handshake_ok = false;
  std::string error;             // why the handshake or the exchange failed
  std::string peer_fingerprint;  // hex SHA-256 of the server certificate's DER
  std::string response;          // everything read until the server closed or the timeout
};

// Connects to 127.0.0.1:`port`, makes the handshake, sends `bytes` and reads the
// answer (send "Connection: close" to have it end promptly).
TlsExchangeResult HttpsExchange(int port, const std::string& bytes, const TlsClientOptions& options);

// The hex SHA-256 of the first certificate in a PEM file (to compare with
// peer_fingerprint).
std::string CertificateFingerprint(const std::string& pem_file);

}  // namespace mcpauth::test
