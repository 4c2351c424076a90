// mcpauth-credentials (issue 18) as a real process with a real redis-server: keys
// made, secrets sealed and handles stored, listed and revoked by the `mcpauth` CLI;
// calls made through the egress port to a loopback "third-party API" that requires
// the secret, with grants signed as the gateway signs them. What must hold: the API
// gets the secret, nobody else does (not the caller, not Redis, not the log), and
// every misuse is refused with its own error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/credentials/credential.h"
#include "services/credentials/grant.h"
#include "services/token_validation/jwe.h"
#include "services/token_validation/keygen.h"
#include "tests/integration/credentials_process.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBin = StrCat(MCPAUTH_BINARY_DIR, "/bin/");
constexpr char kIssuer[] = "https://login.example.com";
constexpr char kAliceSecret[] = "sk-alice-7f3e9c21d4b8a605";

struct Ran {
  int status = -1;
  std::string out;
};

class CredentialsTest : public ::testing::Test {
 protected:
  struct World {
    test::TempDir dir{"mcpauth-credentials"};
    test::RedisServerProcess redis;
    test::LoopbackHttpServer api;        // the third-party API
    test::LoopbackHttpServer elsewhere;  // a host no credential names
    std::mutex mu;
    std::vector<test::HttpRequestInfo> api_seen;
    std::unique_ptr<test::ChildProcess> service;
    int grpc_port = test::PickFreePort();
    int egress_port = test::PickFreePort();
    std::shared_ptr<tv::Jwk> grant_key, other_key;
    absl::Status status;

    World() {
      auto remember = [this](const test::HttpRequestInfo& r) {
        std::lock_guard<std::mutex> lock(mu);
        api_seen.push_back(r);
      };
      api.SetHandler("/v1/me", [=](const test::HttpRequestInfo& r) {
        remember(r);
        test::HttpReply reply;
        if (r.Header("Authorization") != StrCat("Bearer ", kAliceSecret)) {
          reply.status = 401;
          reply.body = R"({"error":"bad key"})";
        } else {
          reply.body = R"({"user":"alice","plan":"pro"})";
        }
        return reply;
      });
      // A careless API that repeats the request's credentials in its answer.
      api.SetHandler("/v1/debug", [=](const test::HttpRequestInfo& r) {
        remember(r);
        test::HttpReply reply;
        reply.body = StrCat(R"({"you_sent":")", r.Header("Authorization"), r.Header("X-Api-Key"), R"("})");
        reply.headers.emplace_back("X-Debug", r.Header("Authorization"));
        return reply;
      });
      api.SetHandler("/v1/query", [=](const test::HttpRequestInfo& r) {
        remember(r);
        test::HttpReply reply;
        reply.body = StrCat(R"({"target":")", r.target, R"("})");
        return reply;
      });
      api.SetHandler("/v1/huge", [=](const test::HttpRequestInfo& r) {
        remember(r);
        test::HttpReply reply;
        reply.body = std::string(5 << 20, 'x');  // over max_response_bytes (4 MiB)
        return reply;
      });
      elsewhere.SetResponse("/v1/me", test::HttpReply{});
      status = redis.Start();
      if (status.ok()) status = api.Start();
      if (status.ok()) status = elsewhere.Start();
      if (!status.ok()) return;

      // The gateway's grant key (the service gets the public half) and another key.
      grant_key = MakeSigningKey("gw-1");
      other_key = MakeSigningKey("gw-1");
      test::WriteFile(dir.File("grant-keys.json"),
                      ToJson(boost::json::object{{"keys", boost::json::array{grant_key->PublicJson()}}}));
      test::WriteFile(dir.File("record-secret"), "0123456789abcdef0123456789abcdef-record-secret");
      Ran keygen = Cli({"credentials", "keygen", "--kid", "svc-1", "--out", dir.File("service-key.json")});
      test::WriteFile(dir.File("service-public.json"), keygen.out);
      test::WriteFile(dir.File("suite.yaml"),
                      StrCat("resource: https://mcp.example.com/mcp\n"
                             "redis: {url: \"", redis.Url(), "\"}\n"
                             "credentials:\n"
                             "  listen: \"127.0.0.1:", grpc_port, "\"\n"
                             "  metrics_listen: \"\"\n"
                             "  egress_listen: \"127.0.0.1:", egress_port, "\"\n"
                             "  key_files: [\"", dir.File("service-key.json"), "\"]\n"
                             "  record_secret_file: \"", dir.File("record-secret"), "\"\n"
                             "  grant_keys_file: \"", dir.File("grant-keys.json"), "\"\n"
                             "  egress_idle_timeout: 1\n"
                             "  max_connections: 8\n"
                             "  shutdown_grace: 1\n"));
      auto p = test::StartCredentialsService(dir.File("suite.yaml"), dir.File("credentials.log"), Address());
      if (!p.ok()) {
        status = p.status();
        return;
      }
      service = std::move(*p);
    }
    ~World() {
      if (service) service->Stop(absl::Seconds(5));
    }

