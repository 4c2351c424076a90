// VerifySignature against Wycheproof's signature vectors, one test per file.
//
// Every group's public key goes through Jwk::Parse, as a key from a JWKS would. A
// "valid" case must verify, an "invalid" one must not, an "acceptable" one may do
// either. When Jwk::Parse refuses a group's key, an independent reading of our key
// policy (RSA >= 2048 bits, odd e > 1; EC points on the curve with full-size
// coordinates; Ed25519 keys of 32 bytes) must agree that it should be refused, and the
// group's valid cases are counted and printed as "refused by key policy", never dropped.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <cctype>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/alg.h"
#include "services/token_validation/jwk.h"
#include "services/token_validation/reason.h"
#include "services/token_validation/signature.h"
#include "tests/token_validation/vectors/wycheproof_support.h"

namespace mcpauth::tv::vectors {
namespace {

struct SignatureFile {
  const char* file;
  const char* alg;  // the JWS algorithm these vectors exercise
};

std::ostream& operator<<(std::ostream& os, const SignatureFile& f) { return os << f.file << " as " << f.alg; }

const SignatureFile kSignatureFiles[] = {
    {"ecdsa_secp256r1_sha256_p1363_test.json", "ES256"}, {"ecdsa_secp384r1_sha384_p1363_test.json", "ES384"},
    {"ecdsa_secp521r1_sha512_p1363_test.json", "ES512"}, {"rsa_signature_2048_sha256_test.json", "RS256"},
    {"rsa_signature_2048_sha384_test.json", "RS384"},    {"rsa_signature_2048_sha512_test.json", "RS512"},
    {"rsa_signature_3072_sha256_test.json", "RS256"},    {"rsa_signature_4096_sha256_test.json", "RS256"},
    {"rsa_pss_2048_sha256_mgf1_32_test.json", "PS256"},  {"rsa_pss_2048_sha384_mgf1_48_test.json", "PS384"},
    {"rsa_pss_4096_sha512_mgf1_64_test.json", "PS512"},  {"ed25519_test.json", "EdDSA"},
};

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

BnPtr BnFromBytes(const std::string& bytes) {
  return BnPtr(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
}

// A Wycheproof coordinate (big-endian hex, possibly with a sign byte 00 in front or
// shorter than the field) as the fixed-size base64url a JWK carries (RFC 7518 §6.2.1.2).
std::optional<std::string> CoordinateToJwk(std::string_view hex, size_t size) {
  auto bytes = HexDecode(hex);
  if (!bytes) return std::nullopt;
  while (bytes->size() > size && bytes->front() == '\0') bytes->erase(0, 1);
  if (bytes->size() > size) return std::nullopt;
  bytes->insert(0, size - bytes->size(), '\0');
  return Base64UrlEncode(*bytes);
}

size_t CurveBytes(std::string_view crv) {
  if (crv == "P-256") return 32;
  if (crv == "P-384") return 48;
  if (crv == "P-521") return 66;
  return 0;
}

// Builds the JWK of an ECDSA group from publicKey.wx/wy.
std::optional<boost::json::object> EcJwkFromCoordinates(const boost::json::object& group, std::string_view crv) {
  const auto* pk = FindMember(group, "publicKey");
  if (pk == nullptr || !pk->is_object()) return std::nullopt;
  const size_t size = CurveBytes(crv);
  auto x = CoordinateToJwk(StringOr(pk->get_object(), "wx"), size);
  auto y = CoordinateToJwk(StringOr(pk->get_object(), "wy"), size);
  if (!x || !y) return std::nullopt;
  boost::json::object jwk;
  jwk["kty"] = "EC";
  jwk["crv"] = crv;
  jwk["x"] = *x;
  jwk["y"] = *y;
  return jwk;
}

// Our key policy, read independently of Jwk::Parse: the reason a key must be refused,
// or nullopt when it must be accepted.
std::optional<std::string> PolicyRefusal(const boost::json::object& jwk) {
  const std::string kty = StringOr(jwk, "kty");
  if (kty == "RSA") {
    auto n = Base64UrlDecode(StringOr(jwk, "n"));
    auto e = Base64UrlDecode(StringOr(jwk, "e"));
    if (!n || !e || n->empty() || e->empty()) return "RSA n or e is not base64url";
    BnPtr bn_n = BnFromBytes(*n), bn_e = BnFromBytes(*e);
    const int bits = BN_num_bits(bn_n.get());
    if (bits < 2048) return StrCat("RSA modulus of ", bits, " bits is under 2048");
    if (bits > 16384) return StrCat("RSA modulus of ", bits, " bits is over 16384");
    if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) return "RSA exponent is not odd and greater than 1";
    return std::nullopt;
  }
  if (kty == "EC") {
    const std::string crv = StringOr(jwk, "crv");
    const size_t size = CurveBytes(crv);
    if (size == 0) return StrCat("curve \"", crv, "\" is not P-256, P-384 or P-521");
    auto x = Base64UrlDecode(StringOr(jwk, "x"));
    auto y = Base64UrlDecode(StringOr(jwk, "y"));
    if (!x || !y) return "EC coordinates are not base64url";
    if (x->size() != size || y->size() != size) return "EC coordinates are not full-size";
    const int nid = crv == "P-256" ? NID_X9_62_prime256v1 : crv == "P-384" ? NID_secp384r1 : NID_secp521r1;
    std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> ec_group(EC_GROUP_new_by_curve_name(nid), EC_GROUP_free);
    std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)> point(EC_POINT_new(ec_group.get()), EC_POINT_free);
    const std::string encoded = StrCat(std::string(1, '\x04'), *x, *y);
    if (EC_POINT_oct2point(ec_group.get(), point.get(), reinterpret_cast<const unsigned char*>(encoded.data()),
                           encoded.size(), nullptr) != 1 ||
        EC_POINT_is_on_curve(ec_group.get(), point.get(), nullptr) != 1) {
      return "EC point is not on the curve";
    }
    return std::nullopt;
  }
  if (kty == "OKP") {
    if (StringOr(jwk, "crv") != "Ed25519") return "OKP curve is not Ed25519";
    auto x = Base64UrlDecode(StringOr(jwk, "x"));
    if (!x || x->size() != 32) return "Ed25519 key is not 32 bytes";
    return std::nullopt;
  }
  return StrCat("kty \"", kty, "\" is not RSA, EC or OKP");
}

struct Tally {
  int run = 0;
  int valid = 0, valid_accepted = 0, valid_refused_by_policy = 0;
  int invalid = 0, invalid_rejected = 0;
  int acceptable = 0, acceptable_accepted = 0;
  int groups = 0, groups_refused_by_policy = 0, groups_built_from_coordinates = 0;
  std::map<std::string, int> invalid_reasons;  // how the invalid cases were turned away
  std::vector<std::string> policy_refusals;    // one line per refused group
};

class WycheproofSignatureTest : public ::testing::TestWithParam<SignatureFile> {};

TEST_P(WycheproofSignatureTest, EveryCaseHasTheExpectedOutcome) {
  if (!WycheproofAvailable()) GTEST_SKIP() << WycheproofSkipMessage();
  const SignatureFile& param = GetParam();
  const AlgSpec* alg = FindAlg(param.alg);
  ASSERT_NE(alg, nullptr) << param.alg;
  auto doc = LoadWycheproofFile(param.file);
  ASSERT_TRUE(doc.has_value());
  const auto* groups = FindMember(*doc, "testGroups");
  ASSERT_TRUE(groups != nullptr && groups->is_array()) << param.file << " has no testGroups";

  Tally tally;
  for (size_t gi = 0; gi < groups->get_array().size(); ++gi) {
    const boost::json::object& group = groups->get_array()[gi].as_object();
    SCOPED_TRACE(StrCat(param.file, " testGroups[", gi, "]"));
    ++tally.groups;

    // The group's public key as a JWK: publicKeyJwk (ECDSA, PSS, EdDSA) or keyJwk
    // (PKCS#1); some ECDSA groups carry none and are built from wx/wy.
    boost::json::object jwk_json;
    if (const auto* j = FindMember(group, "publicKeyJwk"); j != nullptr && j->is_object()) {
      jwk_json = j->get_object();
    } else if (const auto* k = FindMember(group, "keyJwk"); k != nullptr && k->is_object()) {
      jwk_json = k->get_object();
    } else if (alg->family == KeyFamily::kEc) {
      auto built = EcJwkFromCoordinates(group, alg->curve);
      ASSERT_TRUE(built.has_value()) << "cannot build a JWK from publicKey.wx/wy";
      jwk_json = std::move(*built);
      ++tally.groups_built_from_coordinates;
    } else {
      FAIL() << "group without a JWK";
    }
    // Cross-check the wx/wy conversion against Wycheproof's own JWK where both exist.
    if (alg->family == KeyFamily::kEc && FindMember(group, "publicKeyJwk") != nullptr) {
      auto built = EcJwkFromCoordinates(group, alg->curve);
      ASSERT_TRUE(built.has_value());
      EXPECT_EQ(StringOr(*built, "x"), StringOr(jwk_json, "x"));
      EXPECT_EQ(StringOr(*built, "y"), StringOr(jwk_json, "y"));
    }

    auto key = Jwk::Parse(jwk_json, JwkPrivacy::kPublicOnly);
    const std::optional<std::string> policy = PolicyRefusal(jwk_json);
    if (key.ok()) {
      EXPECT_FALSE(policy.has_value()) << "Jwk::Parse accepted a key our policy refuses: " << *policy;
    } else {
      EXPECT_TRUE(policy.has_value()) << "Jwk::Parse refused a key our policy accepts: " << key.status().message();
      ++tally.groups_refused_by_policy;
      tally.policy_refusals.push_back(
          StrCat("testGroups[", gi, "]: ", key.status().message(), policy ? StrCat(" (policy: ", *policy, ")") : ""));
    }

    const auto* tests = FindMember(group, "tests");
    ASSERT_TRUE(tests != nullptr && tests->is_array());
    for (const auto& test_value : tests->get_array()) {
      const boost::json::object& test = test_value.as_object();
      SCOPED_TRACE(DescribeCase(test));
      ++tally.run;
      const std::string result = StringOr(test, "result");
      auto msg = HexDecode(StringOr(test, "msg"));
      auto sig = HexDecode(StringOr(test, "sig"));
      ASSERT_TRUE(msg && sig) << "msg or sig is not hex";

      if (!key.ok()) {
        // No key, no verification: a valid case here is a policy refusal, counted.
        if (result == "valid") {
          ++tally.valid;
          ++tally.valid_refused_by_policy;
        } else if (result == "invalid") {
          ++tally.invalid;
          ++tally.invalid_rejected;
          ++tally.invalid_reasons["key refused by policy"];
        } else {
          ++tally.acceptable;
        }
        continue;
      }

      const Reason reason = VerifySignature(*alg, *key, *msg, *sig);
      if (result == "valid") {
        ++tally.valid;
        EXPECT_EQ(reason, v1::REASON_OK) << "a valid signature was rejected: " << ReasonLabel(reason);
        if (reason == v1::REASON_OK) ++tally.valid_accepted;
      } else if (result == "invalid") {
        ++tally.invalid;
        EXPECT_NE(reason, v1::REASON_OK) << "an invalid signature was accepted";
        if (reason != v1::REASON_OK) {
          ++tally.invalid_rejected;
          ++tally.invalid_reasons[std::string(ReasonLabel(reason))];
        }
      } else {
        ASSERT_EQ(result, "acceptable") << "unknown result label";
        ++tally.acceptable;
        if (reason == v1::REASON_OK) ++tally.acceptable_accepted;
      }
    }
  }

  // Nothing was dropped on the way, and the file was not vacuous.
  if (const auto* n = FindMember(*doc, "numberOfTests"); n != nullptr && n->is_int64()) {
    EXPECT_EQ(tally.run, n->get_int64()) << "numberOfTests disagrees with the cases run";
  }
  EXPECT_EQ(tally.valid, tally.valid_accepted + tally.valid_refused_by_policy);
  EXPECT_EQ(tally.invalid, tally.invalid_rejected);
  EXPECT_GT(tally.valid_accepted, 0) << "no valid signature verified: the test proves nothing";

  std::string reasons;
  for (const auto& [label, count] : tally.invalid_reasons)
    StrAppend(reasons, reasons.empty() ? "" : ", ", label, "=", count);
  std::cout << "[wycheproof] " << param.file << " (" << param.alg << "): " << tally.groups << " groups ("
            << tally.groups_built_from_coordinates << " keys built from wx/wy), " << tally.run << " tests run; valid "
            << tally.valid_accepted << "/" << tally.valid << " accepted; invalid " << tally.invalid_rejected << "/"
            << tally.invalid << " rejected [" << reasons << "]; acceptable " << tally.acceptable << " ("
            << tally.acceptable_accepted << " accepted, " << tally.acceptable - tally.acceptable_accepted
            << " rejected); refused by key policy: " << tally.valid_refused_by_policy << " valid in "
            << tally.groups_refused_by_policy << " groups\n";
  for (const auto& line : tally.policy_refusals) std::cout << "[wycheproof]   refused by key policy: " << line << "\n";
  RecordProperty("tests_run", tally.run);
  RecordProperty("valid_accepted", tally.valid_accepted);
  RecordProperty("invalid_rejected", tally.invalid_rejected);
  RecordProperty("acceptable", tally.acceptable);
  RecordProperty("refused_by_policy", tally.valid_refused_by_policy);
}

std::string FileTestName(const ::testing::TestParamInfo<SignatureFile>& info) {
  std::string name = info.param.file;
  name = name.substr(0, name.find(".json"));
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, WycheproofSignatureTest, ::testing::ValuesIn(kSignatureFiles), FileTestName);

}  // namespace
}  // namespace mcpauth::tv::vectors
