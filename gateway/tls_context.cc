#include "gateway/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "services/common/file_watcher.h"
#include "services/common/log.h"
#include "services/common/sha256.h"
#include "services/common/strings.h"
#include "services/common/tls_peer.h"

namespace mcpauth::gw {
namespace {

constexpr unsigned char kHttp11Alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// The server side speaks HTTP/1.1 only: it picks "http/1.1" when a client offers
// it and selects nothing otherwise (the client then falls back to HTTP/1.1 too).
int SelectHttp11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                 void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11Alpn, sizeof kHttp11Alpn, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// The notAfter of the first certificate in a PEM chain.
absl::Time NotAfter(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                   &X509_free);
  ERR_clear_error();
  if (!cert) return absl::InfiniteFuture();
  struct tm t {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &t) != 1) return absl::InfiniteFuture();
  return absl::FromTM(t, absl::UTCTimeZone());
}

std::string Describe(const boost::system::system_error& e) {
  const std::string what = e.code().message();
  return what.empty() ? std::string(e.what()) : what;
}

}  // namespace

TlsContextSource::TlsContextSource(Side side, std::string cert_file, std::string key_file, std::string ca_file,
                                   absl::Duration interval, std::string setting, Observer observer, const Clock* clock)
    : side_(side),
      cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      ca_file_(std::move(ca_file)),
      interval_(interval),
      setting_(std::move(setting)),
      observer_(std::move(observer)),
      clock_(clock) {}

absl::StatusOr<std::unique_ptr<TlsContextSource>> TlsContextSource::ForServer(const ServerTls& tls, std::string setting,
                                                                              Observer observer, const Clock* clock) {
  if (!tls.enabled() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(StrCat(setting, ": cert_file and key_file are both needed"));
  }
  std::unique_ptr<TlsContextSource> source(new TlsContextSource(Side::kServer, tls.cert_file, tls.key_file,
                                                                tls.client_ca_file, tls.reload_interval,
                                                                std::move(setting), std::move(observer), clock));
  if (absl::Status s = source->Load(); !s.ok()) return s;
  return source;
}

absl::StatusOr<std::unique_ptr<TlsContextSource>> TlsContextSource::ForUpstream(const ClientTls& tls,
                                                                                std::string setting,
                                                                                Observer observer, const Clock* clock) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(StrCat(setting, ": cert_file and key_file come together"));
  }
  std::unique_ptr<TlsContextSource> source(new TlsContextSource(Side::kClient, tls.cert_file, tls.key_file,
                                                                tls.ca_file, tls.reload_interval, std::move(setting),
                                                                std::move(observer), clock));
  if (absl::Status s = source->Load(); !s.ok()) return s;
  return source;
}

std::string TlsContextSource::Files::Digest() const { return Sha256(StrCat(cert, "\n--\n", key, "\n--\n", ca)); }

