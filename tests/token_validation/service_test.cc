#include "services/token_validation/service.h"

#include <gtest/gtest.h>

namespace mcpauth::tv {
namespace {

TEST(FillResponse, InvalidCarriesReasonAndRfc6750Texts) {
  const auto r = ValidationResult::Decided(v1::REASON_EXPIRED);
  v1::ValidateResponse response;
  FillResponse(r, &response);
  EXPECT_FALSE(response.valid());
  EXPECT_EQ(response.reason(), v1::REASON_EXPIRED);
  EXPECT_EQ(response.error(), "invalid_token");
  EXPECT_EQ(response.error_description(), "Jwt is expired");
  EXPECT_FALSE(response.has_principal());
}

TEST(FillResponse, ValidCarriesThePrincipal) {
  auto token = std::make_shared<VerifiedToken>();
  token->claims.subject = "alice";
  token->claims.issuer = "https://as";
  token->claims.scopes = {"read"};
  token->claims.audiences = {"https://mcp"};
  token->claims.expires_at = 1700000100.9;
  token->claims.confirmation_jkt = "jkt";
  token->claims_json = R"({"sub":"alice"})";
  const auto r = ValidationResult::Decided(v1::REASON_OK, token, /*cached=*/true);
  v1::ValidateResponse response;
  FillResponse(r, &response);
  EXPECT_TRUE(response.valid());
  EXPECT_TRUE(response.cached());
  EXPECT_EQ(response.error(), "");
  EXPECT_EQ(response.principal().subject(), "alice");
  EXPECT_EQ(response.principal().scopes(0), "read");
  EXPECT_EQ(response.principal().expires_at(), 1700000100);
  EXPECT_EQ(response.principal().claims_json(), R"({"sub":"alice"})");
  EXPECT_EQ(response.principal().confirmation_jkt(), "jkt");
}

TEST(Reasons, EveryReasonHasTextAndAnErrorCode) {
  const auto* descriptor = v1::Reason_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto reason = static_cast<Reason>(descriptor->value(i)->number());
    EXPECT_NE(ReasonText(reason), "Unknown reason") << descriptor->value(i)->name();
    if (reason != v1::REASON_OK && reason != v1::REASON_UNSPECIFIED) {
      EXPECT_FALSE(ReasonErrorCode(reason).empty()) << descriptor->value(i)->name();
    }
  }
  EXPECT_EQ(ReasonErrorCode(v1::REASON_DPOP_NONCE_REQUIRED), "use_dpop_nonce");
  EXPECT_EQ(ReasonErrorCode(v1::REASON_DPOP_HTU_MISMATCH), "invalid_dpop_proof");
  EXPECT_EQ(ReasonLabel(v1::REASON_SIGNATURE_INVALID), "SIGNATURE_INVALID");
}

}  // namespace
}  // namespace mcpauth::tv
