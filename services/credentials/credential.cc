#include "services/credentials/credential.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "services/common/base64url.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth::credentials {
namespace {

absl::Status Invalid(std::string_view member, std::string_view why) {
  return absl::InvalidArgumentError(StrCat(member, ": ", why));
}

// A non-empty string member without control characters.
absl::StatusOr<std::string> Text(const boost::json::object& header, std::string_view name, bool required) {
  const boost::json::value* v = FindMember(header, name);
  if (v == nullptr) {
    if (required) return Invalid(name, "is required");
    return std::string();
  }
  if (!v->is_string() || v->get_string().empty()) return Invalid(name, "must be a non-empty string");
  if (HasControlCharacters(v->get_string())) return Invalid(name, "holds control characters");
  return std::string(v->get_string());
}

// Headers the egress sets itself or that would change how the request is framed or routed.
bool IsReservedHeader(std::string_view name) {
  for (std::string_view reserved : {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te",
                                    "trailer", "keep-alive", "proxy-authorization", "expect"}) {
    if (EqualsIgnoreCase(name, reserved)) return true;
  }
  return false;
}

std::string Mac(std::string_view secret, const CredentialRecord& record) {
  const std::string data = StrCat("mcpauth-credential-record-v1\n", record.handle, "\n", record.created_at, "\n",
                                  record.sealed);
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof(out), &len) == nullptr) {
    return "";
  }
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace

bool HasControlCharacters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string CredentialBinding::Owner() const { return StrCat(issuer, "\n", subject); }

absl::StatusOr<CredentialBinding> ReadBinding(const boost::json::object& header) {
  CredentialBinding b;
  auto issuer = Text(header, "mcpauth_iss", true);
  if (!issuer.ok()) return issuer.status();
  b.issuer = *issuer;
  auto subject = Text(header, "mcpauth_sub", true);
  if (!subject.ok()) return subject.status();
  b.subject = *subject;
  auto client_id = Text(header, "mcpauth_client_id", false);
  if (!client_id.ok()) return client_id.status();
  b.client_id = *client_id;

  const boost::json::value* hosts = FindMember(header, "mcpauth_hosts");
  if (hosts == nullptr || !hosts->is_array() || hosts->get_array().empty()) {
    return Invalid("mcpauth_hosts", "must be a non-empty array of host names (\"api.example.com\", \"host:8443\")");
  }
  for (const boost::json::value& h : hosts->get_array()) {
    if (!h.is_string()) return Invalid("mcpauth_hosts", "must hold strings");
    const std::string host = AsciiLower(std::string_view(h.get_string()));
    const std::string url = StrCat("https://", host, "/");
    auto parsed = ParseUri(url);
    if (host.empty() || !parsed.ok() || parsed->host().empty() || parsed->has_userinfo() ||
        parsed->encoded_path() != "/" || host.find_first_of("*?#/@ ") != std::string::npos ||
        HasControlCharacters(host)) {
      return Invalid("mcpauth_hosts", StrCat("\"", std::string_view(h.get_string()),
                                             "\" is not a host or host:port (no wildcards, paths or users)"));
    }
    b.hosts.push_back(host);
  }

  const boost::json::value* inject = FindMember(header, "mcpauth_inject");
  if (inject == nullptr || !inject->is_object()) {
    return Invalid("mcpauth_inject", "must be an object {\"kind\": \"bearer\"|\"header\"|\"query\", \"name\": ...}");
  }
  const std::string kind = StringMember(inject->get_object(), "kind").value_or("");
  const std::string name = StringMember(inject->get_object(), "name").value_or("");
  if (kind == "bearer") {
    b.injection = v1::INJECTION_KIND_BEARER;
    if (!name.empty()) return Invalid("mcpauth_inject.name", "is not used with kind bearer");
  } else if (kind == "header") {
    b.injection = v1::INJECTION_KIND_HEADER;
    if (!IsHttpToken(name) || IsReservedHeader(name)) {
      return Invalid("mcpauth_inject.name", StrCat("\"", name, "\" is not a header name the egress may set"));
    }
  } else if (kind == "query") {
    b.injection = v1::INJECTION_KIND_QUERY;
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~';
        })) {
      return Invalid("mcpauth_inject.name", StrCat("\"", name, "\" is not a query parameter name (A-Z a-z 0-9 - _ . ~)"));
    }
  } else {
    return Invalid("mcpauth_inject.kind", StrCat("\"", kind, "\" is not bearer, header or query"));
  }
  b.injection_name = name;

  auto label = Text(header, "mcpauth_label", true);
  if (!label.ok()) return label.status();
  if (label->size() > 64 || !std::all_of(label->begin(), label->end(), [](char c) {
        return absl::ascii_islower(static_cast<unsigned char>(c)) || absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
               c == '-' || c == '_';
      })) {
    return Invalid("mcpauth_label", "must be 1 to 64 of a-z 0-9 - _");
  }
  b.label = *label;

  if (const boost::json::value* resources = FindMember(header, "mcpauth_resources")) {
    if (!resources->is_array() || resources->get_array().empty()) {
      return Invalid("mcpauth_resources", "must be a non-empty array of resource URIs");
    }
    for (const boost::json::value& r : resources->get_array()) {
      if (!r.is_string() || !CheckResourceUri(r.get_string()).ok()) {
        return Invalid("mcpauth_resources", "must hold absolute https (or loopback http) resource URIs");
      }
      b.resources.emplace_back(r.get_string());
    }
  }
  if (const boost::json::value* exp = FindMember(header, "mcpauth_exp")) {
    std::optional<double> seconds = NumberValue(*exp);
    if (!seconds || !std::isfinite(*seconds) || *seconds <= 0 || *seconds > 253402300799.0) {
      return Invalid("mcpauth_exp", "must be a NumericDate (Unix seconds)");
    }
    b.expires_at = static_cast<int64_t>(*seconds);
  }
  return b;
}

