// The JWS examples published in the RFCs, verified with their own keys, plus the
// RFC 7638 / RFC 8037 thumbprints. The strings are the RFC figures, split where the
// RFC breaks its lines. Each valid signature is then attacked: every single bit
// flipped must fail verification, and a signature one byte short is malformed.
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/alg.h"
#include "services/token_validation/jwk.h"
#include "services/token_validation/jws.h"
#include "services/token_validation/reason.h"
#include "services/token_validation/signature.h"

namespace mcpauth::tv {
namespace {

// ---------------------------------------------------------------------------------
// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256) share one payload:
//   {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
constexpr std::string_view kRfc7515Payload =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

// RFC 7515 A.2.1. Header {"alg":"RS256"}.
constexpr std::string_view kRfc7515A2Token =
    "eyJhbGciOiJSUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
    "p0igcN_IoypGlUPQGe77Rw";
// RFC 7515 A.2.1, the RSA key's public members.
constexpr std::string_view kRfc7515A2Key = R"({"kty":"RSA",)"
                                           R"("n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx)"
                                           R"(HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_Y)"
                                           R"(pRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rex)"
                                           R"(MdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo)"
                                           R"(5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs)"
                                           R"(91kzk2PAcDTW9gb54h4FRWyuXpoQ",)"
                                           R"("e":"AQAB"})";

// RFC 7515 A.3.1. Header {"alg":"ES256"}.
constexpr std::string_view kRfc7515A3Token =
    "eyJhbGciOiJFUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
    "pmWQxfKTUJqPP3-Kg6NU1Q";
// RFC 7515 A.3.1, the EC key's public members.
constexpr std::string_view kRfc7515A3Key = R"({"kty":"EC","crv":"P-256",)"
                                           R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                                           R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

// ---------------------------------------------------------------------------------
// RFC 8037 A.1/A.2: the Ed25519 key (private d and public x).
constexpr std::string_view kRfc8037PrivateKey = R"({"kty":"OKP","crv":"Ed25519",)"
                                                R"("d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
                                                R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr std::string_view kRfc8037PublicKey = R"({"kty":"OKP","crv":"Ed25519",)"
                                               R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
// RFC 8037 A.3: its thumbprint.
constexpr std::string_view kRfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
// RFC 8037 A.4. Header {"alg":"EdDSA"}, payload "Example of Ed25519 signing".
constexpr std::string_view kRfc8037A4Token =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6"
    "dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

// ---------------------------------------------------------------------------------
// RFC 7638 §3.1: the example key (with alg and kid, which a thumbprint ignores) and
// its thumbprint.
constexpr std::string_view kRfc7638Key = R"({"kty":"RSA",)"
                                         R"("n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAt)"
                                         R"(VT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6)"
                                         R"(4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2)"
                                         R"(QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbI)"
                                         R"(SD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqb)"
                                         R"(w0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",)"
                                         R"("e":"AQAB","alg":"RS256","kid":"2011-04-29"})";
constexpr std::string_view kRfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

// ---------------------------------------------------------------------------------
// RFC 7520 §4 payload (figure 7), with U+2019 as \xe2\x80\x99:
//   It’s a dangerous business, Frodo, going out your door. You step onto the road,
//   and if you don't keep your feet, there’s no knowing where you might be swept off to.
constexpr std::string_view kRfc7520Payload =
    "It\xe2\x80\x99s a dangerous business, Frodo, going out your "
    "door. You step onto the road, and if you don't keep your feet, "
    "there\xe2\x80\x99s no knowing where you might be swept off "
    "to.";
#define MCPAUTH_RFC7520_PAYLOAD_B64                                \
  "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH" \
  "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk" \
  "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm" \
  "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4"

// RFC 7520 figure 3: RSA 2048-bit public key.
#define MCPAUTH_RFC7520_RSA_N                                \
  "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT"   \
  "-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqV" \
  "wGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-" \
  "oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde" \
  "3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuC" \
  "LqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5g" \
  "HdrNP5zw"
