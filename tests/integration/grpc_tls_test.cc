// gRPC over TLS and mutual TLS (issue 15), against the real mcpauth-scope-policy
// binary: certificates from a CA the test makes, the client side built by the
// suite's own CreateServiceChannel, the plaintext health port Kubernetes probes use,
// a certificate rotated on disk and picked up without a restart, and bad files
// refused at start with the key's path.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "mcpauth/v1/scope_policy.grpc.pb.h"
#include "services/common/grpc_server.h"
#include "services/common/strings.h"
#include "tests/support/grpc_health.h"
#include "tests/support/ports.h"
#include "tests/support/service_process.h"
#include "tests/support/test_ca.h"
#include "tests/support/wait_for.h"

namespace mcpauth {
namespace {

using ::testing::HasSubstr;

constexpr char kPolicy[] = R"(authorization:
  required_scopes: [mcp:read]
tools:
  echo:
    required_scopes: [tools:echo]
)";

class GrpcTlsTest : public ::testing::Test {
 protected:
  GrpcTlsTest() : ca_(dir_, "suite"), rogue_(dir_, "rogue") {
    server_ = ca_.Issue("server", {.common_name = "scope-policy-1"});
    client_ = ca_.Issue("client", {.common_name = "gateway"});
  }

  // The scope_policy section lines for `tls` (server side) and health_listen.
  std::string ServerLines(bool mutual) {
    health_port_ = test::PickFreePort();
    std::string lines = StrCat("  health_listen: 127.0.0.1:", health_port_, "\n  tls:\n    cert_file: ", server_.cert_file,
                               "\n    key_file: ", server_.key_file, "\n    reload_interval: 1\n");
    if (mutual) lines += StrCat("    client_ca_file: ", ca_.cert_file(), "\n");
    lines += StrCat("  client_tls:\n    cert_file: ", client_.cert_file, "\n    key_file: ", client_.key_file, "\n");
    return lines;
  }

  absl::Status StartScopePolicy(bool mutual) {
    process_ = std::make_unique<test::ServiceProcess>(dir_, "scope-policy", "mcpauth-scope-policy", kPolicy,
                                                      "scope_policy", ServerLines(mutual));
    process_->set_health_address(StrCat("127.0.0.1:", health_port_));
    return process_->Start();
  }

  // How a caller sees the service: its section with `client` settings.
  ServiceSection Section(ClientTls client, bool tls_on = true) const {
    ServiceSection s;
    s.address = process_->address();
    if (tls_on) s.tls.cert_file = server_.cert_file;  // callers only look at whether tls is on
    s.client_tls = std::move(client);
    s.client_tls.reload_interval = absl::Seconds(1);
    return s;
  }

  // One GetPolicy call; OK or the error. `peer_cn` gets the server certificate's CN.
  grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, std::string* peer_cn = nullptr) {
    auto stub = v1::ScopePolicy::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::PolicySnapshot snapshot;
    grpc::Status status = stub->GetPolicy(&ctx, v1::GetPolicyRequest(), &snapshot);
    if (status.ok() && peer_cn != nullptr) {
      const auto names = ctx.auth_context()->FindPropertyValues("x509_common_name");
      *peer_cn = names.empty() ? "" : std::string(names.front().data(), names.front().size());
    }
    return status;
  }

