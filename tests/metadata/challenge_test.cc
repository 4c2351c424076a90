// WWW-Authenticate values, byte for byte. The expected strings are written out by
// hand in the shapes of RFC 6750 §3 and RFC 9449 §7.1 (and RFC 9728 §5.1 for
// resource_metadata); they are the contract the gateway and clients see.
#include "services/metadata/challenge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proto/enum_label.h"

namespace mcpauth::metadata {
namespace {

using ::testing::ElementsAre;

constexpr char kUrl[] = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";

ChallengeSettings BearerOnly(ScopeEnforcement enforcement = v1::SCOPE_ENFORCEMENT_ALWAYS) {
  return ChallengeSettings{.required_scopes = {"files:read"},
                           .scope_enforcement = enforcement,
                           .bearer_accepted = true,
                           .dpop_accepted = false,
                           .dpop_algorithms = {"ES256", "PS256"}};
}

ChallengeSettings BearerAndDpop(ScopeEnforcement enforcement = v1::SCOPE_ENFORCEMENT_ALWAYS) {
  ChallengeSettings s = BearerOnly(enforcement);
  s.dpop_accepted = true;
  return s;
}

ChallengeSettings DpopRequired() {
  ChallengeSettings s = BearerAndDpop();
  s.bearer_accepted = false;
  return s;
}

Challenge Build(const ChallengeSettings& settings, ChallengeRequest request) {
  return BuildChallenge(settings, kUrl, request);
}

TEST(NoTokenChallenge, CarriesMetadataAndScopeButNoError) {
  Challenge c = Build(BearerOnly(), {.kind = v1::CHALLENGE_KIND_NO_TOKEN});
  EXPECT_EQ(c.http_status, 401);
  EXPECT_EQ(c.error, "");
  EXPECT_THAT(
      c.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read")"));
  EXPECT_EQ(c.dpop_nonce, "");
  // A description without a token is not an error report: nothing is added.
  EXPECT_EQ(Build(BearerOnly(), {.kind = v1::CHALLENGE_KIND_NO_TOKEN, .error_description = "x"}), c);
  // Several required scopes, space-separated (RFC 6749 §3.3).
  ChallengeSettings two = BearerOnly();
  two.required_scopes = {"files:read", "files:write"};
  EXPECT_THAT(
      Build(two, {.kind = v1::CHALLENGE_KIND_NO_TOKEN}).www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write")"));
}

TEST(NoTokenChallenge, OffersEveryAcceptedScheme) {
  Challenge both = Build(BearerAndDpop(), {.kind = v1::CHALLENGE_KIND_NO_TOKEN});
  EXPECT_THAT(
      both.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read")",
          R"(DPoP algs="ES256 PS256", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read")"));
  EXPECT_EQ(
      both.JoinedWwwAuthenticate(),
      R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", )"
      R"(DPoP algs="ES256 PS256", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read")");

  Challenge dpop = Build(DpopRequired(), {.kind = v1::CHALLENGE_KIND_NO_TOKEN});
  EXPECT_EQ(dpop.http_status, 401);
  EXPECT_THAT(
      dpop.www_authenticate,
      ElementsAre(
          R"(DPoP algs="ES256 PS256", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read")"));
}

TEST(NoTokenChallenge, LeavesOutWhatIsNotThere) {
  ChallengeSettings s = BearerOnly();
  s.required_scopes = {};
  EXPECT_THAT(
      Build(s, {.kind = v1::CHALLENGE_KIND_NO_TOKEN}).www_authenticate,
      ElementsAre(R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp")"));
  EXPECT_THAT(BuildChallenge(s, "", {.kind = v1::CHALLENGE_KIND_NO_TOKEN}).www_authenticate, ElementsAre("Bearer"));
  EXPECT_THAT(BuildChallenge(s, "", {.kind = v1::CHALLENGE_KIND_INVALID_TOKEN, .scheme = v1::PRESENTED_SCHEME_BEARER})
                  .www_authenticate,
              ElementsAre(R"(Bearer error="invalid_token")"));
}

TEST(InvalidTokenChallenge, ReportsTheErrorOnTheSchemeUsed) {
  Challenge c = Build(BearerOnly(), {.kind = v1::CHALLENGE_KIND_INVALID_TOKEN,
                                     .scheme = v1::PRESENTED_SCHEME_BEARER,
                                     .error_description = "Jwt is expired"});
  EXPECT_EQ(c.http_status, 401);
  EXPECT_EQ(c.error, "invalid_token");
  EXPECT_THAT(
      c.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="invalid_token", error_description="Jwt is expired")"));
  // No description: no error_description parameter.
  EXPECT_THAT(
      Build(BearerOnly(), {.kind = v1::CHALLENGE_KIND_INVALID_TOKEN, .scheme = v1::PRESENTED_SCHEME_BEARER}).www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="invalid_token")"));

  // Both schemes accepted, the token came as DPoP: the error is on the DPoP challenge.
  Challenge dpop = Build(BearerAndDpop(), {.kind = v1::CHALLENGE_KIND_INVALID_TOKEN,
                                           .scheme = v1::PRESENTED_SCHEME_DPOP,
                                           .error_description = "Invalid DPoP key binding"});
  EXPECT_THAT(
      dpop.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read")",
          R"(DPoP algs="ES256 PS256", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="invalid_token", error_description="Invalid DPoP key binding")"));
  // ... and came as Bearer: on the Bearer challenge.
  Challenge bearer = Build(BearerAndDpop(), {.kind = v1::CHALLENGE_KIND_INVALID_TOKEN, .scheme = v1::PRESENTED_SCHEME_BEARER});
  EXPECT_THAT(
      bearer.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="invalid_token")",
          R"(DPoP algs="ES256 PS256", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read")"));
}

