// Redis as production runs it, with real redis-server processes on loopback: TLS
// (Debian's redis-server --tls-port, a CA made by the test), client certificates,
// certificate rotation without a restart, and Sentinel (a master, a replica and a
// sentinel; the master killed, or handed over with SENTINEL FAILOVER, while the
// client keeps working). The client is the one every service uses (RedisClient).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/time/clock.h"
#include "prometheus/text_serializer.h"
#include "services/common/clock.h"
#include "services/common/redis_client.h"
#include "services/common/strings.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ca.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using test::RedisServerOptions;
using test::RedisServerProcess;

// Commands with a short backoff, so a test sees recovery quickly.
RedisOptions Options(int port) {
  RedisOptions options;
  options.port = port;
  options.min_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  return options;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// The value at `key` as the client reads it, or what went wrong, as text (a failed
// read is a failed expectation, never a crash).
std::string ValueOf(RedisClient& client, const std::string& key) {
  auto got = client.Get(key);
  if (!got.ok()) return StrCat("(error: ", got.status().message(), ")");
  return got->value_or("(none)");
}

class RedisTlsTest : public ::testing::Test {
 protected:
  test::TempDir dir_{"mcpauth-redis-tls"};
  test::TestCa ca_{dir_, "redis"};
  test::TestCa other_ca_{dir_, "other"};
  test::IssuedCertificate server_ = ca_.Issue("server", {.dns_names = {"redis.test", "localhost"}});

  RedisOptions TlsOptions(const RedisServerProcess& redis) {
    RedisOptions options = Options(redis.tls_port());
    options.tls_enabled = true;
    options.tls.ca_file = ca_.cert_file();
    return options;
  }
};

TEST_F(RedisTlsTest, CommandsOverTlsWithTheServersCertificateChecked) {
  RedisServerProcess redis({.tls_cert_file = server_.cert_file, .tls_key_file = server_.key_file});
  ASSERT_EQ(redis.Start(), absl::OkStatus());
  auto parsed = ParseRedisUrl(redis.TlsUrl());
  ASSERT_TRUE(parsed.ok());
  RedisOptions options = *parsed;
  options.tls.ca_file = ca_.cert_file();
  RedisClient client(options, nullptr);
  ASSERT_EQ(client.SetWithExpiry("mcpauth:k", std::string("v\0\r\n", 4), absl::Minutes(1)), absl::OkStatus());
  auto got = client.Get("mcpauth:k");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->value_or("(none)"), std::string("v\0\r\n", 4));
  EXPECT_EQ(*client.SetIfAbsent("mcpauth:k", "w", absl::Minutes(1)), false);
  // Large values cross many TLS records both ways.
  const std::string big(3 << 20, 'x');
  ASSERT_EQ(client.SetWithExpiry("mcpauth:big", big, absl::Minutes(1)), absl::OkStatus());
  EXPECT_TRUE(ValueOf(client, "mcpauth:big") == big);
  // The server saw TLS: the value is there, read over the plaintext port.
  EXPECT_EQ(*redis.Command({"GET", "mcpauth:k"}), std::string("v\0\r\n", 4));
  // The name in the certificate, asked for explicitly, over the address.
  options.tls.server_name = "redis.test";
  RedisClient by_name(options, nullptr);
  EXPECT_EQ(by_name.Ping(), absl::OkStatus());
}

