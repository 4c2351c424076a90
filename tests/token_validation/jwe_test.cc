// JWE with ECDH-ES + A256GCM (services/token_validation/jwe.h): the RFC 7518
// Appendix C key agreement vector, npm jose on the other side in both directions,
// and every way a sealed value can be bent.
#include "services/token_validation/jwe.h"

#include <gtest/gtest.h>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::tv {
namespace {

boost::json::object Object(std::string_view json) {
  boost::json::value v;
  EXPECT_EQ(ParseStrictJson(json, v), JsonParseError::kNone) << json;
  return v.is_object() ? v.get_object() : boost::json::object{};
}

// RFC 7518 Appendix C: Alice's ephemeral key and Bob's key.
constexpr char kAlice[] = R"({"kty":"EC","crv":"P-256","x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",
  "y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps","d":"0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"})";
constexpr char kBob[] = R"({"kty":"EC","crv":"P-256","x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",
  "y":"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck","d":"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"})";

TEST(JweTest, Rfc7518AppendixCKeyAgreement) {
  auto alice = ParseAgreementKey(Object(kAlice), true);
  auto bob = ParseAgreementKey(Object(kBob), true);
  ASSERT_TRUE(alice.ok()) << alice.status();
  ASSERT_TRUE(bob.ok()) << bob.status();
  auto z = EcdhSharedSecret(alice->pkey.get(), bob->pkey.get());
  ASSERT_TRUE(z.ok());
  const unsigned char kZ[] = {158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,  131, 191, 132, 38,  156,
                              251, 49,  110, 163, 218, 128, 106, 72,  246, 218, 167, 121, 140, 254, 144, 196};
  EXPECT_EQ(*z, std::string(reinterpret_cast<const char*>(kZ), sizeof(kZ)));
  // Bob derives the same Z from his side.
  EXPECT_EQ(*EcdhSharedSecret(bob->pkey.get(), alice->pkey.get()), *z);
  EXPECT_EQ(Base64UrlEncode(ConcatKdf(*z, "A128GCM", "Alice", "Bob", 16)), "VqqN6vgjbSBcIijNcacQGg");
}

class SealedTest : public ::testing::Test {
 protected:
  SealedTest() {
    auto jwk = GenerateAgreementJwk("svc-1");
    EXPECT_TRUE(jwk.ok());
    private_jwk_ = *jwk;
    auto key = ParseAgreementKey(private_jwk_, true);
    EXPECT_TRUE(key.ok()) << key.status();
    key_ = std::move(*key);
  }
  absl::StatusOr<JweOpened> Open(std::string_view jwe) { return OpenCompact(jwe, {&key_}); }
  // A compact JWE with its protected header replaced (the rest kept).
  static std::string WithHeader(const std::string& jwe, const boost::json::object& header) {
    return StrCat(Base64UrlEncode(ToJson(header)), jwe.substr(jwe.find('.')));
  }
  // Runs tests/node/jwe_interop.mjs; its stdout, or "error: <stderr>".
  std::string Jose(std::vector<std::string> args) {
    std::vector<std::string> argv = {"node", StrCat(MCPAUTH_SOURCE_DIR, "/tests/node/jwe_interop.mjs")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto p = test::ChildProcess::Start(
        {.argv = argv, .env = {}, .log_path = dir_.File("out"), .stderr_path = dir_.File("err")});
    if (!p.ok()) return "error: cannot start node";
    const std::optional<int> status = (*p)->WaitForExit(absl::Seconds(30));
    std::string out = (*p)->LogText();
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return status == 0 ? out : StrCat("error: ", (*p)->StderrText());
  }

  test::TempDir dir_{"mcpauth-jwe"};
  boost::json::object private_jwk_;
  AgreementKey key_;
};

TEST_F(SealedTest, WhatJoseSealsOpensHere) {
  const std::string jwe = Jose({"seal", ToJson(key_.public_jwk), "ghp_secret-value ✓", R"({"mcpauth_sub":"alice"})"});
  ASSERT_FALSE(jwe.starts_with("error")) << jwe;
  auto opened = Open(jwe);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->plaintext, "ghp_secret-value ✓");
  EXPECT_EQ(StringMember(opened->header, "mcpauth_sub"), std::optional<std::string>("alice"));
  EXPECT_EQ(StringMember(opened->header, "kid"), std::optional<std::string>("svc-1"));
}

TEST_F(SealedTest, WhatIsSealedHereJoseOpens) {
  auto jwe = SealCompact(key_, "sk-live-123", {{"mcpauth_hosts", boost::json::array{"api.example.com"}}});
  ASSERT_TRUE(jwe.ok()) << jwe.status();
  const boost::json::object out = Object(Jose({"open", ToJson(private_jwk_), *jwe}));
  EXPECT_EQ(StringMember(out, "plaintext"), std::optional<std::string>("sk-live-123")) << *jwe;
  EXPECT_EQ(ToJson(out.at("header").at("mcpauth_hosts")), R"(["api.example.com"])");
  // And here too.
  auto opened = Open(*jwe);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->plaintext, "sk-live-123");
}

