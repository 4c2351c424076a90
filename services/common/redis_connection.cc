#include "services/common/redis_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>

#include "services/common/openssl_error.h"
#include "services/common/strings.h"
#include "services/common/tls_peer.h"

namespace mcpauth {
namespace {

// A reply larger than this is not one the suite wrote: the connection is dropped.
constexpr size_t kMaxReplyBytes = 64 << 20;

int RemainingMs(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60'000));
}

// Non-blocking connect to one resolved address, finished by the deadline.
int ConnectOne(const addrinfo* a, absl::Time deadline, std::string& error) {
  const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      error = std::strerror(errno);
      close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int ready;
    do {
      ready = poll(&p, 1, RemainingMs(deadline));
    } while (ready < 0 && errno == EINTR);
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (ready <= 0) {
      error = ready == 0 ? "connect timed out" : std::strerror(errno);
      close(fd);
      return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
      error = std::strerror(so_error != 0 ? so_error : errno);
      close(fd);
      return -1;
    }
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE (ending the
// process) when the server has reset the connection; this one is the same with
// send(MSG_NOSIGNAL).
int SendWithoutSigpipe(BIO* bio, const char* data, int size) {
  int fd = -1;
  BIO_get_fd(bio, &fd);
  BIO_clear_retry_flags(bio);
  const ssize_t n = send(fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

const BIO_METHOD* SocketWithoutSigpipe() {
  static const BIO_METHOD* method = [] {
    const BIO_METHOD* socket = BIO_s_socket();
    BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOCKET, "socket, send without SIGPIPE");
    BIO_meth_set_write(m, SendWithoutSigpipe);
    BIO_meth_set_read(m, BIO_meth_get_read(socket));
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(socket));
    BIO_meth_set_create(m, BIO_meth_get_create(socket));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(socket));
    return m;
  }();
  return method;
}

}  // namespace

void RedisReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

absl::StatusOr<RedisTlsContext> MakeRedisTlsContext(const std::string& ca_file, const std::string& cert_file,
                                                    const std::string& key_file) {
  RedisTlsContext ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  if (!ctx) return absl::InternalError(StrCat("TLS context: ", TakeOpenSslError("no detail")));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  const int roots = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                                    : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  if (roots != 1) {
    return absl::InvalidArgumentError(StrCat("ca_file \"", ca_file, "\": ", TakeOpenSslError("no detail")));
  }
  if (!cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
      return absl::InvalidArgumentError(StrCat("cert_file \"", cert_file, "\": ", TakeOpenSslError("no detail")));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      return absl::InvalidArgumentError(StrCat("key_file \"", key_file, "\": ", TakeOpenSslError("no detail")));
    }
  }
  return ctx;
}

RedisConnection::RedisConnection(int fd, ssl_st* ssl) : fd_(fd), ssl_(ssl), reader_(redisReaderCreate()) {}

RedisConnection::~RedisConnection() {
  if (ssl_ != nullptr) {
    // close_notify, not waited for; none without a finished handshake or after a
    // fatal error (OpenSSL forbids it).
    if (!broken_) SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ERR_clear_error();
  }
  close(fd_);
  if (reader_ != nullptr) redisReaderFree(reader_);
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Open(const std::string& host, int port,
                                                                        const RedisTlsContext& tls,
                                                                        const std::string& server_name,
                                                                        absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const std::string where = StrCat(host, ":", port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(StrCat("connect to ", where, ": ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  std::string error = "no address";
  int fd = -1;
  for (const addrinfo* a = found; a != nullptr && fd < 0 && absl::Now() < deadline; a = a->ai_next) {
    fd = ConnectOne(a, deadline, error);
  }
  if (fd < 0) return absl::UnavailableError(StrCat("connect to ", where, ": ", error));
  if (!tls) return std::unique_ptr<RedisConnection>(new RedisConnection(fd, nullptr));

  SSL* ssl = SSL_new(tls.get());
  if (ssl == nullptr) {
    close(fd);
    return absl::InternalError(StrCat("TLS to ", where, ": ", TakeOpenSslError("no detail")));
  }
  std::unique_ptr<RedisConnection> connection(new RedisConnection(fd, ssl));
  connection->broken_ = true;  // until the handshake is done
  BIO* bio = BIO_new(SocketWithoutSigpipe());
  if (bio == nullptr) return absl::InternalError(StrCat("TLS to ", where, ": ", TakeOpenSslError("no memory")));
  BIO_set_fd(bio, fd, BIO_NOCLOSE);
  SSL_set_bio(ssl, bio, bio);
  if (absl::Status s = ExpectPeerName(ssl, server_name.empty() ? host : server_name); !s.ok()) return s;
  while (true) {
    const int rc = SSL_connect(ssl);
    if (rc == 1) {
      connection->broken_ = false;
      break;
    }
    const int want = SSL_get_error(ssl, rc);
    absl::Status waited =
        want == SSL_ERROR_WANT_READ    ? connection->AwaitSocket(POLLIN, deadline)
        : want == SSL_ERROR_WANT_WRITE ? connection->AwaitSocket(POLLOUT, deadline)
                                       : absl::UnavailableError(HandshakeFailure(
                                             ssl, TakeOpenSslError("connection closed during the handshake")));
    if (!waited.ok()) {
      ERR_clear_error();
      return absl::UnavailableError(StrCat("TLS to ", where, ": ", waited.message()));
    }
  }
  return connection;
}

absl::Status RedisConnection::AwaitSocket(short events, absl::Time deadline) {
  pollfd p{fd_, events, 0};
  while (true) {
    const int ready = poll(&p, 1, RemainingMs(deadline));
    if (ready > 0) return absl::OkStatus();
    if (ready == 0) return absl::DeadlineExceededError("timed out");
    if (errno != EINTR) return absl::UnavailableError(std::strerror(errno));
  }
}

absl::Status RedisConnection::Write(const char* data, size_t size, absl::Time deadline) {
  size_t done = 0;
  while (done < size) {
    if (ssl_ != nullptr) {
      const int n = SSL_write(ssl_, data + done, static_cast<int>(size - done));
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      const int want = SSL_get_error(ssl_, n);
      if (want != SSL_ERROR_WANT_READ && want != SSL_ERROR_WANT_WRITE) {
        broken_ = true;
        return absl::UnavailableError(StrCat("write: ", TakeOpenSslError("connection lost")));
      }
      if (absl::Status s = AwaitSocket(want == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline); !s.ok()) return s;
      continue;
    }
    const ssize_t n = send(fd_, data + done, size - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (absl::Status s = AwaitSocket(POLLOUT, deadline); !s.ok()) return s;
    } else if (errno != EINTR) {
      return absl::UnavailableError(StrCat("write: ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> RedisConnection::ReadSome(char* buffer, size_t size, absl::Time deadline) {
  while (true) {
    if (ssl_ != nullptr) {
      const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
      if (n > 0) return static_cast<size_t>(n);
      const int want = SSL_get_error(ssl_, n);
      if (want == SSL_ERROR_ZERO_RETURN) return absl::UnavailableError("connection closed by the server");
      if (want != SSL_ERROR_WANT_READ && want != SSL_ERROR_WANT_WRITE) {
        broken_ = true;
        return absl::UnavailableError(StrCat("read: ", TakeOpenSslError("connection lost")));
      }
      if (absl::Status s = AwaitSocket(want == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline); !s.ok()) return s;
      continue;
    }
    const ssize_t n = recv(fd_, buffer, size, 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return absl::UnavailableError("connection closed by the server");
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (absl::Status s = AwaitSocket(POLLIN, deadline); !s.ok()) return s;
    } else if (errno != EINTR) {
      return absl::UnavailableError(StrCat("read: ", std::strerror(errno)));
    }
  }
}

absl::StatusOr<RedisReplyPtr> RedisConnection::Run(const std::vector<std::string>& args, absl::Duration timeout) {
  if (reader_ == nullptr) return absl::ResourceExhaustedError("out of memory");
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* command = nullptr;
  const int length = redisFormatCommandArgv(&command, static_cast<int>(argv.size()), argv.data(), lengths.data());
  if (length < 0) return absl::ResourceExhaustedError("out of memory");
  std::unique_ptr<char, decltype(&redisFreeCommand)> owned(command, &redisFreeCommand);
  if (absl::Status s = Write(command, static_cast<size_t>(length), deadline); !s.ok()) return s;

  size_t received = 0;
  char buffer[16 * 1024];
  while (true) {
    void* reply = nullptr;
    if (redisReaderGetReply(reader_, &reply) != REDIS_OK) {
      return absl::UnavailableError(StrCat("protocol error: ", reader_->errstr));
    }
    if (reply != nullptr) return RedisReplyPtr(static_cast<redisReply*>(reply));
    if (received > kMaxReplyBytes) return absl::ResourceExhaustedError("reply too large");
    auto n = ReadSome(buffer, sizeof buffer, deadline);
    if (!n.ok()) return n.status();
    received += *n;
    if (redisReaderFeed(reader_, buffer, *n) != REDIS_OK) {
      return absl::UnavailableError(StrCat("protocol error: ", reader_->errstr));
    }
  }
}

bool RedisConnection::StillOpen() {
  pollfd p{fd_, POLLIN, 0};
  const int ready = poll(&p, 1, 0);
  if (ready == 0) return true;
  if (ready < 0 || ssl_ == nullptr) return false;  // plaintext: data or EOF while idle
  // TLS: records that are not data (TLS 1.3 session tickets) may arrive after the
  // handshake; reading them leaves nothing for the application.
  char byte;
  const int n = SSL_peek(ssl_, &byte, 1);
  const bool clean = n <= 0 && SSL_get_error(ssl_, n) == SSL_ERROR_WANT_READ;
  ERR_clear_error();
  return clean;
}

}  // namespace mcpauth