    static std::shared_ptr<tv::Jwk> MakeSigningKey(const std::string& kid) {
      auto jwk = tv::GeneratePrivateJwk(*tv::FindAlg("ES256"), kid);
      return std::make_shared<tv::Jwk>(*tv::Jwk::Parse(*jwk, tv::JwkPrivacy::kAllowPrivate));
    }
    std::string Address() const { return StrCat("127.0.0.1:", grpc_port); }

    Ran Cli(std::vector<std::string> args) {
      std::vector<std::string> argv = {kBin + "mcpauth"};
      argv.insert(argv.end(), args.begin(), args.end());
      test::CommandResult r = test::RunToCompletion(std::move(argv), dir.path(), "cli", absl::Seconds(30));
      while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
      return {r.status, r.status == 0 ? r.out : r.out + r.err};
    }
  };

  static void SetUpTestSuite() { world_ = new World(); }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(world_->status.ok()) << world_->status; }

  static World& W() { return *world_; }

  // Seals `secret` for `subject` with the CLI and stores it; the handle.
  static std::string StoreFor(const std::string& subject, const std::string& secret, const std::string& inject,
                              const std::vector<std::string>& hosts, const std::string& label = "api") {
    const std::string secret_file = W().dir.File(StrCat("secret-", subject, "-", label));
    test::WriteFile(secret_file, secret + "\n");
    std::vector<std::string> args = {"credentials", "seal", "--public-key", W().dir.File("service-public.json"),
                                     "--iss", kIssuer, "--sub", subject, "--inject", inject, "--label", label,
                                     "--secret-file", secret_file};
    for (const std::string& h : hosts) args.insert(args.end(), {"--host", h});
    Ran sealed = W().Cli(args);
    EXPECT_EQ(sealed.status, 0) << sealed.out;
    Ran stored = W().Cli({"credentials", "store", "--server", W().Address(), "--sealed", sealed.out});
    EXPECT_EQ(stored.status, 0) << stored.out;
    boost::json::value v;
    if (ParseStrictJson(stored.out, v) != JsonParseError::kNone || !v.is_object()) return "";
    return StringMember(v.get_object(), "handle").value_or("");
  }

  static std::string ApiHost() { return StrCat("127.0.0.1:", W().api.port()); }

  static std::string Grant(const std::string& subject, int max_uses = 8, absl::Duration ttl = absl::Seconds(60),
                           const tv::Jwk* key = nullptr) {
    credentials::Grant g{.token_issuer = kIssuer, .subject = subject, .client_id = "", .resource = "https://mcp.example.com/mcp", .jti = "",
                         .issued_at = absl::Now(), .expires_at = absl::Now() + ttl, .max_uses = max_uses};
    return *credentials::MintGrant(key ? *key : *W().grant_key, g);
  }

  struct Answer {
    int status = 0;
    std::string raw;
    std::string body;
  };
  // One call through the egress port.
  static Answer Egress(const std::string& handle, const std::string& grant, const std::string& url,
                       const std::string& method = "GET", const std::string& extra_headers = "") {
    std::string request = StrCat(method, " /v1/egress HTTP/1.1\r\nHost: credentials\r\nConnection: close\r\n");
    if (!handle.empty()) StrAppend(request, "X-MCP-Credential: ", handle, "\r\n");
    if (!grant.empty()) StrAppend(request, "X-MCP-Auth-Grant: ", grant, "\r\n");
    StrAppend(request, "X-MCP-Egress-Url: ", url, "\r\n", extra_headers, "Content-Length: 0\r\n\r\n");
    Answer a;
    a.raw = test::RawHttpExchange(W().egress_port, request);
    a.status = test::RawStatus(a.raw);
    a.body = test::RawBody(a.raw);
    return a;
  }

  static World* world_;
};
CredentialsTest::World* CredentialsTest::world_ = nullptr;