TEST_F(RedisTlsTest, RefusesAServerItCannotTrust) {
  const test::IssuedCertificate expired = ca_.Issue(
      "expired", {.not_before = absl::Now() - absl::Hours(48), .not_after = absl::Now() - absl::Hours(24)});
  RedisServerProcess redis({.tls_cert_file = server_.cert_file, .tls_key_file = server_.key_file});
  RedisServerProcess stale({.tls_cert_file = expired.cert_file, .tls_key_file = expired.key_file});
  ASSERT_EQ(redis.Start(), absl::OkStatus());
  ASSERT_EQ(stale.Start(), absl::OkStatus());
  struct Case {
    const char* name;
    RedisOptions options;
    const char* why;
  };
  RedisOptions untrusted = TlsOptions(redis);
  untrusted.tls.ca_file = other_ca_.cert_file();
  RedisOptions wrong_name = TlsOptions(redis);
  wrong_name.tls.server_name = "redis.elsewhere.test";
  RedisOptions system_roots = TlsOptions(redis);
  system_roots.tls.ca_file.clear();
  RedisOptions plaintext_to_tls = Options(redis.tls_port());
  RedisOptions tls_to_plaintext = TlsOptions(redis);
  tls_to_plaintext.port = redis.port();
  for (const Case& c : {Case{"untrusted CA", untrusted, "unable to get local issuer certificate"},
                        Case{"wrong name", wrong_name, "hostname mismatch"},
                        Case{"system roots", system_roots, "unable to get local issuer certificate"},
                        Case{"expired", TlsOptions(stale), "certificate has expired"},
                        Case{"plaintext to the TLS port", plaintext_to_tls, ""},
                        Case{"TLS to the plaintext port", tls_to_plaintext, ""}}) {
    RedisClient client(c.options, nullptr);
    absl::Status s = client.Ping();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << c.name << ": " << s;
    EXPECT_NE(Message(s).find(c.why), std::string::npos) << c.name << ": " << s;
    EXPECT_FALSE(client.up()) << c.name;
  }
}

TEST_F(RedisTlsTest, ClientCertificateWhenTheServerAsksForOne) {
  RedisServerProcess redis({.tls_cert_file = server_.cert_file,
                            .tls_key_file = server_.key_file,
                            .tls_client_ca_file = ca_.cert_file()});
  ASSERT_EQ(redis.Start(), absl::OkStatus());
  auto ping_presenting = [&](const test::IssuedCertificate* certificate) {
    RedisOptions options = TlsOptions(redis);
    if (certificate != nullptr) {
      options.tls.cert_file = certificate->cert_file;
      options.tls.key_file = certificate->key_file;
    }
    return RedisClient(options, nullptr).Ping();
  };
  EXPECT_FALSE(ping_presenting(nullptr).ok()) << "no certificate";
  const test::IssuedCertificate foreign = other_ca_.Issue("foreign-client");
  EXPECT_FALSE(ping_presenting(&foreign).ok()) << "a certificate from another CA";
  const test::IssuedCertificate client_cert = ca_.Issue("client");
  EXPECT_EQ(ping_presenting(&client_cert), absl::OkStatus());
}

// cert-manager replaces the files in place: the next connection made after
// reload_interval uses the new ones; a broken replacement keeps the ones in use.
TEST_F(RedisTlsTest, FilesReadAgainForNewConnections) {
  RedisServerProcess redis({.tls_cert_file = server_.cert_file, .tls_key_file = server_.key_file});
  ASSERT_EQ(redis.Start(), absl::OkStatus());
  const std::string ca_file = dir_.File("mounted-ca.pem");
  std::filesystem::copy_file(other_ca_.cert_file(), ca_file);
  ManualClock clock;
  RedisOptions options = TlsOptions(redis);
  options.tls.ca_file = ca_file;
  options.tls.reload_interval = absl::Seconds(10);
  RedisClient client(options, nullptr, &clock);
  EXPECT_FALSE(client.Ping().ok());  // the mounted CA is not the server's

  std::filesystem::copy_file(ca_.cert_file(), ca_file, std::filesystem::copy_options::overwrite_existing);
  clock.Advance(absl::Seconds(1));
  EXPECT_FALSE(client.Ping().ok()) << "read again before reload_interval";
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(client.Ping(), absl::OkStatus());

  std::ofstream(ca_file, std::ios::trunc) << "not a certificate";
  clock.Advance(absl::Seconds(11));
  ASSERT_EQ(redis.Command({"CLIENT", "KILL", "TYPE", "normal"}).status(), absl::OkStatus());
  EXPECT_EQ(client.Ping(), absl::OkStatus()) << "a broken replacement keeps the CA in use";
}