absl::StatusOr<TlsContextSource::Files> TlsContextSource::ReadFiles() const {
  Files files;
  for (auto [path, content, key] : {std::tuple{&cert_file_, &files.cert, "cert_file"},
                                    std::tuple{&key_file_, &files.key, "key_file"},
                                    std::tuple{&ca_file_, &files.ca, side_ == Side::kServer ? "client_ca_file" : "ca_file"}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> read = ReadWholeFile(*path);
    if (!read.ok()) return absl::InvalidArgumentError(StrCat(setting_, ".", key, ": ", read.status().message()));
    *content = std::move(*read);
  }
  return files;
}

absl::StatusOr<std::shared_ptr<ssl::context>> TlsContextSource::Make(const Files& files, absl::Time& not_after) const {
  const char* ca_key = side_ == Side::kServer ? "client_ca_file" : "ca_file";
  auto context = std::make_shared<ssl::context>(side_ == Side::kServer ? ssl::context::tls_server
                                                                        : ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // Renegotiation is a TLS 1.2 feature no HTTP/1.1 peer of ours needs.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  std::string_view step;
  try {
    if (!files.cert.empty()) {
      // The key first: a certificate set after it that does not match drops the key
      // (OpenSSL), and the check below says so plainly.
      step = "key_file";
      context->use_private_key(asio::buffer(files.key), ssl::context::pem);
      step = "cert_file";
      context->use_certificate_chain(asio::buffer(files.cert));
      if (SSL_CTX_check_private_key(native) != 1) {
        ERR_clear_error();
        return absl::InvalidArgumentError(StrCat(setting_, ".key_file: \"", key_file_,
                                                 "\" is not the private key of the certificate in \"", cert_file_,
                                                 "\""));
      }
    }
    step = ca_key;
    if (!files.ca.empty()) {
      context->add_certificate_authority(asio::buffer(files.ca));
    } else if (side_ == Side::kClient) {
      context->set_default_verify_paths();
    }
  } catch (const boost::system::system_error& e) {
    ERR_clear_error();
    const std::string& path = step == "cert_file" ? cert_file_ : step == "key_file" ? key_file_ : ca_file_;
    return absl::InvalidArgumentError(StrCat(setting_, ".", step, ": \"", path, "\" is not usable (", Describe(e), ")"));
  }
  if (side_ == Side::kServer) {
    SSL_CTX_set_alpn_select_cb(native, &SelectHttp11, nullptr);
    if (!files.ca.empty()) {
      context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      // Clients learn which CAs are accepted; session resumption needs a context id
      // whenever peers are verified.
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_file_.c_str());
      if (names != nullptr) SSL_CTX_set_client_CA_list(native, names);
      static constexpr unsigned char kSessionContext[] = "mcpauth-gateway";
      SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
      ERR_clear_error();
    }
  } else {
    context->set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_alpn_protos(native, kHttp11Alpn, sizeof kHttp11Alpn);
  }
  not_after = files.cert.empty() ? absl::InfiniteFuture() : NotAfter(files.cert);
  return context;
}

absl::Status TlsContextSource::Load() {
  absl::StatusOr<Files> files = ReadFiles();
  if (!files.ok()) return files.status();
  absl::Time not_after;
  absl::StatusOr<std::shared_ptr<ssl::context>> context = Make(*files, not_after);
  if (!context.ok()) return context.status();
  loaded_digest_ = files->Digest();
  std::atomic_store(&current_, std::move(*context));
  next_check_ns_ = absl::ToUnixNanos(clock_->Now() + interval_);
  if (observer_) observer_(true, not_after);
  return absl::OkStatus();
}

void TlsContextSource::ReloadIfChanged() {
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another connection is checking right now
  next_check_ns_ = absl::ToUnixNanos(clock_->Now() + interval_);
  absl::StatusOr<Files> files = ReadFiles();
  if (!files.ok()) {
    log::Error("cannot read TLS files; keeping the certificates loaded before",
               {{"setting", setting_}, {"error", std::string(files.status().message())}});
    if (observer_) observer_(false, absl::InfiniteFuture());
    return;
  }
  const std::string digest = files->Digest();
  if (digest == loaded_digest_ || digest == refused_digest_) return;
  absl::Time not_after;
  absl::StatusOr<std::shared_ptr<ssl::context>> context = Make(*files, not_after);
  if (!context.ok()) {
    refused_digest_ = digest;  // logged once per content; tried again when it changes
    log::Error("TLS files changed but are not usable; keeping the certificates loaded before",
               {{"setting", setting_}, {"error", std::string(context.status().message())}});
    if (observer_) observer_(false, absl::InfiniteFuture());
    return;
  }
  loaded_digest_ = digest;
  refused_digest_.clear();
  std::atomic_store(&current_, std::move(*context));
  log::Info("TLS certificates reloaded", {{"setting", setting_}});
  if (observer_) observer_(true, not_after);
}

std::shared_ptr<ssl::context> TlsContextSource::Current() {
  if (absl::ToUnixNanos(clock_->Now()) >= next_check_ns_.load(std::memory_order_relaxed)) ReloadIfChanged();
  return std::atomic_load(&current_);
}

absl::Status PrepareUpstreamTls(Stream::TlsStream& stream, const std::string& host) {
  return ExpectPeerName(stream.native_handle(), host);
}

std::string TlsFailureDetail(Stream::TlsStream& stream, const beast::error_code& ec) {
  return HandshakeFailure(stream.native_handle(), ec.message());
}

}  // namespace mcpauth::gw
