#include "tools/mcpauth/mcp_client.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <boost/json.hpp>

#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/dpop_sign.h"
#include "services/token_validation/jwk.h"
#include "tools/mcpauth/cli_args.h"

namespace mcpauth::cli {
namespace {

constexpr char kProtocolVersion[] = "2025-11-25";

struct HttpResult {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names; the last value wins
  std::string error;                           // transport failure
};

size_t OnBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* out) {
  std::string_view line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    (*static_cast<std::map<std::string, std::string>*>(out))[AsciiLower(TrimAsciiWhitespace(line.substr(0, colon)))] =
        std::string(TrimAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * n;
}

HttpResult Request(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                   const std::string& body) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) result.error = curl_easy_strerror(rc);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

// The JSON-RPC reply with `id` in a JSON body or an SSE stream.
std::optional<boost::json::value> ReplyWithId(const HttpResult& r, int64_t id) {
  std::vector<std::string> messages;
  const auto ct = r.headers.find("content-type");
  if (ct != r.headers.end() && StartsWithIgnoreCase(ct->second, "text/event-stream")) {
    std::string data;
    std::istringstream lines(r.body);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) {
        if (!data.empty()) messages.push_back(std::move(data));
        data.clear();
      } else if (line.starts_with("data:")) {
        std::string_view v = std::string_view(line).substr(5);
        if (v.starts_with(' ')) v.remove_prefix(1);
        if (!data.empty()) data.push_back('\n');
        data.append(v);
      }
    }
    if (!data.empty()) messages.push_back(std::move(data));
  } else {
    messages.push_back(r.body);
  }
  for (const std::string& m : messages) {
    boost::json::value v;
    if (ParseStrictJson(m, v) != JsonParseError::kNone) continue;
    if (v.is_object()) {
      const auto* mid = v.get_object().if_contains("id");
      if (mid != nullptr && mid->is_int64() && mid->get_int64() == id) return v;
    }
  }
  return std::nullopt;
}

// resource_metadata="…" from a challenge, or "".
std::string ResourceMetadataUrl(const std::string& challenge) {
  const std::string key = "resource_metadata=\"";
  const size_t start = challenge.find(key);
  if (start == std::string::npos) return "";
  const size_t end = challenge.find('"', start + key.size());
  return challenge.substr(start + key.size(), end - start - key.size());
}

class Session {
 public:
  Session(std::string url, std::string token, std::optional<tv::Jwk> dpop_key)
      : url_(std::move(url)), token_(std::move(token)), dpop_key_(std::move(dpop_key)) {}

  // Sends one message; retries once with a server nonce when asked to.
  HttpResult Send(const std::string& method, const std::string& body) {
    HttpResult r = SendOnce(method, body);
    const auto challenge = r.headers.find("www-authenticate");
    if (r.status == 401 && dpop_key_ && challenge != r.headers.end() &&
        challenge->second.find("use_dpop_nonce") != std::string::npos) {
      r = SendOnce(method, body);
    }
    return r;
  }
  void set_session(std::string id) { session_ = std::move(id); }
  const std::string& session() const { return session_; }

 private:
  HttpResult SendOnce(const std::string& method, const std::string& body) {
    std::vector<std::string> headers = {"Content-Type: application/json",
                                        "Accept: application/json, text/event-stream"};
    if (!session_.empty()) {
      headers.push_back(StrCat("Mcp-Session-Id: ", session_));
      headers.push_back(StrCat("MCP-Protocol-Version: ", kProtocolVersion));
    }
    if (!token_.empty()) {
      headers.push_back(StrCat("Authorization: ", dpop_key_ ? "DPoP " : "Bearer ", token_));
    }
    if (dpop_key_) {
      tv::DpopProofClaims claims{.htm = method,
                                 .htu = url_,
                                 .iat = std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count()};
      if (!token_.empty()) claims.access_token = token_;
      if (!nonce_.empty()) claims.nonce = nonce_;
      auto proof = tv::MakeDpopProof(*dpop_key_, claims);
      if (proof.ok()) headers.push_back(StrCat("DPoP: ", *proof));
    }
    HttpResult r = Request(method, url_, headers, body);
    if (auto n = r.headers.find("dpop-nonce"); n != r.headers.end()) nonce_ = n->second;
    return r;
  }

  std::string url_, token_, session_, nonce_;
  std::optional<tv::Jwk> dpop_key_;
};

