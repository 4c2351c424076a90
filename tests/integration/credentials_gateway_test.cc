// Credential isolation end to end (issue 18): the whole suite (harness) with
// mcpauth-credentials beside it, a real redis-server, an MCP server written with the
// official TypeScript SDK (tests/node/credentials_tool_server.mjs) whose tool calls a
// loopback "third-party API" that requires a secret, and the TypeScript SDK client
// (tests/node/mcp_client.mjs) through the gateway. The MCP server gets only the
// handles the gateway lists and the grant it signs; it makes its call through the
// egress. It must succeed for the owner, and the secret must never reach the MCP
// server: not in a header, a body, or its log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/jwe.h"
#include "services/token_validation/keygen.h"
#include "tests/fault/suite_harness.h"
#include "tests/integration/credentials_process.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBin = StrCat(MCPAUTH_BINARY_DIR, "/bin/");
const std::string kNodeDir = StrCat(MCPAUTH_SOURCE_DIR, "/tests/node");
constexpr char kSecret[] = "ghp_alice-0d8f3b7a9e2c41f6";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class CredentialsThroughTheGateway : public ::testing::Test {
 protected:
  struct World {
    test::TempDir dir{"mcpauth-credentials-e2e"};
    test::LoopbackHttpServer api;
    test::LoopbackHttpServer elsewhere;
    std::unique_ptr<test::SuiteProcesses> suite;
    std::unique_ptr<test::ChildProcess> credentials, tool_server;
    int grpc_port = test::PickFreePort();
    int egress_port = test::PickFreePort();
    int tool_port = test::PickFreePort();
    absl::Status status;

    World() {
      api.SetHandler("/v1/me", [](const test::HttpRequestInfo& r) {
        test::HttpReply reply;
        if (r.Header("Authorization") == StrCat("Bearer ", kSecret)) {
          reply.body = R"({"login":"alice","repos":42})";
        } else {
          reply.status = 401;
          reply.body = R"({"message":"Bad credentials"})";
        }
        return reply;
      });
      elsewhere.SetResponse("/v1/me", test::HttpReply{});
      status = api.Start();
      if (status.ok()) status = elsewhere.Start();
      if (!status.ok()) return;

      // Keys: the service's sealing key, the gateway's grant key (public half to the
      // service), the record secret.
      auto service_key = tv::GenerateAgreementJwk("svc-1");
      auto grant_key = tv::GeneratePrivateJwk(*tv::FindAlg("ES256"), "gw-1");
      test::WriteFile(dir.File("service-key.json"), ToJson(*service_key));
      test::WriteFile(dir.File("service-public.json"),
                      ToJson(tv::ParseAgreementKey(*service_key, true)->public_jwk));
      test::WriteFile(dir.File("grant-key.json"), ToJson(*grant_key));
      auto grant_public = tv::Jwk::Parse(*grant_key, tv::JwkPrivacy::kAllowPrivate)->PublicJson();
      test::WriteFile(dir.File("grant-keys.json"), ToJson(boost::json::object{{"keys", boost::json::array{grant_public}}}));
      test::WriteFile(dir.File("record-secret"), "an-e2e-record-secret-of-more-than-32-bytes");

      auto tool = test::ChildProcess::Start(
          {.argv = {"node", kNodeDir + "/credentials_tool_server.mjs", "--port", std::to_string(tool_port), "--egress",
                    StrCat("http://127.0.0.1:", egress_port), "--api", api.Url(""), "--log", dir.File("tool-server.jsonl")},
           .env = {},
           .log_path = dir.File("tool-server.out"),
           .stderr_path = dir.File("tool-server.err")});
      if (!tool.ok()) {
        status = tool.status();
        return;
      }
      tool_server = std::move(*tool);
      suite = std::make_unique<test::SuiteProcesses>(test::SuiteOptions{
          .upstream = StrCat("http://127.0.0.1:", tool_port, "/mcp"),
          .redis = true,
          .extra_yaml = StrCat("credentials:\n"
                               "  listen: \"127.0.0.1:", grpc_port, "\"\n"
                               "  metrics_listen: \"\"\n"
                               "  egress_listen: \"127.0.0.1:", egress_port, "\"\n"
                               "  key_files: [\"", dir.File("service-key.json"), "\"]\n"
                               "  record_secret_file: \"", dir.File("record-secret"), "\"\n"
                               "  grant_keys_file: \"", dir.File("grant-keys.json"), "\"\n"
                               "  shutdown_grace: 1\n"),
          .gateway_yaml = StrCat("  credentials: {grant_key_file: \"", dir.File("grant-key.json"),
                                 "\", grant_ttl: 30, grant_max_uses: 1}\n")});
      // The credentials service reads the suite's file; the gateway lists handles from it.
      status = suite->Start();
      if (!status.ok()) return;
      auto p = test::StartCredentialsService(suite->config_path(), dir.File("credentials.log"),
                                             StrCat("127.0.0.1:", grpc_port));
      if (!p.ok()) {
        status = p.status();
        return;
      }
      credentials = std::move(*p);
    }
    ~World() {
      if (credentials) credentials->Stop(absl::Seconds(5));
      suite.reset();
      if (tool_server) tool_server->Stop(absl::Seconds(5));
    }
  };

  static void SetUpTestSuite() { world_ = new World(); }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(world_->status.ok()) << world_->status; }
  static World& W() { return *world_; }

  struct Ran {
    int status = -1;
    std::string out;
  };
  static Ran Run(std::vector<std::string> argv) {
    test::CommandResult r = test::RunToCompletion(std::move(argv), W().dir.path(), "run");
    return {r.status, r.out + r.err};
  }
  // A tool call through the gateway by the TypeScript SDK client, as `subject`.
  static Ran Call(const std::string& subject, const std::string& tool, const boost::json::object& args) {
    return Run({"node", kNodeDir + "/mcp_client.mjs", "--url", W().suite->resource(), "--token",
                W().suite->Mint(subject, "mcp"), "call", tool, ToJson(args)});
  }
  // Alice's credential for the API, sealed and stored with the CLI; its handle.
  static const std::string& AliceHandle() {
    static const std::string handle = [] {
      test::WriteFile(W().dir.File("alice-secret"), kSecret);
      Ran sealed = Run({kBin + "mcpauth", "credentials", "seal", "--public-key", W().dir.File("service-public.json"),
                        "--iss", test::SuiteProcesses::kIssuer, "--sub", "alice", "--host",
                        StrCat("127.0.0.1:", W().api.port()), "--inject", "bearer", "--label", "api", "--secret-file",
                        W().dir.File("alice-secret")});
      std::string jwe = sealed.out.substr(0, sealed.out.find('\n'));
      Ran stored = Run({kBin + "mcpauth", "credentials", "store", "--server", StrCat("127.0.0.1:", W().grpc_port),
                        "--sealed", jwe});
      boost::json::value v;
      if (ParseStrictJson(stored.out.substr(0, stored.out.find('\n')), v) != JsonParseError::kNone || !v.is_object()) {
        return std::string();
      }
      return StringMember(v.get_object(), "handle").value_or("");
    }();
    return handle;
  }

  static World* world_;
};
CredentialsThroughTheGateway::World* CredentialsThroughTheGateway::world_ = nullptr;