boost::json::object BindingHeader(const CredentialBinding& b) {
  boost::json::object h;
  h["mcpauth_iss"] = b.issuer;
  h["mcpauth_sub"] = b.subject;
  if (!b.client_id.empty()) h["mcpauth_client_id"] = b.client_id;
  boost::json::array hosts;
  for (const std::string& host : b.hosts) hosts.emplace_back(host);
  h["mcpauth_hosts"] = std::move(hosts);
  boost::json::object inject;
  inject["kind"] = b.injection == v1::INJECTION_KIND_HEADER  ? "header"
                   : b.injection == v1::INJECTION_KIND_QUERY ? "query"
                                                             : "bearer";
  if (!b.injection_name.empty()) inject["name"] = b.injection_name;
  h["mcpauth_inject"] = std::move(inject);
  h["mcpauth_label"] = b.label;
  if (b.expires_at) h["mcpauth_exp"] = *b.expires_at;
  if (!b.resources.empty()) {
    boost::json::array resources;
    for (const std::string& r : b.resources) resources.emplace_back(r);
    h["mcpauth_resources"] = std::move(resources);
  }
  return h;
}

bool AllowsHost(const CredentialBinding& binding, std::string_view host_port) {
  const std::string wanted = AsciiLower(host_port);
  return std::find(binding.hosts.begin(), binding.hosts.end(), wanted) != binding.hosts.end();
}

bool AllowsResource(const CredentialBinding& binding, std::string_view resource) {
  return binding.resources.empty() ||
         std::find(binding.resources.begin(), binding.resources.end(), resource) != binding.resources.end();
}

std::string NewHandle() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "";
  return StrCat("h_", Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

std::string SerializeRecord(const CredentialRecord& record, std::string_view record_secret) {
  boost::json::object o;
  o["handle"] = record.handle;
  o["sealed"] = record.sealed;
  o["created_at"] = record.created_at;
  o["mac"] = Mac(record_secret, record);
  return ToJson(o);
}

absl::StatusOr<CredentialRecord> ParseRecord(std::string_view stored, std::string_view handle,
                                             std::string_view record_secret) {
  boost::json::value v;
  if (ParseStrictJson(stored, v) != JsonParseError::kNone || !v.is_object()) {
    return absl::InvalidArgumentError("the stored record is not a JSON object");
  }
  const boost::json::object& o = v.get_object();
  CredentialRecord record;
  record.handle = StringMember(o, "handle").value_or("");
  record.sealed = StringMember(o, "sealed").value_or("");
  const boost::json::value* created = FindMember(o, "created_at");
  if (created == nullptr || !created->is_int64()) return absl::InvalidArgumentError("the stored record has no created_at");
  record.created_at = created->get_int64();
  const std::string mac = StringMember(o, "mac").value_or("");
  const std::string expected = Mac(record_secret, record);
  if (mac.size() != expected.size() || expected.empty() ||
      CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) != 0) {
    return absl::InvalidArgumentError("the stored record does not verify (written by someone without the record secret)");
  }
  if (record.handle != handle) return absl::InvalidArgumentError("the stored record belongs to another handle");
  return record;
}

void FillInfo(const CredentialRecord& record, const CredentialBinding& b, v1::CredentialInfo* info) {
  info->set_handle(record.handle);
  info->set_label(b.label);
  info->set_issuer(b.issuer);
  info->set_subject(b.subject);
  info->set_client_id(b.client_id);
  for (const std::string& h : b.hosts) info->add_hosts(h);
  info->set_injection(b.injection);
  info->set_injection_name(b.injection_name);
  info->set_created_at(record.created_at);
  info->set_expires_at(b.expires_at.value_or(0));
  for (const std::string& r : b.resources) info->add_resources(r);
}

}  // namespace mcpauth::credentials
