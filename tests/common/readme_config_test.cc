// The README's configuration reference and the parser cannot drift apart: every key
// named in the README's configuration table is accepted by ParseSuiteConfig, every
// key the schema accepts is in that table, and the list of keys below follows what
// services/common/suite_config.cc actually reads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "services/common/strings.h"
#include "services/common/suite_config.h"

namespace mcpauth {
namespace {

// Every key ParseSuiteConfig accepts, with a value it accepts there (YAML flow
// syntax). `a[].b` is key b of an element of list a; `<name>` and `<uri>` stand for
// user-chosen tool/prompt names and resource URIs. Keep in step with suite_config.cc
// (SchemaFollowsTheParser checks the names) and with README.md.
struct SchemaKey {
  std::string path;
  std::string sample;
};
const std::vector<SchemaKey>& Schema() {
  static const auto* schema = [] {
    auto* keys = new std::vector<SchemaKey>{
        {"resource", R"("https://mcp.example.com/mcp")"},
        {"logging.level", R"("debug")"},
        {"authorization.enabled", "true"},
        {"authorization.authorization_servers", R"(["https://as.example.com"])"},
        {"authorization.required_scopes", R"(["mcp"])"},
        {"authorization.metadata_path", R"("/.well-known/oauth-protected-resource")"},
        {"authorization.cache_ttl", "60"},
        {"authorization.fail_open", "true"},
        {"authorization.scope_enforcement", R"("always")"},
        {"authorization.insufficient_scope", R"("http_403")"},
        {"authorization.scope_strategy", R"("wildcard")"},
        {"authorization.dpop_required", "true"},
        {"authorization.require_dpop", "true"},
        {"authorization.dpop_leeway", "30"},
        {"authorization.dpop_algorithms", R"(["ES256"])"},
        {"authorization.dpop_nonce", "true"},
        {"authorization.dpop_nonce_secret_file", R"("/run/secrets/nonce")"},
        {"authorization.dpop_nonce_lifetime", "30"},
        {"jwt_validators[].issuer", R"("https://as.example.com")"},
        {"jwt_validators[].jwks_uri", R"("https://as.example.com/jwks")"},
        {"jwt_validators[].jwks_file", R"("/etc/mcpauth/jwks.json")"},
        {"jwt_validators[].audience", R"("https://mcp.example.com/mcp")"},
        {"jwt_validators[].algorithms", R"(["ES256"])"},
        {"jwt_validators[].leeway", "30"},
        {"jwt_validators[].introspection.client_id", R"("mcpauth")"},
        {"jwt_validators[].introspection.client_secret_file", R"("/etc/mcpauth/introspection-secret")"},
        {"jwt_validators[].introspection.endpoint", R"("https://as.example.com/introspect")"},
        {"jwt_validators[].introspection.auth_method", R"("client_secret_post")"},
        {"jwt_validators[].introspection.cache_ttl", "30"},
        {"jwt_validators[].introspection.inactive_cache_ttl", "5"},
        {"tools.<name>.required_scopes", R"(["math"])"},
        {"resources.<uri>.required_scopes", R"(["files:read"])"},
        {"prompts.<name>.required_scopes", R"(["prompts"])"},
        {"policy.list_filtering", "true"},
        {"policy.unknown_tool", R"("deny")"},
        {"policy_file", R"("/etc/mcpauth/policy.yaml")"},
        {"redis.url", R"("redis://127.0.0.1:6379/0")"},
        {"redis.password_file", R"("/run/secrets/redis")"},
        {"redis.connect_timeout", "1"},
        {"redis.command_timeout", "0.5"},
        {"redis.pool_size", "2"},
        {"redis.tls.ca_file", R"("/run/redis-tls/ca.crt")"},
        {"redis.tls.cert_file", R"("/run/redis-tls/tls.crt")"},
        {"redis.tls.key_file", R"("/run/redis-tls/tls.key")"},
        {"redis.tls.server_name", R"("redis.internal")"},
        {"redis.tls.reload_interval", "30"},
        {"redis.sentinel.master_name", R"("mymaster")"},
        {"redis.sentinel.addresses", R"(["sentinel-0:26379", "sentinel-1:26379"])"},
        {"redis.sentinel.password_file", R"("/run/secrets/sentinel")"},
        {"redis.sentinel.db", "1"},
        {"token_validation.unknown_kid_refetch_interval", "10"},
        {"token_validation.jwks_max_stale", "3600"},
        {"token_validation.fetch_timeout", "2"},
        {"token_validation.token_cache_size", "100"},
        {"token_validation.max_token_bytes", "4096"},
        {"metadata.resource_name", R"("Demo")"},
        {"metadata.resource_documentation", R"("https://docs.example.com/mcp")"},
        {"metadata.scopes_supported", R"(["mcp"])"},
        {"gateway.routes[].path", R"("/mcp")"},
        {"gateway.routes[].resource", R"("https://mcp.example.com/mcp")"},
        {"gateway.routes[].upstream", R"("https://127.0.0.1:3001/mcp")"},
        {"gateway.routes[].upstream_tls.ca_file", R"("/etc/mcpauth/upstream/ca.pem")"},
        {"gateway.routes[].upstream_tls.cert_file", R"("/etc/mcpauth/upstream/tls.crt")"},
        {"gateway.routes[].upstream_tls.key_file", R"("/etc/mcpauth/upstream/tls.key")"},
        {"gateway.routes[].upstream_tls.server_name", R"("mcp.internal.example")"},
        {"gateway.routes[].upstream_tls.reload_interval", "5"},
        {"gateway.tls.cert_file", R"("/etc/mcpauth/tls/tls.crt")"},
        {"gateway.tls.key_file", R"("/etc/mcpauth/tls/tls.key")"},
        {"gateway.tls.client_ca_file", R"("/etc/mcpauth/tls/ca.crt")"},
        {"gateway.tls.reload_interval", "5"},
        {"gateway.routes[].audiences", R"(["api://mcp"])"},
        {"gateway.allowed_origins", R"(["https://app.example.com"])"},
        {"gateway.trusted_proxies", R"(["10.0.0.0/8"])"},
        {"gateway.identity_headers.subject", R"("X-Subject")"},
        {"gateway.identity_headers.scopes", R"("X-Scopes")"},
        {"gateway.identity_headers.claims", R"("X-Claims")"},
        {"gateway.identity_headers.anonymous", R"("X-Anonymous")"},
        {"gateway.limits.max_header_bytes", "8192"},
        {"gateway.limits.max_body_bytes", "65536"},
        {"gateway.limits.header_timeout", "5"},
        {"gateway.limits.idle_timeout", "30"},
        {"gateway.limits.write_timeout", "10"},
        {"gateway.limits.max_streams", "100"},
        {"gateway.limits.upstream_connect_timeout", "2"},
        {"gateway.limits.upstream_timeout", "30"},
        {"gateway.limits.validation_timeout", "1"},
        {"gateway.limits.upstream_idle_timeout", "2"},
        {"gateway.limits.max_connections", "1000"},
        {"gateway.limits.max_validations_in_flight", "64"},
        {"gateway.limits.failed_auth_rate", "2.5"},
        {"gateway.limits.failed_auth_burst", "20"},
        {"gateway.limits.failed_auth_total_rate", "500"},
        {"gateway.threads", "2"},
        {"gateway.session_ttl", "3600"},
        {"gateway.validation_cache_ttl", "0"},
        {"gateway.validation_cache_size", "100"},
        {"gateway.ext_authz.listen", R"("127.0.0.1:9191")"},
        {"gateway.ext_authz.health_listen", R"("127.0.0.1:9192")"},
        {"gateway.ext_authz.tls.cert_file", R"("/etc/mcpauth/tls/tls.crt")"},
        {"gateway.ext_authz.tls.key_file", R"("/etc/mcpauth/tls/tls.key")"},
        {"gateway.ext_authz.tls.client_ca_file", R"("/etc/mcpauth/tls/ca.crt")"},
        {"gateway.ext_authz.tls.reload_interval", "5"},
        {"gateway.forward_auth.path", R"("/_mcpauth/check")"},
        {"gateway.unseen_body", R"("server_scopes_only")"},
        {"gateway.identity_headers.grant", R"("X-Grant")"},
        {"gateway.identity_headers.credentials", R"("X-Credentials")"},
        {"gateway.credentials.grant_key_file", R"("/etc/mcpauth/grant-key.json")"},
        {"gateway.credentials.grant_ttl", "30"},
        {"gateway.credentials.grant_max_uses", "4"},
        {"gateway.credentials.handles_cache_ttl", "2"},
        {"credentials.egress_listen", R"("0.0.0.0:8090")"},
        {"credentials.egress_address", R"("credentials.mcpauth:8090")"},
        {"credentials.key_files", R"(["/etc/mcpauth/credentials/key.json"])"},
        {"credentials.record_secret_file", R"("/etc/mcpauth/credentials/record-secret")"},
        {"credentials.grant_keys_file", R"("/etc/mcpauth/credentials/grant-keys.json")"},
        {"credentials.egress_timeout", "5"},
        {"credentials.egress_idle_timeout", "2"},
        {"credentials.max_request_bytes", "65536"},
        {"credentials.max_response_bytes", "65536"},
        {"credentials.max_connections", "64"},
    };
    // Every service section has these.
    for (const char* service : {"token_validation", "scope_policy", "metadata", "gateway", "credentials"}) {
      keys->push_back({StrCat(service, ".listen"), R"("127.0.0.1:1234")"});
      keys->push_back({StrCat(service, ".metrics_listen"), R"("127.0.0.1:1235")"});
      keys->push_back({StrCat(service, ".address"), R"("service.example:1234")"});
      keys->push_back({StrCat(service, ".shutdown_grace"), "5"});
    }
    // gRPC services: TLS.
    for (const char* service : {"token_validation", "scope_policy", "metadata", "credentials"}) {
      for (const char* key : {"tls.cert_file", "tls.key_file", "tls.client_ca_file", "client_tls.ca_file",
                              "client_tls.cert_file", "client_tls.key_file"}) {
        keys->push_back({StrCat(service, ".", key), R"("/etc/mcpauth/tls/file.pem")"});
      }
      keys->push_back({StrCat(service, ".tls.reload_interval"), "5"});
      keys->push_back({StrCat(service, ".client_tls.reload_interval"), "5"});
      keys->push_back({StrCat(service, ".client_tls.server_name"), R"("token-validation.mcpauth.svc")"});
      keys->push_back({StrCat(service, ".health_listen"), R"("0.0.0.0:8086")"});
    }
    return keys;
  }();
  return *schema;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      out.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// `a.{x,y}` → a.x, a.y; `<service>.k` → one per service section.
std::vector<std::string> Expand(const std::string& key) {
  if (key.starts_with("<service>.")) {
    std::vector<std::string> out;
    for (const char* service : {"token_validation", "scope_policy", "metadata", "gateway", "credentials"}) {
      for (const std::string& k : Expand(StrCat(service, key.substr(9)))) out.push_back(k);
    }
    return out;
  }
  const size_t open = key.find('{'), close = key.find('}');
  if (open == std::string::npos || close == std::string::npos || close < open) return {key};
  std::vector<std::string> out;
  for (const std::string& choice : Split(std::string_view(key).substr(open + 1, close - open - 1), ',')) {
    for (const std::string& k : Expand(StrCat(key.substr(0, open), choice, key.substr(close + 1)))) out.push_back(k);
  }
  return out;
}

// Every key named (in backquotes) in the first column of README's configuration table.
std::vector<std::string> ReadmeKeys() {
  const std::string readme = ReadText(StrCat(MCPAUTH_SOURCE_DIR, "/README.md"));
  const size_t section = readme.find("\n## Configuration\n");
  if (section == std::string::npos) return {};
  const size_t table = readme.find("\n| key | default | meaning |", section);
  if (table == std::string::npos) return {};
  std::vector<std::string> keys;
  std::istringstream lines(readme.substr(table + 1));
  std::string line;
  std::getline(lines, line);  // header
  std::getline(lines, line);  // |---|---|---|
  while (std::getline(lines, line) && line.starts_with("|")) {
    // The first cell: up to the next unescaped '|'.
    size_t end = 1;
    while (end < line.size() && !(line[end] == '|' && line[end - 1] != '\\')) ++end;
    const std::string cell = line.substr(1, end - 1);
    static const std::regex kCode("`([^`]+)`");
    for (std::sregex_iterator it(cell.begin(), cell.end(), kCode), last; it != last; ++it) {
      for (const std::string& k : Expand((*it)[1].str())) keys.push_back(k);
    }
  }
  return keys;
}

// A configuration holding `key` set to `sample` (plus what that place requires).
std::string ConfigWith(const std::string& key, const std::string& sample) {
  const std::vector<std::string> segments = Split(key, '.');
  std::function<std::string(size_t)> build = [&](size_t i) -> std::string {
    if (i == segments.size()) return sample;
    std::string segment = segments[i];
    if (segment == "<name>") segment = "get-sum";
    if (segment == "<uri>") segment = "file:///notes.txt";
    const bool list = segment.ends_with("[]");
    if (list) segment.resize(segment.size() - 2);
    std::string inner = build(i + 1);
    if (list) {
      // What a list element cannot do without.
      const std::string& leaf = segments[i + 1];
      std::string required;
      if (segment == "jwt_validators" && leaf != "issuer") required = R"("issuer": "https://as.example.com", )";
      if (segment == "routes" && leaf != "upstream") required = R"("upstream": "https://127.0.0.1:3001/mcp", )";
      inner = StrCat("[{", required, inner.substr(1), "]");
    }
    // What a section cannot do without.
    std::string required;
    if (segment == "redis" && segments[i + 1] == "tls") required = R"("url": "rediss://redis.internal", )";
    if (segment == "ext_authz" && segments[i + 1] != "listen") required = R"("listen": "127.0.0.1:9191", )";
    if (segment == "introspection" && segments[i + 1] != "client_id") required += R"("client_id": "c", )";
    if (segment == "credentials" && i == 0) {
      for (const char* k : {"key_files", "record_secret_file", "grant_keys_file"}) {
        if (segments[i + 1] != k) required += StrCat(R"(")", k, R"(": )", std::string_view(k) == "key_files" ? R"(["/k"], )" : R"("/f", )");
      }
    }
    if (segment == "credentials" && i == 1 && segments[i + 1] != "grant_key_file") required += R"("grant_key_file": "/g", )";
    if (segment == "introspection" && segments[i + 1] != "client_secret_file") {
      required += R"("client_secret_file": "/s", )";
    }
    if (segment == "sentinel" && segments[i + 1] != "master_name") required += R"("master_name": "m", )";
    if (segment == "sentinel" && segments[i + 1] != "addresses") required += R"("addresses": ["s:26379"], )";
    if (!required.empty()) inner = StrCat("{", required, inner.substr(1));
    return StrCat(R"({")", segment, R"(": )", inner, "}");
  };
  std::string nested = build(0);
  // gateway.credentials needs the credentials section beside it.
  if (key.starts_with("gateway.credentials.")) {
    nested = StrCat(R"({"credentials": {"key_files": ["/k"], "record_secret_file": "/f", "grant_keys_file": "/f"}, )",
                    nested.substr(1));
  }
  return key == "resource" ? nested : StrCat(R"({"resource": "https://mcp.example.com/mcp", )", nested.substr(1));
}

// "" when ParseSuiteConfig accepts it, else its error.
std::string ParseError(const std::string& yaml) {
  try {
    ParseSuiteConfig(YAML::Load(yaml));
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const YAML::Exception& e) {
    return StrCat("YAML: ", e.what());
  }
  return "";
}

TEST(ReadmeConfig, TheTableIsFound) {
  // Guards the other tests against passing on an empty or unreadable README.
  EXPECT_GT(ReadmeKeys().size(), 50u);
}

TEST(ReadmeConfig, EverySchemaSampleIsAccepted) {
  for (const SchemaKey& k : Schema()) {
    const std::string yaml = ConfigWith(k.path, k.sample);
    EXPECT_EQ(ParseError(yaml), "") << k.path << " in " << yaml;
  }
}

TEST(ReadmeConfig, AnUnknownKeyIsNotAccepted) {
  // The harness can tell: a misspelled key, set the same way, is refused by name.
  EXPECT_EQ(ParseError(ConfigWith("authorization.cache_tll", "60")), "authorization.cache_tll: unknown key");
  EXPECT_EQ(ParseError(ConfigWith("gateway.routes[].upstrem", R"("http://x/mcp")")),
            "gateway.routes[0].upstrem: unknown key");
}

TEST(ReadmeConfig, EveryDocumentedKeyIsInTheSchema) {
  std::set<std::string> schema;
  for (const SchemaKey& k : Schema()) schema.insert(k.path);
  for (const std::string& key : ReadmeKeys()) {
    EXPECT_TRUE(schema.contains(key)) << "README.md's configuration table names `" << key
                                      << "`, which is not among the keys ParseSuiteConfig accepts (listed and "
                                         "checked above): a typo in the README, or a key missing from the list";
  }
}

TEST(ReadmeConfig, EverySchemaKeyIsDocumented) {
  const std::vector<std::string> readme = ReadmeKeys();
  const std::set<std::string> documented(readme.begin(), readme.end());
  for (const SchemaKey& k : Schema()) {
    EXPECT_TRUE(documented.contains(k.path)) << "`" << k.path
                                             << "` is accepted by ParseSuiteConfig but missing from README.md's "
                                                "configuration table";
  }
}

TEST(ReadmeConfig, SchemaFollowsTheParser) {
  // Each key name suite_config.cc reads must be a part of some key above, so a key
  // added to the parser fails here until it is listed (and then documented).
  const std::string source = ReadText(StrCat(MCPAUTH_SOURCE_DIR, "/services/common/suite_config.cc"));
  ASSERT_FALSE(source.empty());
  std::set<std::string> parts;
  for (const SchemaKey& k : Schema()) {
    for (std::string part : Split(k.path, '.')) {
      if (part.ends_with("[]")) part.resize(part.size() - 2);
      parts.insert(part);
    }
  }
  static const std::regex kRead(
      R"re((?:\.(?:String|OptionalString|Bool|Int|Seconds|StringList|StringOrList|Section|SectionList|OneOf|Has)\(|ReadRules\(\w+, |Alias\(\{|std::pair\{)"([a-z_]+)"(?:, "([a-z_]+)"\}\))?)re");
  size_t found = 0;
  for (std::sregex_iterator it(source.begin(), source.end(), kRead), last; it != last; ++it) {
    for (size_t group : {1u, 2u}) {
      const std::string name = (*it)[group].str();
      if (name.empty()) continue;
      ++found;
      EXPECT_TRUE(parts.contains(name)) << "suite_config.cc reads \"" << name
                                        << "\", which no key in this test's schema list has: add it here and to "
                                           "README.md's configuration table";
    }
  }
  EXPECT_GT(found, 60u);  // the pattern still matches how the parser is written
}

}  // namespace
}  // namespace mcpauth