  // grpc.reflection.v1alpha ServerReflectionInfo with one list_services request,
  // sent as a single message (the wire allows it): OK when reflection is served.
  static grpc::Status ListServices(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::GenericStub stub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    const char list_services[] = {0x3a, 0x00};  // field 7 (list_services), ""
    grpc::Slice slice(list_services, sizeof list_services);
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", grpc::StubOptions(),
                   &request, &response, [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  test::TempDir dir_{"mcpauth-grpc-tls"};
  test::TestCa ca_;
  test::TestCa rogue_;  // a CA nobody trusts
  test::IssuedCertificate server_, client_;
  int health_port_ = 0;
  std::unique_ptr<test::ServiceProcess> process_;
};

TEST_F(GrpcTlsTest, MutualTlsAdmitsOnlyCallersWithATrustedCertificate) {
  ASSERT_TRUE(StartScopePolicy(/*mutual=*/true).ok()) << process_->LogText();
  EXPECT_THAT(process_->LogText(), HasSubstr(R"("tls":"mutual")"));

  const ClientTls trusted{.ca_file = ca_.cert_file(), .cert_file = client_.cert_file, .key_file = client_.key_file};
  std::string cn;
  ASSERT_TRUE(Call(CreateServiceChannel(Section(trusted), "scope_policy"), &cn).ok());
  EXPECT_EQ(cn, "scope-policy-1");

  // No certificate, a certificate from another CA, no TLS at all: refused.
  const grpc::Status anonymous = Call(CreateServiceChannel(Section({.ca_file = ca_.cert_file()}), "scope_policy"));
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAVAILABLE) << anonymous.error_message();
  const test::IssuedCertificate stranger = rogue_.Issue("stranger", {.common_name = "gateway"});
  const grpc::Status untrusted = Call(CreateServiceChannel(
      Section({.ca_file = ca_.cert_file(), .cert_file = stranger.cert_file, .key_file = stranger.key_file}),
      "scope_policy"));
  EXPECT_EQ(untrusted.error_code(), grpc::StatusCode::UNAVAILABLE) << untrusted.error_message();
  const grpc::Status plaintext = Call(CreateServiceChannel(Section({}, /*tls_on=*/false), "scope_policy"));
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE) << plaintext.error_message();

  // The caller checks the server too: a CA it does not trust, a name the certificate lacks.
  const grpc::Status wrong_roots = Call(CreateServiceChannel(
      Section({.ca_file = rogue_.cert_file(), .cert_file = client_.cert_file, .key_file = client_.key_file}),
      "scope_policy"));
  EXPECT_EQ(wrong_roots.error_code(), grpc::StatusCode::UNAVAILABLE) << wrong_roots.error_message();
  const grpc::Status wrong_name = Call(CreateServiceChannel(Section({.ca_file = ca_.cert_file(),
                                                                     .cert_file = client_.cert_file,
                                                                     .key_file = client_.key_file,
                                                                     .server_name = "token-validation.example"}),
                                                            "scope_policy"));
  EXPECT_EQ(wrong_name.error_code(), grpc::StatusCode::UNAVAILABLE) << wrong_name.error_message();
  const grpc::Status right_name = Call(CreateServiceChannel(
      Section({.ca_file = ca_.cert_file(), .cert_file = client_.cert_file, .key_file = client_.key_file,
               .server_name = "localhost"}),
      "scope_policy"));
  EXPECT_TRUE(right_name.ok()) << right_name.error_message();
}

TEST_F(GrpcTlsTest, ProbesUseThePlaintextHealthPortWhichServesNothingElse) {
  ASSERT_TRUE(StartScopePolicy(/*mutual=*/true).ok()) << process_->LogText();
  const std::string health = StrCat("127.0.0.1:", health_port_);
  EXPECT_TRUE(test::GrpcHealthServing(health));
  EXPECT_TRUE(test::GrpcHealthServing(health, "mcpauth.v1.ScopePolicy"));
  EXPECT_FALSE(test::GrpcHealthServing(process_->address()));  // the TLS port speaks no plaintext
  const grpc::Status other = Call(grpc::CreateChannel(health, grpc::InsecureChannelCredentials()));
  EXPECT_EQ(other.error_code(), grpc::StatusCode::UNIMPLEMENTED) << other.error_message();
  // Reflection is served to callers over (mutual) TLS, never in plaintext.
  const grpc::Status plaintext_reflection = ListServices(grpc::CreateChannel(health, grpc::InsecureChannelCredentials()));
  EXPECT_EQ(plaintext_reflection.error_code(), grpc::StatusCode::UNIMPLEMENTED) << plaintext_reflection.error_message();
  const grpc::Status reflection = ListServices(CreateServiceChannel(
      Section({.ca_file = ca_.cert_file(), .cert_file = client_.cert_file, .key_file = client_.key_file}), "scope_policy"));
  EXPECT_TRUE(reflection.ok()) << reflection.error_message();
}