// The services check the Redis TLS files when they start, as every certificate
// setting: exit status 2 and the key's path.
TEST_F(RedisTlsTest, UnusableFilesStopTheServiceWithTheKeysPath) {
  const std::string jwks = dir_.File("jwks.json");
  ASSERT_TRUE(test::WriteFile(jwks, R"({"keys":[]})"));
  const std::string not_pem = dir_.File("not.pem");
  ASSERT_TRUE(test::WriteFile(not_pem, "hello\n"));
  const test::IssuedCertificate other = other_ca_.Issue("other");
  struct Case {
    std::string redis;
    std::string message;
  };
  const std::vector<Case> cases = {
      {StrCat("{url: 'rediss://127.0.0.1:1', tls: {ca_file: ", dir_.File("missing.pem"), "}}"),
       StrCat("redis.tls.ca_file: cannot read \"", dir_.File("missing.pem"), "\"")},
      {StrCat("{url: 'rediss://127.0.0.1:1', tls: {ca_file: ", not_pem, "}}"),
       "redis.tls.ca_file: \"" + not_pem + "\" holds no PEM certificate"},
      {StrCat("{url: 'rediss://127.0.0.1:1', tls: {cert_file: ", server_.cert_file, ", key_file: ", other.key_file, "}}"),
       "redis.tls.key_file: \"" + other.key_file + "\" is not the private key of the certificate"},
      {StrCat("{sentinel: {master_name: m, addresses: ['127.0.0.1:1']}, tls: {cert_file: ", server_.cert_file, "}}"),
       "redis.tls.key_file"},
  };
  for (const Case& c : cases) {
    test::ServiceProcess p(dir_, "bad", "mcpauth-token-validation",
                           StrCat("resource: https://mcp.example.com/mcp\njwt_validators: [{issuer: 'https://i.example', jwks_file: ",
                                  jwks, "}]\nredis: ", c.redis, "\n"),
                           "token_validation");
    EXPECT_FALSE(p.Start().ok());
    EXPECT_EQ(p.Stop(), 2) << c.redis;
    EXPECT_NE(p.process()->StderrText().find(c.message), std::string::npos) << c.redis << "\n" << p.process()->StderrText();
  }
}

// A listening socket on 127.0.0.1 and a port the kernel picked (written to `port`).
int ListenOnLoopback(int& port) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bind(listener, reinterpret_cast<sockaddr*>(&address), length);
  listen(listener, 8);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return listener;
}

// A TCP peer that answers every connection with `reply` (after reading what the
// client sent) and then keeps the connection open until stopped: what a broken or
// hostile server, or something that is not Redis, does.
class ScriptedPeer {
 public:
  explicit ScriptedPeer(std::string reply) : reply_(std::move(reply)) {
    listener_ = ListenOnLoopback(port_);
    thread_ = std::thread([this] {
      while (true) {
        const int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        char buffer[4096];
        if (recv(fd, buffer, sizeof buffer, 0) > 0) {
          for (size_t sent = 0; sent < reply_.size();) {
            const ssize_t n = send(fd, reply_.data() + sent, reply_.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;
            sent += static_cast<size_t>(n);
          }
        }
        std::lock_guard<std::mutex> lock(mu_);
        open_.push_back(fd);
      }
    });
  }
  ~ScriptedPeer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
    for (int fd : open_) close(fd);
  }
  int port() const { return port_; }

 private:
  std::string reply_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> open_;
};