TEST_F(CredentialsTest, TheOwnersGrantMakesTheCallWithTheSecretAddedThere) {
  const std::string handle = StoreFor("alice", kAliceSecret, "bearer", {ApiHost()});
  ASSERT_THAT(handle, ::testing::StartsWith("h_"));
  const Answer a = Egress(handle, Grant("alice"), StrCat("http://", ApiHost(), "/v1/me"), "GET",
                          "Authorization: Bearer what-the-mcp-server-had\r\nX-Trace: 1\r\n");
  EXPECT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body, R"({"user":"alice","plan":"pro"})");
  std::lock_guard<std::mutex> lock(W().mu);
  ASSERT_FALSE(W().api_seen.empty());
  const test::HttpRequestInfo& seen = W().api_seen.back();
  // The credential, and only it: the MCP server's own Authorization and the egress's
  // headers are not passed on; its other headers are.
  EXPECT_EQ(seen.Header("Authorization"), StrCat("Bearer ", kAliceSecret));
  EXPECT_EQ(seen.Header("X-Trace"), "1");
  for (const auto& [name, value] : seen.headers) {
    EXPECT_FALSE(StartsWithIgnoreCase(name, "x-mcp-")) << name;
    EXPECT_THAT(value, Not(HasSubstr("what-the-mcp-server-had")));
  }
}

TEST_F(CredentialsTest, ListAndRevokeWithTheCli) {
  const std::string handle = StoreFor("carol", "carol-key-1", "header:X-Api-Key", {ApiHost()}, "billing");
  Ran listed = W().Cli({"credentials", "list", "--server", W().Address(), "--iss", kIssuer, "--sub", "carol"});
  EXPECT_EQ(listed.status, 0) << listed.out;
  EXPECT_THAT(listed.out, HasSubstr(handle));
  EXPECT_THAT(listed.out, HasSubstr(R"("label":"billing")"));
  EXPECT_THAT(listed.out, HasSubstr(R"("injection":"INJECTION_KIND_HEADER")"));
  EXPECT_THAT(listed.out, Not(HasSubstr("carol-key-1")));
  Ran revoked = W().Cli({"credentials", "revoke", "--server", W().Address(), "--handle", handle});
  EXPECT_EQ(revoked.status, 0) << revoked.out;
  EXPECT_THAT(revoked.out, HasSubstr(R"("existed":true)"));
  const Answer gone = Egress(handle, Grant("carol"), StrCat("http://", ApiHost(), "/v1/me"));
  EXPECT_EQ(gone.status, 404) << gone.raw;
  EXPECT_THAT(gone.body, HasSubstr(R"("error":"unknown_handle")"));
  Ran after = W().Cli({"credentials", "list", "--server", W().Address(), "--iss", kIssuer, "--sub", "carol"});
  EXPECT_THAT(after.out, Not(HasSubstr(handle)));
}