TEST_F(CredentialsThroughTheGateway, TheToolCallsTheApiWithTheUsersCredentialItNeverSees) {
  ASSERT_THAT(AliceHandle(), ::testing::StartsWith("h_"));
  const Ran r = Call("alice", "call_api", {{"label", "api"}, {"path", "/v1/me"}});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(R"(200 {\"login\":\"alice\",\"repos\":42})"));
  // What the MCP server received: the handle list and a grant, never the secret.
  const std::string log = ReadAll(W().dir.File("tool-server.jsonl"));
  EXPECT_THAT(log, HasSubstr(StrCat(R"("x-mcp-auth-credentials":"api=)", AliceHandle(), R"(")")));
  EXPECT_THAT(log, HasSubstr(R"("x-mcp-auth-grant":"eyJ)"));
  EXPECT_THAT(log, Not(HasSubstr(kSecret)));
  EXPECT_THAT(ReadAll(W().dir.File("tool-server.out")) + ReadAll(W().dir.File("tool-server.err")), Not(HasSubstr(kSecret)));
}

TEST_F(CredentialsThroughTheGateway, MisusesThroughTheRealPathAreRefused) {
  ASSERT_FALSE(AliceHandle().empty());
  // Bob holds no credential: his requests list none.
  Ran bob = Call("bob", "call_api", {{"label", "api"}, {"path", "/v1/me"}});
  EXPECT_THAT(bob.out, HasSubstr("no credential labelled api"));
  // Bob's tool names Alice's handle: his grant does not speak for her.
  Ran stolen = Call("bob", "call_api", {{"label", "api"}, {"path", "/v1/me"}, {"handle", AliceHandle()}});
  EXPECT_THAT(stolen.out, HasSubstr(R"(403 {\"error\":\"not_owner\")"));
  // A host her credential does not name.
  Ran elsewhere = Call("alice", "call_api", {{"label", "api"}, {"path", ""}, {"url", W().elsewhere.Url("/v1/me")}});
  EXPECT_THAT(elsewhere.out, HasSubstr(R"(403 {\"error\":\"host_not_allowed\")"));
  // A grant from an earlier request, used once, then replayed (grant_max_uses: 1).
  Ran first = Call("alice", "last_grant", {});
  const size_t at = first.out.find("eyJ");
  ASSERT_NE(at, std::string::npos) << first.out;
  const std::string grant = first.out.substr(at, first.out.find_first_of("\"\\", at) - at);
  Ran once = Call("alice", "call_api", {{"label", "api"}, {"path", "/v1/me"}, {"grant", grant}});
  EXPECT_THAT(once.out, HasSubstr("200 "));
  Ran replayed = Call("alice", "call_api", {{"label", "api"}, {"path", "/v1/me"}, {"grant", grant}});
  EXPECT_THAT(replayed.out, HasSubstr(R"(401 {\"error\":\"grant_used_up\")"));
}