TEST(InvalidTokenChallenge, BearerWhereDpopIsRequiredGetsTheErrorOnTheDpopChallenge) {
  Challenge c = Build(DpopRequired(), {.kind = v1::CHALLENGE_KIND_INVALID_TOKEN,
                                       .scheme = v1::PRESENTED_SCHEME_BEARER,
                                       .error_description = "DPoP is required"});
  EXPECT_EQ(c.http_status, 401);
  EXPECT_THAT(
      c.www_authenticate,
      ElementsAre(
          R"(DPoP algs="ES256 PS256", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="invalid_token", error_description="DPoP is required")"));
}

TEST(InsufficientScopeChallenge, Is403WithEveryScopeTheOperationNeeds) {
  Challenge c =
      Build(BearerOnly(v1::SCOPE_ENFORCEMENT_AUTO), {.kind = v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE,
                                                  .protocol_version = "2025-11-25",
                                                  .scheme = v1::PRESENTED_SCHEME_BEARER,
                                                  .operation_scopes = {"files:delete", "files:read"},
                                                  .error_description = "Tool \"delete_file\" requires files:delete"});
  EXPECT_EQ(c.http_status, 403);
  EXPECT_EQ(c.error, "insufficient_scope");
  EXPECT_THAT(
      c.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:delete", error="insufficient_scope", error_description="Tool \"delete_file\" requires files:delete")"));
}

TEST(InsufficientScopeChallenge, OlderClientsGet401InvalidTokenWithoutScope) {
  for (const char* version : {"2025-06-18", "2025-03-26", ""}) {
    Challenge c = Build(BearerOnly(v1::SCOPE_ENFORCEMENT_AUTO), {.kind = v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE,
                                                              .protocol_version = version,
                                                              .scheme = v1::PRESENTED_SCHEME_BEARER,
                                                              .operation_scopes = {"files:delete"},
                                                              .error_description = "insufficient scope"});
    EXPECT_EQ(c.http_status, 401) << version;
    EXPECT_EQ(c.error, "invalid_token") << version;
    EXPECT_THAT(
        c.www_authenticate,
        ElementsAre(
            R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", error="invalid_token", error_description="insufficient scope")"))
        << version;
  }
}