TEST(RedisHostileBytes, GarbageSilenceAndHugeRepliesAreErrorsNotHangs) {
  struct Case {
    const char* name;
    std::string reply;
    absl::StatusCode code;
    const char* why;
  };
  const std::string huge = StrCat("$", 100 << 20, "\r\n", std::string(70 << 20, 'x'));
  for (const Case& c : {Case{"not RESP", "HTTP/1.1 400 Bad Request\r\n\r\n", absl::StatusCode::kUnavailable, "protocol error"},
                        Case{"silence", "", absl::StatusCode::kUnavailable, "timed out"},
                        Case{"a truncated reply, then silence", "$10\r\nabc", absl::StatusCode::kUnavailable, "timed out"},
                        Case{"a reply larger than any the suite writes", huge, absl::StatusCode::kUnavailable, "reply too large"}}) {
    ScriptedPeer peer(c.reply);
    RedisOptions options = Options(peer.port());
    // Reading 64 MiB takes seconds in a sanitizer build: the cap, not the clock, must end it.
    options.command_timeout = c.reply.size() > 1000 ? absl::Seconds(60) : absl::Milliseconds(300);
    RedisClient client(options, nullptr);
    auto got = client.Get("mcpauth:k");
    EXPECT_EQ(got.status().code(), c.code) << c.name << ": " << got.status();
    EXPECT_NE(Message(got.status()).find(c.why), std::string::npos) << c.name << ": " << got.status();
    // (The reason names what ended the call — the timeout, the cap, the parser — so no
    // wall-clock bound is asserted here; ctest's TIMEOUT catches a hang.)
    EXPECT_FALSE(client.up()) << c.name;
  }
}

// A sentinel that names nonsense, or a server that is not the master, is never used.
TEST(RedisHostileBytes, ASentinelsAnswerIsChecked) {
  RedisServerProcess replica_like;
  ASSERT_EQ(replica_like.Start(), absl::OkStatus());
  ASSERT_EQ(replica_like.Command({"REPLICAOF", "127.0.0.1", "1"}).status(), absl::OkStatus());  // a replica now
  struct Case {
    const char* name;
    std::string reply;
    const char* why;
  };
  const std::string names_replica =
      StrCat("*2\r\n$9\r\n127.0.0.1\r\n$", std::to_string(replica_like.port()).size(), "\r\n", replica_like.port(), "\r\n");
  for (const Case& c : {Case{"no master by that name", "*-1\r\n", "knows no master named"},
                        Case{"a port out of range", "*2\r\n$9\r\n127.0.0.1\r\n$5\r\n70000\r\n", "knows no master named"},
                        Case{"an empty host", "*2\r\n$0\r\n\r\n$4\r\n6379\r\n", "knows no master named"},
                        Case{"an error", "-ERR unknown command\r\n", "ERR unknown command"},
                        Case{"a replica named as master", names_replica, "is not the master (its role: slave)"}}) {
    ScriptedPeer sentinel(c.reply);
    RedisOptions options = Options(0);
    options.master_name = "mymaster";
    options.sentinels = {{"127.0.0.1", sentinel.port()}};
    options.command_timeout = absl::Milliseconds(300);
    RedisClient client(options, nullptr);
    absl::Status s = client.SetWithExpiry("mcpauth:k", "v", absl::Minutes(1));
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << c.name << ": " << s;
    EXPECT_NE(Message(s).find(c.why), std::string::npos) << c.name << ": " << s;
  }
  EXPECT_EQ(replica_like.Command({"DBSIZE"}).value_or("?"), "0") << "nothing was written to the replica";
}