int PrintRefusal(const HttpResult& r) {
  boost::json::object out{{"status", r.status}};
  const auto challenge = r.headers.find("www-authenticate");
  if (challenge != r.headers.end()) {
    out["www_authenticate"] = challenge->second;
    const std::string metadata_url = ResourceMetadataUrl(challenge->second);
    if (!metadata_url.empty()) {
      out["resource_metadata"] = metadata_url;
      HttpResult doc = Request("GET", metadata_url, {"Accept: application/json"}, "");
      boost::json::value v;
      if (doc.status == 200 && ParseStrictJson(doc.body, v) == JsonParseError::kNone) out["metadata"] = v;
    }
  }
  boost::json::value body;
  out["body"] = ParseStrictJson(r.body, body) == JsonParseError::kNone ? body : boost::json::value(r.body);
  std::printf("%s\n", ToJson(out).c_str());
  return 1;
}

}  // namespace

int McpCommand(const std::vector<std::string>& args) {
  Flags flags(args, {"url", "token", "dpop-key"});
  const std::vector<std::string>& words = flags.positional();
  if (words.empty() || (words[0] != "list-tools" && words[0] != "call") ||
      (words[0] == "call" && (words.size() < 2 || words.size() > 3))) {
    throw UsageError("mcp: expected list-tools, or call TOOL [JSON_ARGS]");
  }
  boost::json::value arguments = boost::json::object{};
  if (words[0] == "call" && words.size() == 3 && ParseStrictJson(words[2], arguments) != JsonParseError::kNone) {
    throw UsageError("mcp call: JSON_ARGS is not JSON");
  }
  std::optional<tv::Jwk> dpop_key;
  if (auto path = flags.Get("dpop-key")) {
    std::ifstream in(*path);
    std::stringstream text;
    text << in.rdbuf();
    boost::json::value v;
    if (!in || ParseStrictJson(text.str(), v) != JsonParseError::kNone || !v.is_object()) {
      throw UsageError("--dpop-key: cannot read a JSON key from \"" + *path + "\"");
    }
    auto key = tv::Jwk::Parse(v.get_object(), tv::JwkPrivacy::kAllowPrivate);
    if (!key.ok() || !key->has_private()) throw UsageError("--dpop-key: not a private JWK");
    dpop_key = std::move(*key);
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Session session(flags.Required("url"), flags.Get("token").value_or(""), std::move(dpop_key));

  auto rpc = [&](int64_t id, const std::string& method, boost::json::value params) -> std::optional<HttpResult> {
    boost::json::object m{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.is_null()) m["params"] = params;
    return session.Send("POST", ToJson(m));
  };
  HttpResult init = *rpc(1, "initialize",
                         boost::json::object{{"protocolVersion", kProtocolVersion},
                                             {"capabilities", boost::json::object{}},
                                             {"clientInfo", boost::json::object{{"name", "mcpauth-cli"}, {"version", "0.1.0"}}}});
  if (!init.error.empty()) {
    std::fprintf(stderr, "mcpauth mcp: %s\n", init.error.c_str());
    return 2;
  }
  if (init.status == 401 || init.status == 403) return PrintRefusal(init);
  if (init.status != 200 || !ReplyWithId(init, 1)) {
    std::printf("%s\n", ToJson(boost::json::object{{"status", init.status}, {"body", init.body}}).c_str());
    return 2;
  }
  if (auto sid = init.headers.find("mcp-session-id"); sid != init.headers.end()) session.set_session(sid->second);
  (void)session.Send("POST", R"({"jsonrpc":"2.0","method":"notifications/initialized"})");

  HttpResult r = words[0] == "list-tools"
                     ? *rpc(2, "tools/list", nullptr)
                     : *rpc(2, "tools/call", boost::json::object{{"name", words[1]}, {"arguments", arguments}});
  if (r.status == 401 || r.status == 403) return PrintRefusal(r);
  auto reply = ReplyWithId(r, 2);
  if (!reply) {
    std::printf("%s\n", ToJson(boost::json::object{{"status", r.status}, {"body", r.body}}).c_str());
    return 2;
  }
  const auto& o = reply->get_object();
  std::printf("%s\n", ToJson(o.contains("result") ? o.at("result") : *reply).c_str());
  if (!session.session().empty()) (void)session.Send("DELETE", "");
  if (o.contains("error")) return 1;
  const auto* result = o.if_contains("result");
  const auto* is_error = result != nullptr && result->is_object() ? result->get_object().if_contains("isError") : nullptr;
  return is_error != nullptr && is_error->is_bool() && is_error->get_bool() ? 1 : 0;
}

}  // namespace mcpauth::cli