TEST_F(CredentialsThroughTheGateway, AClientCannotHandTheUpstreamHandlesOrGrants) {
  ASSERT_FALSE(AliceHandle().empty());
  // Bob sends Alice's handle list and a made-up grant himself: the gateway drops both
  // (every spelling) and sends his own, so the tool finds nothing labelled api.
  const std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"call_api","arguments":{"label":"api","path":"/v1/me"}}})";
  const std::string raw = test::RawHttpExchange(
      W().suite->gateway_port(),
      StrCat("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
             "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n"
             "Authorization: Bearer ", W().suite->Mint("bob", "mcp"), "\r\n",
             "X-MCP-Auth-Credentials: api=", AliceHandle(), "\r\nx-mcp-auth-grant: eyJhbGciOiJFUzI1NiJ9.e30.AAAA\r\n"
             "X_MCP_Auth_Credentials: api=", AliceHandle(), "\r\nContent-Length: ", body.size(), "\r\n\r\n", body));
  EXPECT_THAT(raw, HasSubstr("no credential labelled api")) << raw;
  const std::string log = ReadAll(W().dir.File("tool-server.jsonl"));
  EXPECT_THAT(log, Not(HasSubstr("eyJhbGciOiJFUzI1NiJ9.e30.AAAA")));
  EXPECT_THAT(log, Not(HasSubstr("x_mcp_auth_credentials")));
}

TEST_F(CredentialsThroughTheGateway, RedisHoldsOnlyCiphertext) {
  ASSERT_FALSE(AliceHandle().empty());
  auto keys = W().suite->redis()->Command({"KEYS", "mcpauth:v1:credential*"});
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, HasSubstr(AliceHandle()));
  for (std::string_view key : SplitSkipEmpty(*keys, '\n')) {
    auto value = W().suite->redis()->Command({"GET", std::string(key)});
    ASSERT_TRUE(value.ok()) << key;
    EXPECT_THAT(*value, Not(HasSubstr(kSecret))) << key;
  }
  EXPECT_THAT(W().credentials->LogText(), Not(HasSubstr(kSecret)));
}

}  // namespace
}  // namespace mcpauth
