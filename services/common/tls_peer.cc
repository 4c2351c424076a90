#include "services/common/tls_peer.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "services/common/strings.h"

namespace mcpauth {
namespace {

bool IsIpAddress(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1;
}

}  // namespace

absl::Status ExpectPeerName(ssl_st* ssl, const std::string& host) {
  const bool is_address = IsIpAddress(host);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int set = is_address ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                             : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  const bool sni_ok = is_address || SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  if (host.empty() || set != 1 || !sni_ok) {
    ERR_clear_error();
    return absl::InvalidArgumentError(StrCat("\"", host, "\" cannot be checked against a certificate"));
  }
  return absl::OkStatus();
}

std::string HandshakeFailure(ssl_st* ssl, std::string_view error) {
  const long verdict = SSL_get_verify_result(ssl);
  if (verdict != X509_V_OK) {
    return StrCat("the peer's certificate was refused: ", X509_verify_cert_error_string(verdict));
  }
  return StrCat("TLS handshake failed: ", error);
}

}  // namespace mcpauth