constexpr std::string_view kRfc7520RsaPublicKey = R"({"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig",)"
                                                  R"("n":")" MCPAUTH_RFC7520_RSA_N R"(","e":"AQAB"})";
// RFC 7520 figure 4: the matching private key.
constexpr std::string_view kRfc7520RsaPrivateKey = R"({"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig",)"
                                                   R"("n":")" MCPAUTH_RFC7520_RSA_N R"(","e":"AQAB",)"
                                                   R"("d":"bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78e)"
                                                   R"(iZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRld)"
                                                   R"(Y7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-b)"
                                                   R"(MwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU)"
                                                   R"(6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDj)"
                                                   R"(d18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOc)"
                                                   R"(OpBrQzwQ",)"
                                                   R"("p":"3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nR)"
                                                   R"(aO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmG)"
                                                   R"(peNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8)"
                                                   R"(bUq0k",)"
                                                   R"("q":"uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT)"
                                                   R"(8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7an)"
                                                   R"(V5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0)"
                                                   R"(s7pFc",)"
                                                   R"("dp":"B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q)"
                                                   R"(1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn)"
                                                   R"(-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX)"
                                                   R"(59ehik",)"
                                                   R"("dq":"CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pEr)"
                                                   R"(AMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJK)"
                                                   R"(bi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdK)"
                                                   R"(T1cYF8",)"
                                                   R"("qi":"3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-N)"
                                                   R"(ZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDh)"
                                                   R"(jJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpP)"
                                                   R"(z8aaI4"})";
// RFC 7520 figure 1: EC P-521 public key (figure 2 without d).
constexpr std::string_view kRfc7520EcPublicKey =
    R"({"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521",)"
    R"("x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9)"
    R"(A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt",)"
    R"("y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVy)"
    R"(SsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"})";

// RFC 7520 §4.1, figure 13. Header {"alg":"RS256","kid":"bilbo.baggins@hobbiton.example"}.
constexpr std::string_view kRfc7520Figure13 =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX"
    "hhbXBsZSJ9"
    "." MCPAUTH_RFC7520_PAYLOAD_B64
    "."
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmK"
    "ZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J"
    "IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w"
    "W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP"
    "xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_f"
    "cIe8u9ipH84ogoree7vjbU5y18kDquDg";
// RFC 7520 §4.2, figure 20. Header {"alg":"PS384","kid":"bilbo.baggins@hobbiton.example"}.
constexpr std::string_view kRfc7520Figure20 =
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX"
    "hhbXBsZSJ9"
    "." MCPAUTH_RFC7520_PAYLOAD_B64
    "."
    "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2I"
    "pN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXU"
    "vdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRX"
    "e8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT"
    "0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a"
    "6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw";
// RFC 7520 §4.3, figure 27. Header {"alg":"ES512","kid":"bilbo.baggins@hobbiton.example"}.
constexpr std::string_view kRfc7520Figure27 =
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX"
    "hhbXBsZSJ9"
    "." MCPAUTH_RFC7520_PAYLOAD_B64
    "."
    "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvb"
    "u9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kv"
    "AD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";

// ---------------------------------------------------------------------------------

struct RfcVector {
  const char* name;
  std::string_view token;
  std::string_view key;      // public JWK
  std::string_view alg;      // header alg
  std::string_view kid;      // header kid, "" when none
  std::string_view payload;  // decoded payload
};

std::ostream& operator<<(std::ostream& os, const RfcVector& v) { return os << v.name; }