TEST_F(CredentialsTest, EveryMisuseIsRefusedWithItsOwnError) {
  const std::string handle = StoreFor("alice", kAliceSecret, "bearer", {ApiHost()}, "misuse");
  const std::string url = StrCat("http://", ApiHost(), "/v1/me");
  struct Case {
    const char* name;
    Answer answer;
    int status;
    const char* error;
  };
  const std::string once = Grant("alice", 1);
  ASSERT_EQ(Egress(handle, once, url).status, 200);
  const std::vector<Case> cases = {
      {"another subject's grant", Egress(handle, Grant("bob"), url), 403, "not_owner"},
      {"a host the credential does not name", Egress(handle, Grant("alice"), StrCat("http://127.0.0.1:", W().elsewhere.port(), "/v1/me")), 403, "host_not_allowed"},
      {"the same port on another loopback address", Egress(handle, Grant("alice"), StrCat("http://127.0.0.2:", W().api.port(), "/v1/me")), 403, "host_not_allowed"},
      {"an expired grant", Egress(handle, Grant("alice", 8, absl::Seconds(-30)), url), 401, "grant_expired"},
      {"a replayed grant", Egress(handle, once, url), 401, "grant_used_up"},
      {"a grant signed by another key", Egress(handle, Grant("alice", 8, absl::Seconds(60), W().other_key.get()), url), 401, "grant_invalid"},
      {"no grant", Egress(handle, "", url), 401, "grant_missing"},
      {"an access token instead of a grant", Egress(handle, "eyJhbGciOiJFUzI1NiJ9.e30.AAAA", url), 401, "grant_invalid"},
      {"an unknown handle", Egress("h_AAAAAAAAAAAAAAAAAAAAAA", Grant("alice"), url), 404, "unknown_handle"},
      {"a URL with a user", Egress(handle, Grant("alice"), StrCat("http://x@", ApiHost(), "/v1/me")), 400, "invalid_request"},
      {"not a URL", Egress(handle, Grant("alice"), "/v1/me"), 400, "invalid_request"},
      {"two handles", Egress(handle, Grant("alice"), url, "GET", StrCat("X-MCP-Credential: ", handle, "\r\n")), 400, "invalid_request"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.answer.status, c.status) << c.name << ": " << c.answer.raw;
    EXPECT_THAT(c.answer.body, HasSubstr(StrCat(R"("error":")", c.error, R"(")"))) << c.name;
    EXPECT_THAT(c.answer.raw, Not(HasSubstr(kAliceSecret))) << c.name;
  }
}

TEST_F(CredentialsTest, HeaderAndQueryInjection) {
  const std::string header = StoreFor("dave", "dave-header-key", "header:X-Api-Key", {ApiHost()}, "hdr");
  const std::string query = StoreFor("dave", "dave query/key&=", "query:api_key", {ApiHost()}, "qry");
  Answer h = Egress(header, Grant("dave"), StrCat("http://", ApiHost(), "/v1/query"), "GET",
                    "X-Api-Key: spoofed\r\n");
  EXPECT_EQ(h.status, 200) << h.raw;
  {
    std::lock_guard<std::mutex> lock(W().mu);
    EXPECT_EQ(W().api_seen.back().Header("X-Api-Key"), "dave-header-key");
    EXPECT_EQ(W().api_seen.back().Header("Authorization"), "");
  }
  Answer q = Egress(query, Grant("dave"), StrCat("http://", ApiHost(), "/v1/query?page=2&api_key=spoofed"));
  EXPECT_EQ(q.status, 200) << q.raw;
  // The secret went in the query, form-encoded, replacing the caller's value; the
  // answer repeating the target has it redacted.
  std::lock_guard<std::mutex> lock(W().mu);
  EXPECT_EQ(W().api_seen.back().target, "/v1/query?page=2&api_key=dave%20query%2Fkey%26%3D");
}

TEST_F(CredentialsTest, AFailedCallNeverEchoesTheUrlThatHeldTheSecret) {
  const std::string query = StoreFor("hank", "hank-query-secret", "query:key", {ApiHost()}, "big");
  const Answer a = Egress(query, Grant("hank"), StrCat("http://", ApiHost(), "/v1/huge"));
  EXPECT_EQ(a.status, 502) << a.raw.substr(0, 300);
  EXPECT_THAT(a.body, HasSubstr("larger than credentials.max_response_bytes"));
  EXPECT_THAT(a.raw, Not(HasSubstr("hank-query-secret")));
  EXPECT_THAT(a.raw, Not(HasSubstr("key=")));
}