TEST_F(GrpcTlsTest, ARotatedCertificateIsServedWithoutARestart) {
  ASSERT_TRUE(StartScopePolicy(/*mutual=*/false).ok()) << process_->LogText();
  const ClientTls tls{.ca_file = ca_.cert_file()};
  std::string cn;
  ASSERT_TRUE(Call(CreateServiceChannel(Section(tls), "scope_policy"), &cn).ok());
  EXPECT_EQ(cn, "scope-policy-1");

  // cert-manager renews: a new certificate (same key) replaces the file.
  ca_.Issue("server", {.common_name = "scope-policy-2", .key_file = server_.key_file});
  EXPECT_TRUE(test::WaitFor(
      [&] {
        std::string now;
        return Call(CreateServiceChannel(Section(tls), "scope_policy"), &now).ok() && now == "scope-policy-2";
      },
      absl::Seconds(15), absl::Milliseconds(250)));
  EXPECT_TRUE(process_->process()->Running());
}

TEST_F(GrpcTlsTest, TheClientTakesARotatedCaWithoutARestart) {
  // A server certificate from a second CA is refused until the caller's ca_file holds
  // that CA too (a CA rotation rolls the bundle out first).
  test::TestCa next(dir_, "next");
  const test::IssuedCertificate renewed = next.Issue("server-next", {.common_name = "scope-policy-next"});
  ASSERT_TRUE(StartScopePolicy(/*mutual=*/false).ok()) << process_->LogText();
  const std::string bundle = dir_.File("bundle.pem");
  ASSERT_TRUE(test::WriteFile(bundle, test::ReadFile(ca_.cert_file())));
  auto channel = CreateServiceChannel(Section({.ca_file = bundle}), "scope_policy");
  ASSERT_TRUE(Call(channel).ok());

  ASSERT_TRUE(test::WriteFile(bundle, test::ReadFile(ca_.cert_file()) + test::ReadFile(next.cert_file())));
  ASSERT_EQ(std::rename(renewed.cert_file.c_str(), server_.cert_file.c_str()), 0);
  ASSERT_EQ(std::rename(renewed.key_file.c_str(), server_.key_file.c_str()), 0);
  EXPECT_TRUE(test::WaitFor(
      [&] {
        std::string cn;
        return Call(CreateServiceChannel(Section({.ca_file = bundle}), "scope_policy"), &cn).ok() &&
               cn == "scope-policy-next";
      },
      absl::Seconds(15), absl::Milliseconds(250)));
}

// A bad file is a configuration error naming the key: exit status 2, one line.
TEST_F(GrpcTlsTest, UnusableCertificateFilesStopTheServiceWithTheKeysPath) {
  struct Case {
    std::string lines;
    std::string message;
  };
  const test::IssuedCertificate other = ca_.Issue("other");
  const std::string not_pem = dir_.File("not.pem");
  ASSERT_TRUE(test::WriteFile(not_pem, "hello\n"));
  const std::vector<Case> cases = {
      {StrCat("  tls:\n    cert_file: ", dir_.File("missing.pem"), "\n    key_file: ", server_.key_file, "\n"),
       StrCat("scope_policy.tls.cert_file: cannot read \"", dir_.File("missing.pem"), "\"")},
      {StrCat("  tls:\n    cert_file: ", not_pem, "\n    key_file: ", server_.key_file, "\n"),
       "scope_policy.tls.cert_file: \"" + not_pem + "\" holds no PEM certificate"},
      {StrCat("  tls:\n    cert_file: ", server_.cert_file, "\n    key_file: ", other.key_file, "\n"),
       "scope_policy.tls.key_file: \"" + other.key_file + "\" is not the private key of the certificate"},
      {StrCat("  tls:\n    cert_file: ", server_.cert_file, "\n    key_file: ", server_.key_file,
              "\n    client_ca_file: ", not_pem, "\n  client_tls:\n    cert_file: ", client_.cert_file,
              "\n    key_file: ", client_.key_file, "\n"),
       "scope_policy.tls.client_ca_file: \"" + not_pem + "\" holds no PEM certificate"},
      {StrCat("  tls:\n    cert_file: ", server_.cert_file, "\n"), "scope_policy.tls.key_file"},
  };
  for (const Case& c : cases) {
    test::ServiceProcess p(dir_, "bad", "mcpauth-scope-policy", kPolicy, "scope_policy", c.lines);
    EXPECT_FALSE(p.Start().ok());
    EXPECT_EQ(p.Stop(), 2) << c.lines;
    EXPECT_THAT(p.process()->StderrText(), HasSubstr(c.message)) << c.lines;
  }
}

}  // namespace
}  // namespace mcpauth
