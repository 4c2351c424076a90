#include "gateway/credentials.h"

#include <gtest/gtest.h>

namespace mcpauth::gw {
namespace {

Request With(std::initializer_list<std::pair<const char*, const char*>> headers, std::string target = "/mcp") {
  Request r(http::verb::post, target, 11);
  for (const auto& [n, v] : headers) r.insert(n, v);
  return r;
}

using O = Credentials::Outcome;

TEST(Credentials, BearerAndDpop) {
  Credentials c = ExtractCredentials(With({{"Authorization", "Bearer abc.def-_~+/=="}}));
  EXPECT_EQ(c.outcome, O::kPresent);
  EXPECT_EQ(c.scheme, "Bearer");
  EXPECT_EQ(c.token, "abc.def-_~+/==");
  c = ExtractCredentials(With({{"Authorization", "dpop tok"}, {"DPoP", "proof.jwt.x"}}));
  EXPECT_EQ(c.outcome, O::kPresent);
  EXPECT_EQ(c.scheme, "DPoP");
  EXPECT_EQ(c.proof, "proof.jwt.x");
}

TEST(Credentials, NoneAndForeignSchemes) {
  EXPECT_EQ(ExtractCredentials(With({})).outcome, O::kNone);
  EXPECT_EQ(ExtractCredentials(With({{"Authorization", "Basic dXNlcjpwdw=="}})).outcome, O::kNone);
  EXPECT_EQ(ExtractCredentials(With({{"DPoP", "proof"}})).outcome, O::kNone);
}

TEST(Credentials, MalformedIsInvalidRequest) {
  EXPECT_EQ(ExtractCredentials(With({{"Authorization", "Bearer"}})).outcome, O::kInvalidRequest);
  EXPECT_EQ(ExtractCredentials(With({{"Authorization", "Bearer a b"}})).outcome, O::kInvalidRequest);
  EXPECT_EQ(ExtractCredentials(With({{"Authorization", "Bearer a,b"}})).outcome, O::kInvalidRequest);
  EXPECT_EQ(ExtractCredentials(With({{"Authorization", "Bearer a"}, {"Authorization", "DPoP b"}})).outcome,
            O::kInvalidRequest);
  EXPECT_EQ(ExtractCredentials(With({}, "/mcp?access_token=abc")).outcome, O::kInvalidRequest);
  EXPECT_EQ(ExtractCredentials(With({}, "/mcp?x=1&access_token=abc")).outcome, O::kInvalidRequest);
  Request form = With({{"Content-Type", "application/x-www-form-urlencoded"}});
  form.body() = "a=1&access_token=abc";
  EXPECT_EQ(ExtractCredentials(form).outcome, O::kInvalidRequest);
}

// Found by the attack corpus (tests/attack/gateway_attack_test.cc): a percent-encoded
// parameter name is the same parameter once the upstream's framework decodes it.
TEST(Credentials, PercentEncodedAccessTokenParametersAreAnInvalidRequest) {
  EXPECT_EQ(ExtractCredentials(With({}, "/mcp?access%5Ftoken=abc")).outcome, O::kInvalidRequest);
  EXPECT_EQ(ExtractCredentials(With({}, "/mcp?x=1&%61ccess_token=abc")).outcome, O::kInvalidRequest);
  EXPECT_EQ(ExtractCredentials(With({}, "/mcp?%61%63cess%5ftoken")).outcome, O::kInvalidRequest);
  Request form = With({{"Content-Type", "application/x-www-form-urlencoded"}});
  form.body() = "a=1&access%5Ftoken=abc";
  EXPECT_EQ(ExtractCredentials(form).outcome, O::kInvalidRequest);
  // Other names, including ones that only contain the word, are not credentials.
  EXPECT_EQ(ExtractCredentials(With({}, "/mcp?my_access_token=1&access_tokens=2&x=access_token")).outcome, O::kNone);
  EXPECT_EQ(ExtractCredentials(With({}, "/mcp?access%zztoken=1")).outcome, O::kNone);
}

TEST(Credentials, TwoProofsAreAnInvalidProof) {
  EXPECT_EQ(ExtractCredentials(With({{"Authorization", "DPoP t"}, {"DPoP", "a"}, {"DPoP", "b"}})).outcome,
            O::kInvalidProof);
}

}  // namespace
}  // namespace mcpauth::gw