TEST(InvalidRequestChallenge, Is400WithTheErrorOnEveryChallengeWhenTheSchemeIsUnclear) {
  Challenge c = Build(BearerAndDpop(), {.kind = v1::CHALLENGE_KIND_INVALID_REQUEST,
                                        .error_description = "Both Bearer and DPoP credentials were sent"});
  EXPECT_EQ(c.http_status, 400);
  EXPECT_EQ(c.error, "invalid_request");
  EXPECT_THAT(
      c.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="invalid_request", error_description="Both Bearer and DPoP credentials were sent")",
          R"(DPoP algs="ES256 PS256", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="invalid_request", error_description="Both Bearer and DPoP credentials were sent")"));
}

TEST(DpopChallenges, ProofErrorsAreDpopOnly) {
  Challenge proof = Build(BearerAndDpop(), {.kind = v1::CHALLENGE_KIND_INVALID_DPOP_PROOF,
                                            .scheme = v1::PRESENTED_SCHEME_DPOP,
                                            .error_description = "DPoP proof htu mismatch"});
  EXPECT_EQ(proof.http_status, 401);
  EXPECT_EQ(proof.error, "invalid_dpop_proof");
  EXPECT_THAT(
      proof.www_authenticate,
      ElementsAre(
          R"(DPoP algs="ES256 PS256", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="invalid_dpop_proof", error_description="DPoP proof htu mismatch")"));
  // Even where DPoP is not offered, a proof problem is answered in DPoP terms.
  EXPECT_EQ(Build(BearerOnly(), {.kind = v1::CHALLENGE_KIND_INVALID_DPOP_PROOF,
                                 .scheme = v1::PRESENTED_SCHEME_DPOP,
                                 .error_description = "DPoP proof htu mismatch"}),
            proof);
}

TEST(DpopChallenges, NonceRequestCarriesTheNonceHeader) {
  Challenge c = Build(BearerAndDpop(), {.kind = v1::CHALLENGE_KIND_USE_DPOP_NONCE,
                                        .scheme = v1::PRESENTED_SCHEME_DPOP,
                                        .error_description = "Resource server requires nonce in DPoP proof",
                                        .dpop_nonce = "eyJ7S_zG.eyJH0-Z.HX4w-7v"});
  EXPECT_EQ(c.http_status, 401);
  EXPECT_EQ(c.error, "use_dpop_nonce");
  EXPECT_EQ(c.dpop_nonce, "eyJ7S_zG.eyJH0-Z.HX4w-7v");
  EXPECT_THAT(
      c.www_authenticate,
      ElementsAre(
          R"(DPoP algs="ES256 PS256", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof")"));
}

TEST(ChallengeEscaping, NonceKeepsOnlyNonceCharacters) {
  Challenge c = Build(BearerAndDpop(), {.kind = v1::CHALLENGE_KIND_USE_DPOP_NONCE,
                                        .scheme = v1::PRESENTED_SCHEME_DPOP,
                                        .dpop_nonce = "abc\r\nSet-Cookie: \"x\"\\1"});
  EXPECT_EQ(c.dpop_nonce, "abcSet-Cookie:x1");
}

TEST(ChallengeEscaping, QuotesAndBackslashesAreEscapedAndControlsRemoved) {
  EXPECT_EQ(QuotedString(R"(say "hi" \ now)"), R"("say \"hi\" \\ now")");
  EXPECT_EQ(QuotedString("line\r\nbreak\ttab\x01\x7f end"), R"("linebreaktab end")");
  EXPECT_EQ(QuotedString("caf\xc3\xa9"), R"("caf")");  // non-ASCII is outside RFC 6750's set
  EXPECT_EQ(QuotedString(""), R"("")");
  Challenge c = Build(BearerOnly(), {.kind = v1::CHALLENGE_KIND_INVALID_TOKEN,
                                     .scheme = v1::PRESENTED_SCHEME_BEARER,
                                     .error_description = "bad \"kid\"\r\nSet-Cookie: x=1"});
  EXPECT_THAT(
      c.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read", error="invalid_token", error_description="bad \"kid\"Set-Cookie: x=1")"));
  // Scopes from the caller are quoted the same way.
  Challenge s = Build(BearerOnly(), {.kind = v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE,
                                     .scheme = v1::PRESENTED_SCHEME_BEARER,
                                     .operation_scopes = {"a\"b", "c\nd"}});
  EXPECT_THAT(
      s.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read a\"b cd", error="insufficient_scope")"));
}

TEST(ScopeEnforcement, AutoFollowsTheProtocolVersion) {
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, ""));
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "2024-11-05"));
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "2025-03-26"));
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "2025-06-18"));
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "2025-11-24"));
  EXPECT_TRUE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "2025-11-25"));
  EXPECT_TRUE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "2025-12-01"));
  EXPECT_TRUE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "2026-06-30"));
  // Not a dated version: read as absent, whatever it sorts like.
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "draft"));
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "9999"));
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "2026-01-01x"));
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, "2026-1-01"));
  EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_AUTO, " 2026-01-01"));

  for (const char* version : {"", "2025-06-18", "2025-11-25", "junk"}) {
    EXPECT_TRUE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_ALWAYS, version)) << version;
    EXPECT_FALSE(ScopeChallengesEnabled(v1::SCOPE_ENFORCEMENT_NEVER, version)) << version;
  }
}

