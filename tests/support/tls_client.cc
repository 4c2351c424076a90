#include "tests/support/tls_client.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>

#include "services/common/strings.h"

namespace mcpauth::test {
namespace {

std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

std::string Fingerprint(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  X509_digest(cert, EVP_sha256(), digest, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

}  // namespace

std::string CertificateFingerprint(const std::string& pem_file) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(pem_file.c_str(), "r"), &BIO_free);
  if (!bio) return "";
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                   &X509_free);
  ERR_clear_error();
  return cert ? Fingerprint(cert.get()) : "";
}

TlsExchangeResult HttpsExchange(int port, const std::string& bytes, const TlsClientOptions& options) {
  TlsExchangeResult result;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!options.ca_file.empty() && SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) != 1) {
    result.error = StrCat("ca_file: ", OpenSslErrors());
    return result;
  }
  if (!options.cert_file.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx.get(), options.cert_file.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx.get(), options.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
    result.error = StrCat("client certificate: ", OpenSslErrors());
    return result;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const timeval tv{.tv_sec = absl::ToInt64Seconds(options.timeout),
                   .tv_usec = absl::ToInt64Microseconds(options.timeout) % 1000000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    result.error = "cannot connect";
    return result;
  }
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  SSL_set_fd(ssl.get(), fd);
  SSL_set_tlsext_host_name(ssl.get(), options.server_name.c_str());
  SSL_set1_host(ssl.get(), options.server_name.c_str());
  if (SSL_connect(ssl.get()) != 1) {
    const long verdict = SSL_get_verify_result(ssl.get());
    result.error = verdict != X509_V_OK ? X509_verify_cert_error_string(verdict) : OpenSslErrors();
    if (result.error.empty()) result.error = "handshake failed";
    ::close(fd);
    return result;
  }
  result.handshake_ok = true;
  if (X509* peer = SSL_get1_peer_certificate(ssl.get())) {
    result.peer_fingerprint = Fingerprint(peer);
    X509_free(peer);
  }
  if (SSL_write(ssl.get(), bytes.data(), static_cast<int>(bytes.size())) <= 0) {
    result.error = StrCat("write: ", OpenSslErrors());
  }
  char buffer[16 * 1024];
  for (;;) {
    const int n = SSL_read(ssl.get(), buffer, sizeof buffer);
    if (n <= 0) {
      const int why = SSL_get_error(ssl.get(), n);
      // TLS 1.3 refuses a client certificate after the client's handshake ended: it
      // shows on the first read as an alert.
      if (why != SSL_ERROR_ZERO_RETURN && result.response.empty() && result.error.empty()) {
        result.error = StrCat("read: ", OpenSslErrors());
      }
      break;
    }
    result.response.append(buffer, static_cast<size_t>(n));
  }
  ERR_clear_error();
  ::close(fd);
  return result;
}

}  // namespace mcpauth::test