TEST_F(CredentialsTest, CredentialsForSomeMcpServersAndOneLabelPerUser) {
  // Bound to another MCP server: a grant from a request to this one cannot use it.
  const std::string secret_file = W().dir.File("ivy-secret");
  test::WriteFile(secret_file, "ivy-secret");
  Ran sealed = W().Cli({"credentials", "seal", "--public-key", W().dir.File("service-public.json"), "--iss", kIssuer,
                        "--sub", "ivy", "--inject", "bearer", "--label", "crm", "--secret-file", secret_file, "--host",
                        ApiHost(), "--resource", "https://other.example.com/mcp"});
  ASSERT_EQ(sealed.status, 0) << sealed.out;
  Ran stored = W().Cli({"credentials", "store", "--server", W().Address(), "--sealed", sealed.out});
  ASSERT_EQ(stored.status, 0) << stored.out;
  EXPECT_THAT(stored.out, HasSubstr(R"("resources":["https://other.example.com/mcp"])"));
  boost::json::value v;
  ASSERT_EQ(ParseStrictJson(stored.out, v), JsonParseError::kNone);
  const std::string handle = StringMember(v.get_object(), "handle").value_or("");
  const Answer a = Egress(handle, Grant("ivy"), StrCat("http://", ApiHost(), "/v1/me"));
  EXPECT_EQ(a.status, 403) << a.raw;
  EXPECT_THAT(a.body, HasSubstr(R"("error":"not_for_resource")"));
  // A second "crm" for ivy would sit beside the first under the name MCP servers look for.
  Ran again = W().Cli({"credentials", "store", "--server", W().Address(), "--sealed", sealed.out});
  EXPECT_EQ(again.status, 1) << again.out;
  EXPECT_THAT(again.out, HasSubstr("is already stored for this user"));
}

TEST_F(CredentialsTest, AnAnswerRepeatingTheSecretIsRedacted) {
  const std::string handle = StoreFor("erin", "erin-secret-value-42", "bearer", {ApiHost()}, "debug");
  const Answer a = Egress(handle, Grant("erin"), StrCat("http://", ApiHost(), "/v1/debug"));
  EXPECT_EQ(a.status, 200) << a.raw;
  EXPECT_THAT(a.raw, Not(HasSubstr("erin-secret-value-42")));
  EXPECT_THAT(a.body, HasSubstr("Bearer [redacted]"));
}

TEST_F(CredentialsTest, RedisHoldsOnlyCiphertextAndRecordsItCanVerify) {
  const std::string handle = StoreFor("frank", "frank-plaintext-secret", "bearer", {ApiHost()}, "stored");
  auto keys = W().redis.Command({"KEYS", "mcpauth:v1:credential*"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT(*keys, HasSubstr(StrCat("mcpauth:v1:credential:", handle)));
  for (std::string_view key : SplitSkipEmpty(*keys, '\n')) {
    auto value = W().redis.Command({"GET", std::string(key)});
    ASSERT_TRUE(value.ok());
    EXPECT_THAT(*value, Not(HasSubstr("frank-plaintext-secret"))) << key;
    EXPECT_THAT(*value, Not(HasSubstr(kAliceSecret))) << key;
  }
  auto record = W().redis.Command({"GET", StrCat("mcpauth:v1:credential:", handle)});
  ASSERT_TRUE(record.ok());
  boost::json::value v;
  ASSERT_EQ(ParseStrictJson(*record, v), JsonParseError::kNone);
  const std::string sealed = StringMember(v.get_object(), "sealed").value_or("");
  EXPECT_EQ(std::count(sealed.begin(), sealed.end(), '.'), 4) << "a compact JWE";

  // Whoever can write to Redis cannot put a credential under a handle: a record the
  // service did not write (here: frank's sealed value under a new handle, and the
  // same record with its MAC altered) is refused.
  boost::json::object forged = v.get_object();
  forged["handle"] = "h_forgedforgedforgedforged";
  ASSERT_TRUE(W().redis.Command({"SET", "mcpauth:v1:credential:h_forgedforgedforgedforged", ToJson(forged)}).ok());
  EXPECT_EQ(Egress("h_forgedforgedforgedforged", Grant("frank"), StrCat("http://", ApiHost(), "/v1/me")).status, 404);
  boost::json::object altered = v.get_object();
  altered["created_at"] = 1;
  ASSERT_TRUE(W().redis.Command({"SET", StrCat("mcpauth:v1:credential:", handle), ToJson(altered)}).ok());
  EXPECT_EQ(Egress(handle, Grant("frank"), StrCat("http://", ApiHost(), "/v1/me")).status, 404);
}

TEST_F(CredentialsTest, StoreRefusesWhatItCannotOpenOrBind) {
  // Sealed to another key.
  auto other = tv::ParseAgreementKey(*tv::GenerateAgreementJwk("other"), true);
  credentials::CredentialBinding b{.issuer = kIssuer, .subject = "gina", .client_id = "", .hosts = {ApiHost()},
                                   .injection = v1::INJECTION_KIND_BEARER, .injection_name = "", .label = "x",
                                   .expires_at = std::nullopt};
  const std::string to_other = *tv::SealCompact(*other, "s", credentials::BindingHeader(b));
  Ran refused = W().Cli({"credentials", "store", "--server", W().Address(), "--sealed", to_other});
  EXPECT_EQ(refused.status, 1) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("kid \\\"other\\\" names no key"));
  // Sealed to the service, without a binding.
  auto service_key = tv::ParseAgreementKey(
      [] {
        boost::json::value v;
        std::ifstream in(W().dir.File("service-public.json"));
        std::stringstream text;
        text << in.rdbuf();
        (void)ParseStrictJson(text.str(), v);
        return v.get_object();
      }(),
      false);
  ASSERT_TRUE(service_key.ok()) << service_key.status();
  Ran unbound = W().Cli({"credentials", "store", "--server", W().Address(), "--sealed", *tv::SealCompact(*service_key, "s")});
  EXPECT_EQ(unbound.status, 1);
  EXPECT_THAT(unbound.out, HasSubstr("mcpauth_iss: is required"));
  // A secret with CR/LF (it would split the header it is injected into).
  Ran crlf = W().Cli({"credentials", "store", "--server", W().Address(), "--sealed",
                      *tv::SealCompact(*service_key, "a\r\nX-Evil: 1", credentials::BindingHeader(b))});
  EXPECT_EQ(crlf.status, 1);
  EXPECT_THAT(crlf.out, HasSubstr("control characters"));
}

TEST_F(CredentialsTest, SlowAndIdleCallersDoNotHoldTheEgress) {
  // Eight connections (max_connections) that send half a request and stop: each is
  // closed after egress_idle_timeout (1 s), and the port answers again.
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(W().egress_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    const std::string partial = "GET /v1/egress HTTP/1.1\r\nHost: x\r\nX-MCP-Cred";
    ASSERT_EQ(::send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
    fds.push_back(fd);
  }
  const absl::Time start = absl::Now();
  for (int fd : fds) {
    char byte;
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10'000), 1) << "a slow caller was never dropped";
    EXPECT_EQ(::recv(fd, &byte, 1, 0), 0) << "closed without an answer";
    ::close(fd);
  }
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(500));
  const std::string handle = StoreFor("jack", "jack-secret", "bearer", {ApiHost()}, "after");
  EXPECT_EQ(Egress(handle, Grant("jack"), StrCat("http://", ApiHost(), "/v1/query")).status, 200);
}

TEST_F(CredentialsTest, TheLogSaysWhoUsedWhatButNeverTheSecret) {
  const std::string log = W().service->LogText();
  EXPECT_THAT(log, HasSubstr(R"("msg":"credential use")"));
  EXPECT_THAT(log, HasSubstr(R"("subject":"alice")"));
  EXPECT_THAT(log, HasSubstr(R"("result":"not_owner")"));
  for (const char* secret : {kAliceSecret, "carol-key-1", "dave-header-key", "erin-secret-value-42",
                             "frank-plaintext-secret"}) {
    EXPECT_THAT(log, Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace mcpauth
