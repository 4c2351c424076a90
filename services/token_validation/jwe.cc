#include "services/token_validation/jwe.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/sha256.h"
#include "services/common/strings.h"
#include "services/token_validation/keygen.h"

namespace mcpauth::tv {
namespace {

constexpr size_t kKeyBytes = 32;  // A256GCM
constexpr size_t kIvBytes = 12;
constexpr size_t kTagBytes = 16;

absl::Status Invalid(std::string_view why) { return absl::InvalidArgumentError(StrCat("jwe: ", why)); }

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

// Key material wiped when it goes out of scope.
struct Secret {
  std::string bytes;
  ~Secret() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

void AppendBe32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// AES-256-GCM; `out` gets the ciphertext (seal) or the plaintext (open).
bool Gcm(bool seal, std::string_view key, std::string_view iv, std::string_view aad, std::string_view in,
         std::string& out, std::string& tag) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  out.assign(in.size(), '\0');
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, seal ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, U(key), U(iv), -1) != 1 ||
      EVP_CipherUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, U(in),
                       static_cast<int>(in.size())) != 1) {
    return false;
  }
  if (!seal && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()), tag.data()) != 1) {
    return false;
  }
  int final_len = 0;
  if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &final_len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return false;
  }
  if (seal) {
    tag.assign(kTagBytes, '\0');
    return EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag.data()) == 1;
  }
  return true;
}

// An optional base64url header member (apu, apv), decoded.
absl::StatusOr<std::string> PartyInfo(const boost::json::object& header, std::string_view name) {
  const boost::json::value* v = FindMember(header, name);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return Invalid(StrCat(name, " is not a string"));
  auto decoded = Base64UrlDecode(std::string_view(v->get_string()));
  if (!decoded) return Invalid(StrCat(name, " is not canonical base64url"));
  return *decoded;
}

// The dot-separated parts, empty ones kept.
std::vector<std::string_view> Parts(std::string_view jwe) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t dot = jwe.find('.', start);
    parts.push_back(jwe.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

}  // namespace

absl::StatusOr<AgreementKey> ParseAgreementKey(const boost::json::object& jwk, bool with_private) {
  boost::json::object stripped = jwk;
  if (const boost::json::value* use = FindMember(jwk, "use")) {
    if (!use->is_string() || use->get_string() != "enc") return Invalid("key use: must be \"enc\"");
  }
  if (const boost::json::value* alg = FindMember(jwk, "alg")) {
    if (!alg->is_string() || alg->get_string() != kJweAlg) return Invalid("key alg: must be \"ECDH-ES\"");
  }
  if (const boost::json::value* ops = FindMember(jwk, "key_ops")) {
    bool derive = false;
    if (ops->is_array()) {
      for (const auto& op : ops->get_array()) {
        if (op.is_string() && (op.get_string() == "deriveKey" || op.get_string() == "deriveBits")) derive = true;
      }
    }
    if (!derive) return Invalid("key key_ops: must allow deriveKey or deriveBits");
  }
  if (StringMember(jwk, "kty").value_or("") != "EC" || StringMember(jwk, "crv").value_or("") != "P-256") {
    return Invalid("key: must be an EC P-256 key");
  }
  if (HasPrivateMembers(jwk) != with_private) {
    return Invalid(with_private ? "key: the private key (d) is required" : "key: must hold no private members");
  }
  for (const char* name : {"use", "alg", "key_ops"}) stripped.erase(name);
  absl::StatusOr<Jwk> parsed = Jwk::Parse(stripped, JwkPrivacy::kAllowPrivate);
  if (!parsed.ok()) return Invalid(std::string(parsed.status().message()));
  AgreementKey key;
  key.kid = parsed->kid();
  key.public_jwk = parsed->PublicJson();
  key.public_jwk["use"] = "enc";
  key.public_jwk["alg"] = kJweAlg;
  key.pkey = EvpPkeyPtr(parsed->pkey());
  EVP_PKEY_up_ref(key.pkey.get());
  return key;
}

absl::StatusOr<boost::json::object> GenerateAgreementJwk(const std::string& kid) {
  absl::StatusOr<boost::json::object> jwk = GeneratePrivateJwk(*FindAlg("ES256"), kid);
  if (!jwk.ok()) return jwk.status();
  (*jwk)["use"] = "enc";
  (*jwk)["alg"] = kJweAlg;
  return jwk;
}

std::string ConcatKdf(std::string_view z, std::string_view algorithm_id, std::string_view apu, std::string_view apv,
                      size_t key_bytes) {
  std::string out;
  for (uint32_t round = 1; out.size() < key_bytes; ++round) {
    std::string input;
    AppendBe32(input, round);
    StrAppend(input, z);
    for (std::string_view field : {algorithm_id, apu, apv}) {
      AppendBe32(input, static_cast<uint32_t>(field.size()));
      StrAppend(input, field);
    }
    AppendBe32(input, static_cast<uint32_t>(key_bytes * 8));
    StrAppend(out, Sha256(input));
    OPENSSL_cleanse(input.data(), input.size());
  }
  out.resize(key_bytes);
  return out;
}

absl::StatusOr<std::string> EcdhSharedSecret(EVP_PKEY* private_key, EVP_PKEY* peer_public) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, private_key, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer_ex(ctx.get(), peer_public, 1) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return Invalid("key agreement failed");
  }
  std::string z(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(z.data()), &len) != 1) {
    return Invalid("key agreement failed");
  }
  z.resize(len);
  return z;
}

