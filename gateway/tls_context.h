// The gateway's TLS settings made into OpenSSL contexts, and made again when their
// files change: `gateway.tls` (the certificate clients see; with client_ca_file,
// mutual TLS) and each route's `upstream_tls` (how an https upstream is checked,
// and the certificate the gateway shows it). cert-manager rotates certificates by
// replacing the Secret's files; new connections get the new ones without a restart.
//
// Files are read again at most once per reload_interval, when a connection is made.
// A change that does not make a usable context (a certificate written before its
// key, a half-written file) keeps the previous context, logged and counted, and is
// tried again at the next interval.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/stream.h"
#include "services/common/clock.h"
#include "services/common/service_section.h"

namespace mcpauth::gw {

class TlsContextSource {
 public:
  // Told of every (re)load: whether it made a context, and the notAfter of the
  // certificate it serves (InfiniteFuture when it serves none).
  using Observer = std::function<void(bool loaded, absl::Time not_after)>;

  // `setting` is the key path for messages, e.g. "gateway.tls". Errors (unreadable
  // files, a key that is not the certificate's) name it.
  static absl::StatusOr<std::unique_ptr<TlsContextSource>> ForServer(const ServerTls& tls, std::string setting,
                                                                     Observer observer = {},
                                                                     const Clock* clock = SystemClock::Get());
  static absl::StatusOr<std::unique_ptr<TlsContextSource>> ForUpstream(const ClientTls& tls, std::string setting,
                                                                       Observer observer = {},
                                                                       const Clock* clock = SystemClock::Get());

  // The context for a new connection, made again first when reload_interval has
  // passed and the files are not what the current one was made from.
  std::shared_ptr<ssl::context> Current();
  const std::string& setting() const { return setting_; }

 private:
  enum class Side { kServer, kClient };
  struct Files {
    std::string cert, key, ca;  // contents; empty when not configured
    std::string Digest() const;  // what a context was made from, to notice a change
  };
  TlsContextSource(Side side, std::string cert_file, std::string key_file, std::string ca_file,
                   absl::Duration interval, std::string setting, Observer observer, const Clock* clock);
  absl::StatusOr<Files> ReadFiles() const;
  absl::StatusOr<std::shared_ptr<ssl::context>> Make(const Files& files, absl::Time& not_after) const;
  absl::Status Load();
  void ReloadIfChanged();

  Side side_;
  std::string cert_file_, key_file_, ca_file_;
  absl::Duration interval_;
  std::string setting_;
  Observer observer_;
  const Clock* clock_;
  std::mutex mu_;                    // one reload at a time
  std::string loaded_digest_;        // of the files current_ was made from (mu_)
  std::string refused_digest_;       // of files that made no context, logged once (mu_)
  std::atomic<int64_t> next_check_ns_{0};
  std::shared_ptr<ssl::context> current_;  // read and swapped with std::atomic_load/store
};

// Sets up a client connection's TLS before its handshake: SNI (for a DNS name) and
// the name or address the upstream's certificate must carry.
absl::Status PrepareUpstreamTls(Stream::TlsStream& stream, const std::string& host);

// Why a TLS handshake failed, for a log line: the certificate check's verdict when
// there was one ("certificate has expired"), else the error's text.
std::string TlsFailureDetail(Stream::TlsStream& stream, const beast::error_code& ec);

}  // namespace mcpauth::gw