// A TLS server that answers one PING per connection and then resets it (SO_LINGER
// 0: what a crashed or killed server's kernel may send).
class ResettingTlsServer {
 public:
  explicit ResettingTlsServer(const test::IssuedCertificate& certificate) : ctx_(SSL_CTX_new(TLS_server_method())) {
    SSL_CTX_use_certificate_chain_file(ctx_, certificate.cert_file.c_str());
    SSL_CTX_use_PrivateKey_file(ctx_, certificate.key_file.c_str(), SSL_FILETYPE_PEM);
    listener_ = ListenOnLoopback(port_);
    thread_ = std::thread([this] {
      while (true) {
        const int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, fd);
        char buffer[256];
        if (SSL_accept(ssl) == 1 && SSL_read(ssl, buffer, sizeof buffer) > 0) SSL_write(ssl, "+PONG\r\n", 7);
        ++answered_;
        // Wait for the test to say when, then reset.
        while (!reset_.load() && !stop_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const linger abort{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        SSL_free(ssl);
        close(fd);
        reset_ = false;
        ++resets_;
      }
    });
  }
  ~ResettingTlsServer() {
    stop_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  void ResetNow() { reset_ = true; }
  int resets() const { return resets_.load(); }

 private:
  SSL_CTX* ctx_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> reset_{false}, stop_{false};
  std::atomic<int> answered_{0}, resets_{0};
};

// A pooled TLS connection the server reset while it was idle is dropped and
// replaced, and dropping it cannot raise SIGPIPE (which would end the process: the
// close_notify written to a reset socket). This test's process is the one at risk.
TEST_F(RedisTlsTest, AConnectionResetWhileIdleIsReplacedWithoutSigpipe) {
  ResettingTlsServer server(server_);
  RedisOptions options = Options(server.port());
  options.tls_enabled = true;
  options.tls.ca_file = ca_.cert_file();
  options.pool_size = 1;
  RedisClient client(options, nullptr);
  ASSERT_EQ(client.Ping(), absl::OkStatus());
  server.ResetNow();
  ASSERT_TRUE(test::WaitFor([&] { return server.resets() == 1; }, absl::Seconds(5)));
  absl::SleepFor(absl::Milliseconds(50));  // the reset has arrived
  EXPECT_EQ(client.Ping(), absl::OkStatus()) << "a new connection, the reset one dropped";
  EXPECT_TRUE(client.up());
}

// Master, replica and one sentinel, all real redis-server processes.
class RedisSentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(master_.Start(), absl::OkStatus());
    replica_ = std::make_unique<RedisServerProcess>(RedisServerOptions{.replica_of = master_.port()});
    ASSERT_EQ(replica_->Start(), absl::OkStatus());
    sentinel_ = std::make_unique<RedisServerProcess>(RedisServerOptions{.sentinel_of = master_.port()});
    ASSERT_EQ(sentinel_->Start(), absl::OkStatus());
    ASSERT_TRUE(test::WaitFor(
        [&] {
          auto role = replica_->Command({"ROLE"});
          return role.ok() && role->find("connected") != std::string::npos;
        },
        absl::Seconds(30)));
    // The sentinel has found the replica (it learns replicas from the master's INFO).
    ASSERT_TRUE(test::WaitFor(
        [&] {
          auto replicas = sentinel_->Command({"SENTINEL", "REPLICAS", RedisServerProcess::kMasterName});
          return replicas.ok() && replicas->find(std::to_string(replica_->port())) != std::string::npos;
        },
        absl::Seconds(30)));
  }

  RedisOptions SentinelOptions(std::vector<RedisEndpoint> sentinels) {
    RedisOptions options = Options(0);
    options.host.clear();
    options.master_name = RedisServerProcess::kMasterName;
    options.sentinels = std::move(sentinels);
    return options;
  }

  RedisServerProcess master_;
  std::unique_ptr<RedisServerProcess> replica_;
  std::unique_ptr<RedisServerProcess> sentinel_;
};