TEST_F(SealedTest, AnyChangeOrAnotherKeyFailsAuthentication) {
  auto jwe = SealCompact(key_, "secret", {{"mcpauth_sub", "alice"}});
  ASSERT_TRUE(jwe.ok());
  // The header is the AAD: rebinding the credential to another subject fails.
  boost::json::object header = *PeekJweHeader(*jwe);
  header["mcpauth_sub"] = "mallory";
  EXPECT_EQ(Open(WithHeader(*jwe, header)).status().message(),
            "jwe: authentication failed (not sealed to this key, or altered)");
  // A bit of the ciphertext or the tag.
  for (size_t part : {3u, 4u}) {
    std::string bent = *jwe;
    size_t at = 0;
    for (size_t i = 0; i < part; ++i) at = bent.find('.', at) + 1;
    bent[at] = bent[at] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(Open(bent).ok()) << part;
  }
  auto other = ParseAgreementKey(*GenerateAgreementJwk("svc-1"), true);
  EXPECT_EQ(OpenCompact(*jwe, {&*other}).status().message(),
            "jwe: authentication failed (not sealed to this key, or altered)");
}

TEST_F(SealedTest, OnlyTheOneModeIsAccepted) {
  auto jwe = SealCompact(key_, "secret");
  ASSERT_TRUE(jwe.ok());
  const boost::json::object header = *PeekJweHeader(*jwe);
  auto with = [&](const char* name, boost::json::value value) {
    boost::json::object h = header;
    h[name] = std::move(value);
    return std::string(Open(WithHeader(*jwe, h)).status().message());
  };
  EXPECT_EQ(with("alg", "ECDH-ES+A256KW"), "jwe: alg must be \"ECDH-ES\"");
  EXPECT_EQ(with("alg", "dir"), "jwe: alg must be \"ECDH-ES\"");
  EXPECT_EQ(with("enc", "A128GCM"), "jwe: enc must be \"A256GCM\"");
  EXPECT_EQ(with("enc", "A256CBC-HS512"), "jwe: enc must be \"A256GCM\"");
  EXPECT_EQ(with("zip", "DEF"), "jwe: header member \"zip\" is not accepted");
  EXPECT_EQ(with("crit", boost::json::array{"exp"}), "jwe: header member \"crit\" is not accepted");
  EXPECT_EQ(with("kid", "svc-2"), "jwe: kid \"svc-2\" names no key");
  // The ephemeral key: off the curve (the invalid-curve attack), another curve, private.
  boost::json::object epk = header.at("epk").as_object();
  boost::json::object off_curve = epk;
  off_curve["y"] = epk.at("x");
  EXPECT_NE(with("epk", off_curve).find("jwe: epk: "), std::string::npos);
  boost::json::object p384 = epk;
  p384["crv"] = "P-384";
  EXPECT_EQ(with("epk", p384), "jwe: epk: jwe: key: must be an EC P-256 key");
  boost::json::object with_d = Object(kAlice);
  EXPECT_EQ(with("epk", with_d), "jwe: epk: jwe: key: must hold no private members");
  // An encrypted key (key wrapping), a short IV or tag, not five parts.
  const std::vector<std::string_view> parts = {*jwe};
  std::string wrapped = *jwe;
  wrapped.insert(wrapped.find('.') + 1, "AAAA");
  EXPECT_EQ(Open(wrapped).status().message(), "jwe: the encrypted key must be empty (direct key agreement)");
  EXPECT_EQ(Open("a.b.c").status().message(),
            "jwe: not five base64url parts separated by dots (compact serialization)");
  std::string short_tag = jwe->substr(0, jwe->rfind('.') + 1) + "AAAA";
  EXPECT_EQ(Open(short_tag).status().message(), "jwe: the tag must be 128 bits of canonical base64url");
}

TEST_F(SealedTest, KeysMustBeForKeyAgreement) {
  boost::json::object jwk = private_jwk_;
  jwk["use"] = "sig";
  EXPECT_EQ(ParseAgreementKey(jwk, true).status().message(), "jwe: key use: must be \"enc\"");
  jwk = private_jwk_;
  jwk["alg"] = "ES256";
  EXPECT_EQ(ParseAgreementKey(jwk, true).status().message(), "jwe: key alg: must be \"ECDH-ES\"");
  jwk = private_jwk_;
  jwk["key_ops"] = boost::json::array{"sign"};
  EXPECT_EQ(ParseAgreementKey(jwk, true).status().message(), "jwe: key key_ops: must allow deriveKey or deriveBits");
  EXPECT_EQ(ParseAgreementKey(key_.public_jwk, true).status().message(),
            "jwe: key: the private key (d) is required");
  EXPECT_TRUE(ParseAgreementKey(key_.public_jwk, false).ok());
  EXPECT_FALSE(SealCompact(key_, "x", {{"alg", "dir"}}).ok());
}

}  // namespace
}  // namespace mcpauth::tv