TEST(ScopeEnforcement, DecidesScopeParametersAndStepUp) {
  const ChallengeRequest no_token{.kind = v1::CHALLENGE_KIND_NO_TOKEN, .protocol_version = "2025-11-25"};
  const ChallengeRequest insufficient{.kind = v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE,
                                      .protocol_version = "2025-11-25",
                                      .scheme = v1::PRESENTED_SCHEME_BEARER,
                                      .operation_scopes = {"files:delete"}};
  // never: even a 2025-11-25 client gets no scope and no 403.
  EXPECT_THAT(
      Build(BearerOnly(v1::SCOPE_ENFORCEMENT_NEVER), no_token).www_authenticate,
      ElementsAre(R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp")"));
  Challenge never = Build(BearerOnly(v1::SCOPE_ENFORCEMENT_NEVER), insufficient);
  EXPECT_EQ(never.http_status, 401);
  EXPECT_THAT(
      never.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", error="invalid_token")"));
  // always: even a client without the header gets both.
  ChallengeRequest old = insufficient;
  old.protocol_version = "";
  Challenge always = Build(BearerOnly(v1::SCOPE_ENFORCEMENT_ALWAYS), old);
  EXPECT_EQ(always.http_status, 403);
  EXPECT_THAT(
      always.www_authenticate,
      ElementsAre(
          R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:delete", error="insufficient_scope")"));
  // auto: by version.
  EXPECT_EQ(Build(BearerOnly(v1::SCOPE_ENFORCEMENT_AUTO), insufficient).http_status, 403);
  EXPECT_EQ(Build(BearerOnly(v1::SCOPE_ENFORCEMENT_AUTO), old).http_status, 401);
  EXPECT_THAT(
      Build(BearerOnly(v1::SCOPE_ENFORCEMENT_AUTO), {.kind = v1::CHALLENGE_KIND_NO_TOKEN}).www_authenticate,
      ElementsAre(R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp")"));
  EXPECT_EQ(Build(BearerOnly(v1::SCOPE_ENFORCEMENT_AUTO), no_token),
            Build(BearerOnly(v1::SCOPE_ENFORCEMENT_ALWAYS), no_token));
}

TEST(ChallengeKind, NamesAreMetricLabels) {
  EXPECT_EQ(EnumLabel(v1::CHALLENGE_KIND_NO_TOKEN), "no_token");
  EXPECT_EQ(EnumLabel(v1::CHALLENGE_KIND_INVALID_TOKEN), "invalid_token");
  EXPECT_EQ(EnumLabel(v1::CHALLENGE_KIND_INSUFFICIENT_SCOPE), "insufficient_scope");
  EXPECT_EQ(EnumLabel(v1::CHALLENGE_KIND_INVALID_REQUEST), "invalid_request");
  EXPECT_EQ(EnumLabel(v1::CHALLENGE_KIND_INVALID_DPOP_PROOF), "invalid_dpop_proof");
  EXPECT_EQ(EnumLabel(v1::CHALLENGE_KIND_USE_DPOP_NONCE), "use_dpop_nonce");
}

}  // namespace
}  // namespace mcpauth::metadata
