// One connection to a Redis server or a Sentinel, plaintext or TLS, every step
// bounded by a deadline. The protocol is hiredis's (redisFormatCommandArgv writes
// a command, redisReader parses the reply); this class only moves the bytes, over
// the socket or through OpenSSL, because Debian's hiredis 0.14 has no TLS.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct redisReader;
struct redisReply;
struct ssl_ctx_st;
struct ssl_st;

namespace mcpauth {

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// A TLS client context for Redis: the roots the server's certificate must chain
// to (the system's without ca_file) and, for servers that require one
// (tls-auth-clients), the client's certificate. Null: plaintext.
using RedisTlsContext = std::shared_ptr<ssl_ctx_st>;
absl::StatusOr<RedisTlsContext> MakeRedisTlsContext(const std::string& ca_file, const std::string& cert_file,
                                                    const std::string& key_file);

class RedisConnection {
 public:
  // Connects to host:port within `timeout` (name lookup, TCP and the TLS handshake
  // together). With `tls`, the server's certificate must carry `server_name` (a DNS
  // name, also sent as SNI, or an IP address), or `host` when it is empty.
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Open(const std::string& host, int port,
                                                               const RedisTlsContext& tls,
                                                               const std::string& server_name,
                                                               absl::Duration timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and reads its reply within `timeout`. An error reply is a
  // reply; a status (Unavailable, DeadlineExceeded) means the connection is broken
  // and must be dropped.
  absl::StatusOr<RedisReplyPtr> Run(const std::vector<std::string>& args, absl::Duration timeout);

  // Before reusing an idle connection: false when the server closed it or sent
  // something unasked (a restart, a failover's CLIENT KILL, an idle timeout).
  bool StillOpen();

 private:
  RedisConnection(int fd, ssl_st* ssl);
  absl::Status Write(const char* data, size_t size, absl::Time deadline);
  absl::StatusOr<size_t> ReadSome(char* buffer, size_t size, absl::Time deadline);
  // Waits for an OpenSSL or socket want: SSL_ERROR_WANT_READ/WRITE → poll.
  absl::Status AwaitSocket(short events, absl::Time deadline);

  int fd_;
  ssl_st* ssl_;  // null: plaintext
  bool broken_ = false;  // no finished handshake, or a fatal TLS error: no close_notify
  redisReader* reader_;
};

}  // namespace mcpauth
