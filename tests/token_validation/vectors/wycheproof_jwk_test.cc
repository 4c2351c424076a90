// Wycheproof's json_web_key_test.json: a key set, a JWS, and whether a verifier should
// accept the JWS with that set. Each group's set is handed to ParseJwks as published —
// its `public` set, or its `private` set as it stands (a set with private, mixed or
// duplicate-kid keys is one a verifier must not use; turning it public first would
// hide exactly what the case tests). The key is picked by the header's kid with
// KeySet::WithKid, then VerifySignature.
//
// Every one of the 26 cases has its expected path written out below: what
// ParseCompactJws says, how many keys survive under the kid (and why one was
// skipped), and what the signature check says.
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/jwks.h"
#include "services/token_validation/jws.h"
#include "services/token_validation/reason.h"
#include "services/token_validation/signature.h"
#include "tests/token_validation/vectors/wycheproof_support.h"

namespace mcpauth::tv::vectors {
namespace {

constexpr char kFile[] = "json_web_key_test.json";

enum class Disposition {
  kVerified,      // valid, and we accept it
  kRejected,      // invalid, and some stage refuses it
  kHmacByDesign,  // valid HMAC case: refused by design (no shared secrets; RFC 8725 §2.1)
  kKnownGap,      // invalid, yet we accept it: a documented gap, pinned so a fix is noticed
};

struct JwkCase {
  int64_t tc_id;
  Reason jws;                // ParseCompactJws
  size_t keys_for_kid;       // keys the parsed set holds under the header's kid
  std::string_view skipped;  // part of the set's skip line for that kid; "" = none skipped
  Reason signature;          // VerifySignature; REASON_UNSPECIFIED when not reached
  Disposition disposition;
  std::string_view why;
};

constexpr Reason kOk = v1::REASON_OK;
constexpr Reason kAlgUnsupported = v1::REASON_ALG_UNSUPPORTED;
constexpr Reason kNotReached = v1::REASON_UNSPECIFIED;
constexpr std::string_view kHsAlg = "symmetric keys (\"oct\") are never used";

const JwkCase kCases[] = {
    {1, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kRejected,
     "mixed set: the oct key is skipped, the EC key is kept; an HS256 token is refused outright"},
    {2, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kHmacByDesign,
     "HS256 with an oct key: refused by design"},
    {3, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kRejected, "HS256 with a modified MAC"},
    {4, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kRejected,
     "two oct keys share a kid: both skipped (and HS256 is refused anyway)"},
    {5, kOk, 1, "", kOk, Disposition::kVerified, "RS256 with its public key"},
    {6, kOk, 0, "jwk use: \"enc\" is not \"sig\"", kNotReached, Disposition::kRejected,
     "the only key under the kid is an encryption key (use enc, alg RSA1_5): skipped"},
    {7, kOk, 0, "the modulus has the ROCA fingerprint", kNotReached, Disposition::kRejected,
     "the 2049-bit modulus has the ROCA fingerprint (CVE-2017-15361): skipped"},
    {8, kOk, 0, "1024-bit RSA keys are too weak", kNotReached, Disposition::kRejected,
     "1024-bit RSA key: skipped (RSA >= 2048 bits)"},
    {9, kOk, 0, "must be an odd exponent greater than 1", kNotReached, Disposition::kRejected,
     "e = 1: skipped (odd e > 1)"},
    {10, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kRejected, "HS256 with a too-short key"},
    {11, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kRejected, "HS384 with a too-short key"},
    {12, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kRejected, "HS512 with a too-short key"},
    {13, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kHmacByDesign, "HS256, long key: by design"},
    {14, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kHmacByDesign, "HS384, long key: by design"},
    {15, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kHmacByDesign, "HS512, long key: by design"},
    {16, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kRejected, "HS256 with an empty key"},
    {17, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kRejected, "HS384 with an empty key"},
    {18, kAlgUnsupported, 0, kHsAlg, kNotReached, Disposition::kRejected, "HS512 with an empty key"},
    {19, kOk, 0, "jwk alg: \"ES521\" is not a supported signature algorithm", kNotReached, Disposition::kRejected,
     "P-256 key labelled ES521: skipped"},
    {20, kOk, 0, "jwk alg: \"ES224\" is not a supported signature algorithm", kNotReached, Disposition::kRejected,
     "P-256 key labelled ES224: skipped"},
    {21, kOk, 0, "jwk use: \"enc\" is not \"sig\"", kNotReached, Disposition::kRejected,
     "EC key for encryption: skipped"},
    {22, kOk, 0, "is not a point on the curve P-256", kNotReached, Disposition::kRejected,
     "EC point not on the curve: skipped"},
    {23, kOk, 0, "jwk x: must be 48 bytes for P-384", kNotReached, Disposition::kRejected,
     "P-256 coordinates under crv P-384: skipped"},
    {24, kOk, 0, "jwk n: missing", kNotReached, Disposition::kRejected, "EC members under kty RSA: skipped"},
    {25, kAlgUnsupported, 0, kHsAlg, kNotReached,
     Disposition::kRejected, "AES-GCM key used for HS256: skipped, and HS256 is refused"},
    {26, kAlgUnsupported, 0, kHsAlg, kNotReached,
     Disposition::kRejected, "AES key-wrap key used for HS256: skipped, and HS256 is refused"},
};

std::string_view DispositionName(Disposition d) {
  switch (d) {
    case Disposition::kVerified:
      return "verified";
    case Disposition::kRejected:
      return "rejected";
    case Disposition::kHmacByDesign:
      return "valid but refused: HMAC not supported by design";
    case Disposition::kKnownGap:
      return "KNOWN GAP (accepted)";
  }
  return "?";
}

TEST(WycheproofJwkTest, EveryKeySetCaseFollowsItsExpectedPath) {
  if (!WycheproofAvailable()) GTEST_SKIP() << WycheproofSkipMessage();
  auto doc = LoadWycheproofFile(kFile);
  ASSERT_TRUE(doc.has_value());

  std::map<int64_t, const JwkCase*> expected;
  for (const JwkCase& c : kCases) expected[c.tc_id] = &c;
  std::map<Disposition, int> counts;
  int run = 0;

  for (const auto& group_value : doc->at("testGroups").as_array()) {
    const boost::json::object& group = group_value.as_object();
    SCOPED_TRACE(StrCat(kFile, " group \"", StringOr(group, "comment"), "\""));
    const auto* pub = FindMember(group, "public");
    const auto* set_json = (pub != nullptr && pub->is_object()) ? pub : FindMember(group, "private");
    ASSERT_TRUE(set_json != nullptr && set_json->is_object()) << "group without a key set";
    auto set = ParseJwks(ToJson(*set_json));
    ASSERT_TRUE(set.ok()) << "a well-formed key set was refused whole: " << set.status().message();

    for (const auto& test_value : group.at("tests").as_array()) {
      const boost::json::object& test = test_value.as_object();
      SCOPED_TRACE(DescribeCase(test));
      const int64_t tc_id = test.at("tcId").as_int64();
      auto it = expected.find(tc_id);
      ASSERT_NE(it, expected.end()) << "a case this test has no expectation for";
      const JwkCase& want = *it->second;
      expected.erase(it);
      ++run;
      SCOPED_TRACE(StrCat("expected: ", DispositionName(want.disposition), " — ", want.why));

      // The table agrees with Wycheproof's label, except where it says why not.
      const std::string label = StringOr(test, "result");
      if (want.disposition == Disposition::kVerified || want.disposition == Disposition::kHmacByDesign) {
        EXPECT_EQ(label, "valid");
      } else {
        EXPECT_EQ(label, "invalid");
      }

      const std::string token = StringOr(test, "jws");  // outlives `parsed`, which points into it
      ParsedJws parsed;
      const Reason jws = ParseCompactJws(token, parsed);
      EXPECT_EQ(jws, want.jws) << "ParseCompactJws said " << ReasonLabel(jws);
      // The header is read before alg is judged, so the kid is known even for HS256.
      const std::string kid = StringOr(parsed.header, "kid");
      ASSERT_FALSE(kid.empty()) << "every case names a kid";
      const std::vector<const Jwk*> keys = set->WithKid(kid);
      EXPECT_EQ(keys.size(), want.keys_for_kid);

      std::string skip_line;
      for (const std::string& line : set->skipped) {
        if (line.find(StrCat("(kid \"", kid, "\")")) != std::string::npos) skip_line = line;
      }
      if (want.skipped.empty()) {
        EXPECT_EQ(skip_line, "") << "a key under this kid was skipped";
      } else {
        EXPECT_NE(skip_line.find(want.skipped), std::string::npos)
            << "skip line \"" << skip_line << "\" does not say \"" << want.skipped << "\"";
      }

      Reason signature = kNotReached;
      if (jws == v1::REASON_OK && keys.size() == 1) {
        signature = VerifySignature(*parsed.alg, *keys.front(), parsed.signing_input, parsed.signature);
      }
      EXPECT_EQ(signature, want.signature) << "VerifySignature said " << ReasonLabel(signature);

      const bool accepted = signature == v1::REASON_OK;
      switch (want.disposition) {
        case Disposition::kVerified:
          EXPECT_TRUE(accepted);
          break;
        case Disposition::kRejected:
          EXPECT_FALSE(accepted) << "an invalid case was accepted";
          break;
        case Disposition::kHmacByDesign:
          EXPECT_FALSE(accepted);
          EXPECT_EQ(jws, v1::REASON_ALG_UNSUPPORTED);
          break;
        case Disposition::kKnownGap:
          EXPECT_TRUE(accepted) << "this known gap is closed now: make tcId " << tc_id
                                << " a Disposition::kRejected case with the stage that refuses it";
          break;
      }
      ++counts[want.disposition];
      std::cout << "[wycheproof]   tcId " << tc_id << " (" << label << ", " << StringOr(test, "comment")
                << "): " << DispositionName(want.disposition) << " — jws " << ReasonLabel(jws) << ", " << keys.size()
                << " key(s) under kid \"" << kid << "\""
                << (skip_line.empty() ? "" : StrCat(" [skipped: ", skip_line, "]")) << ", signature "
                << (signature == kNotReached ? "not reached" : ReasonLabel(signature)) << " — " << want.why << "\n";
    }
  }
  for (const auto& [tc_id, c] : expected) ADD_FAILURE() << "tcId " << tc_id << " is expected but not in the file";
  if (const auto* n = FindMember(*doc, "numberOfTests"); n != nullptr && n->is_int64()) {
    EXPECT_EQ(run, n->get_int64());
  }
  std::cout << "[wycheproof] " << kFile << ": " << run << " tests run; valid accepted "
            << counts[Disposition::kVerified] << "; valid but refused: HMAC not supported by design "
            << counts[Disposition::kHmacByDesign] << "; invalid rejected " << counts[Disposition::kRejected]
            << "; known gaps (invalid, accepted) " << counts[Disposition::kKnownGap] << "\n";
}

}  // namespace
}  // namespace mcpauth::tv::vectors