absl::StatusOr<std::string> SealCompact(const AgreementKey& recipient, std::string_view plaintext,
                                        const boost::json::object& extra_header) {
  for (const char* reserved : {"alg", "enc", "epk", "kid", "zip", "crit"}) {
    if (extra_header.contains(reserved)) return Invalid(StrCat("the extra header may not set ", reserved));
  }
  absl::StatusOr<boost::json::object> ephemeral_jwk = GenerateAgreementJwk("");
  if (!ephemeral_jwk.ok()) return ephemeral_jwk.status();
  absl::StatusOr<AgreementKey> ephemeral = ParseAgreementKey(*ephemeral_jwk, /*with_private=*/true);
  if (!ephemeral.ok()) return ephemeral.status();
  Secret z{};
  absl::StatusOr<std::string> shared = EcdhSharedSecret(ephemeral->pkey.get(), recipient.pkey.get());
  if (!shared.ok()) return shared.status();
  z.bytes = std::move(*shared);
  Secret cek{ConcatKdf(z.bytes, kJweEnc, "", "", kKeyBytes)};

  boost::json::object header = extra_header;
  header["alg"] = kJweAlg;
  header["enc"] = kJweEnc;
  if (!recipient.kid.empty()) header["kid"] = recipient.kid;
  boost::json::object epk = {{"kty", "EC"}, {"crv", "P-256"}, {"x", ephemeral->public_jwk.at("x")},
                             {"y", ephemeral->public_jwk.at("y")}};
  header["epk"] = std::move(epk);
  const std::string protected_b64 = Base64UrlEncode(ToJson(header));
  std::string iv(kIvBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(iv.data()), static_cast<int>(iv.size())) != 1) {
    return absl::InternalError("jwe: no random bytes for the IV");
  }
  std::string ciphertext, tag;
  if (!Gcm(/*seal=*/true, cek.bytes, iv, protected_b64, plaintext, ciphertext, tag)) {
    return absl::InternalError("jwe: AES-GCM failed");
  }
  return StrCat(protected_b64, "..", Base64UrlEncode(iv), ".", Base64UrlEncode(ciphertext), ".",
                Base64UrlEncode(tag));
}

absl::StatusOr<boost::json::object> PeekJweHeader(std::string_view jwe) {
  const std::vector<std::string_view> parts = Parts(jwe);
  if (parts.size() != 5) return Invalid("not five base64url parts separated by dots (compact serialization)");
  auto header_bytes = Base64UrlDecode(parts[0]);
  if (!header_bytes) return Invalid("protected header is not canonical base64url");
  boost::json::value header;
  if (ParseStrictJson(*header_bytes, header) != JsonParseError::kNone || !header.is_object()) {
    return Invalid("protected header is not a JSON object (with no repeated member)");
  }
  return header.get_object();
}

absl::StatusOr<JweOpened> OpenCompact(std::string_view jwe, const std::vector<const AgreementKey*>& keys) {
  absl::StatusOr<boost::json::object> header = PeekJweHeader(jwe);
  if (!header.ok()) return header.status();
  const std::vector<std::string_view> parts = Parts(jwe);
  if (StringMember(*header, "alg").value_or("") != kJweAlg) return Invalid("alg must be \"ECDH-ES\"");
  if (StringMember(*header, "enc").value_or("") != kJweEnc) return Invalid("enc must be \"A256GCM\"");
  for (const char* refused : {"zip", "crit", "jku", "jwk", "x5u", "x5c"}) {
    if (header->contains(refused)) return Invalid(StrCat("header member \"", refused, "\" is not accepted"));
  }
  if (!parts[1].empty()) return Invalid("the encrypted key must be empty (direct key agreement)");
  const AgreementKey* key = nullptr;
  if (const boost::json::value* kid = FindMember(*header, "kid")) {
    if (!kid->is_string()) return Invalid("kid is not a string");
    for (const AgreementKey* k : keys) {
      if (k->kid == kid->get_string()) key = k;
    }
    if (key == nullptr) return Invalid(StrCat("kid \"", std::string_view(kid->get_string()), "\" names no key"));
  } else if (keys.size() == 1) {
    key = keys.front();
  } else {
    return Invalid("no kid, and more than one key could be meant");
  }
  const boost::json::value* epk_value = FindMember(*header, "epk");
  if (epk_value == nullptr || !epk_value->is_object()) return Invalid("epk is missing or not an object");
  absl::StatusOr<AgreementKey> epk = ParseAgreementKey(epk_value->get_object(), /*with_private=*/false);
  if (!epk.ok()) return Invalid(StrCat("epk: ", epk.status().message()));
  auto apu = PartyInfo(*header, "apu");
  if (!apu.ok()) return apu.status();
  auto apv = PartyInfo(*header, "apv");
  if (!apv.ok()) return apv.status();
  auto iv = Base64UrlDecode(parts[2]);
  auto ciphertext = Base64UrlDecode(parts[3]);
  auto tag = Base64UrlDecode(parts[4]);
  if (!iv || iv->size() != kIvBytes) return Invalid("the IV must be 96 bits of canonical base64url");
  if (!ciphertext) return Invalid("the ciphertext is not canonical base64url");
  if (!tag || tag->size() != kTagBytes) return Invalid("the tag must be 128 bits of canonical base64url");

  absl::StatusOr<std::string> shared = EcdhSharedSecret(key->pkey.get(), epk->pkey.get());
  if (!shared.ok()) return shared.status();
  Secret z{std::move(*shared)};
  Secret cek{ConcatKdf(z.bytes, kJweEnc, *apu, *apv, kKeyBytes)};
  JweOpened opened;
  if (!Gcm(/*seal=*/false, cek.bytes, *iv, parts[0], *ciphertext, opened.plaintext, *tag)) {
    return Invalid("authentication failed (not sealed to this key, or altered)");
  }
  opened.header = std::move(*header);
  return opened;
}

}  // namespace mcpauth::tv