TEST_F(RedisSentinelTest, FindsTheMasterAndFollowsAKilledMastersReplacement) {
  // The first sentinel listed is down: the next one is asked.
  const int nobody = RedisServerProcess().port();
  prometheus::Registry registry;
  RedisClient client(SentinelOptions({{"127.0.0.1", nobody}, {"127.0.0.1", sentinel_->port()}}), &registry);
  ASSERT_EQ(client.SetWithExpiry("mcpauth:before", "1", absl::Minutes(5)), absl::OkStatus());
  EXPECT_NE(client.Describe().find(StrCat("127.0.0.1:", master_.port())), std::string::npos) << client.Describe();
  // Written to the master, copied to the replica before the master dies.
  ASSERT_EQ(master_.WaitForReplication(*replica_), absl::OkStatus());

  master_.Kill();
  // Commands fail (or time out) while the sentinel elects the replica, then work
  // again without anything restarted or reconfigured.
  ASSERT_TRUE(test::WaitFor([&] { return client.SetWithExpiry("mcpauth:after", "2", absl::Minutes(5)).ok(); },
                            absl::Seconds(60), absl::Milliseconds(50)))
      << sentinel_->LogText();
  EXPECT_NE(client.Describe().find(StrCat("127.0.0.1:", replica_->port())), std::string::npos) << client.Describe();
  EXPECT_EQ(ValueOf(client, "mcpauth:before"), "1");
  EXPECT_EQ(*replica_->Command({"GET", "mcpauth:after"}), "2");
  EXPECT_EQ(*client.SetIfAbsent("mcpauth:before", "x", absl::Minutes(1)), false);
  EXPECT_TRUE(client.up());
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_EQ(test::FindMetric(text, "mcpauth_redis_master_changes_total"), 1.0) << text;
}

// SENTINEL FAILOVER: the old master lives on as a replica (writes to it would be
// READONLY); the sentinel closes its clients' connections and the client follows.
TEST_F(RedisSentinelTest, FollowsAHandoverToTheReplica) {
  RedisClient client(SentinelOptions({{"127.0.0.1", sentinel_->port()}}), nullptr);
  ASSERT_EQ(client.SetWithExpiry("mcpauth:k", "1", absl::Minutes(5)), absl::OkStatus());
  ASSERT_EQ(master_.WaitForReplication(*replica_), absl::OkStatus());
  // NOGOODSLAVE until the sentinel has fresh INFO from the replica.
  ASSERT_TRUE(test::WaitFor(
      [&] { return sentinel_->Command({"SENTINEL", "FAILOVER", RedisServerProcess::kMasterName}).ok(); },
      absl::Seconds(30), absl::Milliseconds(200)));
  ASSERT_TRUE(test::WaitFor(
      [&] {
        auto role = master_.Command({"ROLE"});
        return role.ok() && role->starts_with("slave");
      },
      absl::Seconds(60)));
  ASSERT_TRUE(test::WaitFor([&] { return client.SetWithExpiry("mcpauth:k2", "2", absl::Minutes(5)).ok(); },
                            absl::Seconds(30), absl::Milliseconds(50)));
  EXPECT_EQ(*replica_->Command({"GET", "mcpauth:k2"}), "2");
  EXPECT_NE(client.Describe().find(StrCat(":", replica_->port())), std::string::npos) << client.Describe();
}

// A server that took writes and is now a replica answers READONLY: the connection
// is dropped and Redis counts as down (with sentinels, the next connection asks them).
TEST_F(RedisSentinelTest, AReadOnlyReplicaIsNotAWorkingStore) {
  RedisClient client(Options(replica_->port()), nullptr);
  absl::Status s = client.SetWithExpiry("mcpauth:k", "1", absl::Minutes(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(Message(s).find("READONLY"), std::string::npos) << s;
  EXPECT_FALSE(client.up());
}

TEST_F(RedisSentinelTest, AnUnknownMasterNameIsAClearError) {
  RedisOptions options = SentinelOptions({{"127.0.0.1", sentinel_->port()}});
  options.master_name = "nosuchmaster";
  RedisClient client(options, nullptr);
  absl::Status s = client.Ping();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(Message(s).find("knows no master named \"nosuchmaster\""), std::string::npos) << s;
}

}  // namespace
}  // namespace mcpauth