const RfcVector kVectors[] = {
    {"Rfc7515A2_RS256", kRfc7515A2Token, kRfc7515A2Key, "RS256", "", kRfc7515Payload},
    {"Rfc7515A3_ES256", kRfc7515A3Token, kRfc7515A3Key, "ES256", "", kRfc7515Payload},
    {"Rfc8037A4_EdDSA", kRfc8037A4Token, kRfc8037PublicKey, "EdDSA", "", "Example of Ed25519 signing"},
    {"Rfc7520Section4_1_RS256", kRfc7520Figure13, kRfc7520RsaPublicKey, "RS256", "bilbo.baggins@hobbiton.example",
     kRfc7520Payload},
    {"Rfc7520Section4_2_PS384", kRfc7520Figure20, kRfc7520RsaPublicKey, "PS384", "bilbo.baggins@hobbiton.example",
     kRfc7520Payload},
    {"Rfc7520Section4_3_ES512", kRfc7520Figure27, kRfc7520EcPublicKey, "ES512", "bilbo.baggins@hobbiton.example",
     kRfc7520Payload},
};

boost::json::object JsonObject(std::string_view text) {
  boost::json::value v;
  EXPECT_EQ(ParseStrictJson(text, v), JsonParseError::kNone) << text;
  return v.is_object() ? v.get_object() : boost::json::object();
}

std::optional<Jwk> ParseKey(std::string_view text, JwkPrivacy privacy = JwkPrivacy::kPublicOnly) {
  auto key = Jwk::Parse(JsonObject(text), privacy);
  EXPECT_TRUE(key.ok()) << key.status().message();
  if (!key.ok()) return std::nullopt;
  return std::move(*key);
}

class RfcVectorTest : public ::testing::TestWithParam<RfcVector> {
 protected:
  void SetUp() override {
    const RfcVector& v = GetParam();
    ASSERT_EQ(ParseCompactJws(v.token, parsed_), v1::REASON_OK);
    auto key = Jwk::Parse(JsonObject(v.key), JwkPrivacy::kPublicOnly);
    ASSERT_TRUE(key.ok()) << key.status().message();
    key_ = std::make_unique<Jwk>(std::move(*key));
  }
  ParsedJws parsed_;
  std::unique_ptr<Jwk> key_;
};

TEST_P(RfcVectorTest, ParsesAndVerifies) {
  const RfcVector& v = GetParam();
  ASSERT_NE(parsed_.alg, nullptr);
  EXPECT_EQ(parsed_.alg->name, v.alg);
  EXPECT_EQ(parsed_.kid.value_or(""), v.kid);
  EXPECT_EQ(parsed_.payload, v.payload);
  EXPECT_EQ(VerifySignature(*parsed_.alg, *key_, parsed_.signing_input, parsed_.signature), v1::REASON_OK);
}

TEST_P(RfcVectorTest, EverySingleBitFlipOfTheSignatureIsRejected) {
  const std::string& good = parsed_.signature;
  ASSERT_EQ(VerifySignature(*parsed_.alg, *key_, parsed_.signing_input, good), v1::REASON_OK);
  int flips = 0;
  for (size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      const Reason r = VerifySignature(*parsed_.alg, *key_, parsed_.signing_input, bad);
      EXPECT_EQ(r, v1::REASON_SIGNATURE_INVALID) << "byte " << byte << " bit " << bit << ": " << ReasonLabel(r);
      ++flips;
    }
  }
  EXPECT_EQ(flips, static_cast<int>(good.size() * 8));
}

TEST_P(RfcVectorTest, ASignatureOfTheWrongLengthIsMalformed) {
  const std::string& good = parsed_.signature;
  EXPECT_EQ(VerifySignature(*parsed_.alg, *key_, parsed_.signing_input, good.substr(0, good.size() - 1)),
            v1::REASON_SIGNATURE_MALFORMED);
  EXPECT_EQ(VerifySignature(*parsed_.alg, *key_, parsed_.signing_input, good + '\0'), v1::REASON_SIGNATURE_MALFORMED);
  EXPECT_EQ(VerifySignature(*parsed_.alg, *key_, parsed_.signing_input, ""), v1::REASON_SIGNATURE_MALFORMED);
}

