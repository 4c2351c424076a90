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

TEST(Credentials, TwoProofsAreAnInvalidProof) {
  EXPECT_EQ(ExtractCredentials(With({{"Authorization", "DPoP t"}, {"DPoP", "a"}, {"DPoP", "b"}})).outcome,
            O::kInvalidProof);
}

}  // namespace
}  // namespace mcpauth::gw
