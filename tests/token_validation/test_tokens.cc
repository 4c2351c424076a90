#include "tests/token_validation/test_tokens.h"

#include <stdexcept>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"

namespace mcpauth::tv::testing {

TestKey MakeKey(const std::string& alg_name, const std::string& kid) {
  const AlgSpec* alg = FindAlg(alg_name);
  if (alg == nullptr) throw std::runtime_error("unknown alg " + alg_name);
  auto jwk = GeneratePrivateJwk(*alg, kid);
  if (!jwk.ok()) throw std::runtime_error(std::string(jwk.status().message()));
  auto parsed = Jwk::Parse(*jwk, JwkPrivacy::kAllowPrivate);
  if (!parsed.ok()) throw std::runtime_error(std::string(parsed.status().message()));
  TestKey key{std::make_shared<Jwk>(std::move(*parsed)), {}, alg};
  key.public_jwk = key.private_key->PublicJson();
  return key;
}

std::string JwksOf(std::initializer_list<const TestKey*> keys) {
  boost::json::array array;
  for (const TestKey* k : keys) array.push_back(k->public_jwk);
  return ToJson(boost::json::object{{"keys", array}});
}

std::string Mint(const TestKey& key, const boost::json::object& claims, const boost::json::object& header) {
  boost::json::object h{{"typ", "at+jwt"}};
  for (const auto& m : header) h[m.key()] = m.value();
  auto token = SignCompact(*key.alg, *key.private_key, h, ToJson(claims));
  if (!token.ok()) throw std::runtime_error(std::string(token.status().message()));
  return *token;
}

std::string Assemble(const std::string& header_json, const std::string& payload_json,
                     const std::string& signature_bytes) {
  return StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json), ".",
                Base64UrlEncode(signature_bytes));
}

}  // namespace mcpauth::tv::testing