TEST_P(RfcVectorTest, AnotherSigningInputIsRejected) {
  std::string input(parsed_.signing_input);
  input.back() = static_cast<char>(input.back() ^ 1);
  EXPECT_EQ(VerifySignature(*parsed_.alg, *key_, input, parsed_.signature), v1::REASON_SIGNATURE_INVALID);
}

INSTANTIATE_TEST_SUITE_P(Rfc, RfcVectorTest, ::testing::ValuesIn(kVectors),
                         [](const ::testing::TestParamInfo<RfcVector>& info) { return std::string(info.param.name); });

TEST(RfcThumbprintTest, Rfc7638Section3_1) {
  auto key = ParseKey(kRfc7638Key);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->Thumbprint(), kRfc7638Thumbprint);
}

TEST(RfcThumbprintTest, Rfc8037AppendixA3) {
  auto key = ParseKey(kRfc8037PublicKey);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->Thumbprint(), kRfc8037Thumbprint);
  // The private key's thumbprint is its public half's.
  auto private_key = ParseKey(kRfc8037PrivateKey, JwkPrivacy::kAllowPrivate);
  ASSERT_TRUE(private_key.has_value());
  EXPECT_EQ(private_key->Thumbprint(), kRfc8037Thumbprint);
}

// Ed25519 and RSASSA-PKCS1-v1_5 are deterministic: signing the RFC's input with the
// RFC's private key must reproduce the RFC's signature byte for byte.
TEST(RfcSigningTest, Rfc8037A4SignatureIsReproduced) {
  auto key = ParseKey(kRfc8037PrivateKey, JwkPrivacy::kAllowPrivate);
  ASSERT_TRUE(key.has_value());
  ParsedJws parsed;
  ASSERT_EQ(ParseCompactJws(kRfc8037A4Token, parsed), v1::REASON_OK);
  auto sig = Sign(*parsed.alg, *key, parsed.signing_input);
  ASSERT_TRUE(sig.ok()) << sig.status().message();
  EXPECT_EQ(Base64UrlEncode(*sig), Base64UrlEncode(parsed.signature));
}

TEST(RfcSigningTest, Rfc7520Figure4KeyReproducesFigure13) {
  auto key = ParseKey(kRfc7520RsaPrivateKey, JwkPrivacy::kAllowPrivate);
  ASSERT_TRUE(key.has_value());
  ParsedJws parsed;
  ASSERT_EQ(ParseCompactJws(kRfc7520Figure13, parsed), v1::REASON_OK);
  auto sig = Sign(*parsed.alg, *key, parsed.signing_input);
  ASSERT_TRUE(sig.ok()) << sig.status().message();
  EXPECT_EQ(Base64UrlEncode(*sig), Base64UrlEncode(parsed.signature));
}

// The RFC 7520 keys carry no "alg", so one RSA key verifies both §4.1 (RS256) and §4.2
// (PS384); with "alg" pinned to one of them, the other is never tried.
TEST(RfcKeyAlgTest, AKeyPinnedToOneAlgorithmIsNotTriedWithAnother) {
  boost::json::object pinned = JsonObject(kRfc7520RsaPublicKey);
  pinned["alg"] = "RS256";
  auto key = Jwk::Parse(pinned, JwkPrivacy::kPublicOnly);
  ASSERT_TRUE(key.ok()) << key.status().message();
  ParsedJws rs256, ps384;
  ASSERT_EQ(ParseCompactJws(kRfc7520Figure13, rs256), v1::REASON_OK);
  ASSERT_EQ(ParseCompactJws(kRfc7520Figure20, ps384), v1::REASON_OK);
  EXPECT_EQ(VerifySignature(*rs256.alg, *key, rs256.signing_input, rs256.signature), v1::REASON_OK);
  EXPECT_EQ(VerifySignature(*ps384.alg, *key, ps384.signing_input, ps384.signature), v1::REASON_KEY_ALG_MISMATCH);
}

}  // namespace
}  // namespace mcpauth::tv

#undef MCPAUTH_RFC7520_PAYLOAD_B64
#undef MCPAUTH_RFC7520_RSA_N
