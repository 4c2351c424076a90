#include "services/common/suite_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/strings.h"

namespace mcpauth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

SuiteConfig Parse(const std::string& yaml) { return ParseSuiteConfig(YAML::Load(yaml)); }

std::string ErrorOf(const std::string& yaml) {
  try {
    Parse(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SuiteConfig, SeedDefaults) {
  SuiteConfig c = Parse("{}");
  EXPECT_FALSE(c.authorization.enabled);
  EXPECT_EQ(c.authorization.authorization_servers, std::vector<std::string>{"https://as.dedaluslabs.ai"});
  EXPECT_FALSE(c.authorization.authorization_servers_set);
  EXPECT_EQ(c.authorization.metadata_path, "/.well-known/oauth-protected-resource");
  EXPECT_EQ(c.authorization.cache_ttl, absl::Seconds(300));
  EXPECT_FALSE(c.authorization.fail_open);
  EXPECT_FALSE(c.authorization.dpop_required);
  EXPECT_EQ(c.token_validation.listen, "127.0.0.1:50051");
  EXPECT_EQ(c.token_validation.address, "127.0.0.1:50051");
}

TEST(SuiteConfig, ReadsTheIssueExample) {
  SuiteConfig c = Parse(R"(
resource: https://mcp.example.com/mcp
authorization:
  enabled: true
  authorization_servers: [https://auth.example.com]
  cache_ttl: 300
jwt_validators:
  - issuer: https://auth.mycompany.com
    jwks_uri: https://auth.mycompany.com/.well-known/jwks.json
    audience: https://my-mcp-server.example.com
    algorithms: [RS256, ES256]
    leeway: 60
redis: {url: redis://127.0.0.1:6379/0}
token_validation: {listen: 127.0.0.1:50051, metrics_listen: 127.0.0.1:9101, address: tv:50051}
)");
  EXPECT_EQ(c.resource, "https://mcp.example.com/mcp");
  EXPECT_TRUE(c.authorization.enabled);
  EXPECT_TRUE(c.authorization.authorization_servers_set);
  ASSERT_EQ(c.jwt_validators.size(), 1u);
  EXPECT_EQ(c.jwt_validators[0].audiences, std::vector<std::string>{"https://my-mcp-server.example.com"});
  EXPECT_EQ(c.jwt_validators[0].algorithms, (std::vector<std::string>{"RS256", "ES256"}));
  EXPECT_EQ(c.jwt_validators[0].leeway, absl::Seconds(60));
  EXPECT_EQ(c.redis.url, "redis://127.0.0.1:6379/0");
  EXPECT_EQ(c.token_validation.address, "tv:50051");
}

TEST(SuiteConfig, RequireDpopIsAnAliasAndBothAtOnceConflict) {
  EXPECT_TRUE(Parse("authorization: {require_dpop: true}").authorization.dpop_required);
  EXPECT_TRUE(Parse("authorization: {dpop_required: true}").authorization.dpop_required);
  EXPECT_THAT(ErrorOf("authorization: {dpop_required: true, require_dpop: true}"),
              HasSubstr("authorization.require_dpop: conflicts with authorization.dpop_required"));
}

TEST(SuiteConfig, UnknownKeysNameTheirPath) {
  EXPECT_EQ(ErrorOf("authorization: {cache_tll: 5}"), "authorization.cache_tll: unknown key");
  EXPECT_EQ(ErrorOf("resourse: https://x"), "resourse: unknown key");
  EXPECT_EQ(ErrorOf("jwt_validators: [{issuer: https://a, jwks_url: https://a/j}]"),
            "jwt_validators[0].jwks_url: unknown key");
  EXPECT_EQ(ErrorOf("token_validation: {listn: x}"), "token_validation.listn: unknown key");
}

TEST(SuiteConfig, WrongTypesNameTheirPath) {
  EXPECT_EQ(ErrorOf("authorization: {enabled: maybe}"),
            "authorization.enabled: expected true or false, got \"maybe\"");
  EXPECT_EQ(ErrorOf("authorization: {cache_ttl: soon}"),
            "authorization.cache_ttl: expected a number of seconds, got \"soon\"");
  EXPECT_EQ(ErrorOf("authorization: {required_scopes: read}"),
            "authorization.required_scopes: expected a list of strings, got \"read\"");
  EXPECT_EQ(ErrorOf("jwt_validators: [{issuer: https://a, leeway: [1]}]"),
            "jwt_validators[0].leeway: expected a number of seconds, got a list");
  EXPECT_EQ(ErrorOf("jwt_validators: {issuer: x}"), "jwt_validators: expected a list, got a mapping");
  EXPECT_EQ(ErrorOf("token_validation: {token_cache_size: -1}"),
            "token_validation.token_cache_size: must be between 0 and 10000000, got -1");
  EXPECT_EQ(ErrorOf("[1, 2]"), "config: expected a mapping, got a list");
}

TEST(SuiteConfig, ChecksUrls) {
  EXPECT_THAT(ErrorOf("jwt_validators: [{issuer: https://a, jwks_uri: http://a.example/jwks}]"),
              HasSubstr("jwt_validators[0].jwks_uri: a fetched URL must use https"));
  EXPECT_THAT(ErrorOf("authorization: {authorization_servers: [http://as.example]}"),
              HasSubstr("authorization.authorization_servers[0]: a fetched URL must use https"));
  EXPECT_THAT(ErrorOf("resource: https://mcp.example.com/mcp#x"), HasSubstr("resource: a resource URI must not"));
  EXPECT_NO_THROW(Parse("jwt_validators: [{issuer: https://a, jwks_uri: http://127.0.0.1:9/jwks}]"));
}

TEST(SuiteConfig, ValidatorRules) {
  EXPECT_EQ(ErrorOf("jwt_validators: [{jwks_uri: https://a/j}]"), "jwt_validators[0].issuer: is required");
  EXPECT_THAT(ErrorOf("jwt_validators: [{issuer: https://a, jwks_uri: https://a/j, jwks_file: /k}]"),
              HasSubstr("jwt_validators[0].jwks_file: set either jwks_uri or jwks_file"));
  EXPECT_THAT(ErrorOf("jwt_validators: [{issuer: https://a}, {issuer: https://a}]"),
              HasSubstr("jwt_validators[1].issuer: duplicates jwt_validators[0]"));
  EXPECT_EQ(Parse("jwt_validators: [{issuer: https://a, audience: [x, y]}]").jwt_validators[0].audiences,
            (std::vector<std::string>{"x", "y"}));
}

TEST(SuiteConfig, ScopesAndPaths) {
  EXPECT_THAT(ErrorOf("authorization: {required_scopes: ['a b']}"),
              HasSubstr("authorization.required_scopes[0]: a scope must be non-empty and contain no spaces"));
  EXPECT_THAT(ErrorOf("authorization: {metadata_path: well-known}"),
              HasSubstr("authorization.metadata_path: must be an absolute path"));
}

TEST(SuiteConfig, MissingFileIsAConfigError) {
  try {
    LoadSuiteConfig("/nonexistent/mcpauth.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/mcpauth.yaml: cannot read the file"));
  }
}

}  // namespace
}  // namespace mcpauth

namespace mcpauth {
namespace {

TEST(SuiteConfigPolicy, ReadsTheSeedPolicyLayout) {
  SuiteConfig c = Parse(R"(
resource: https://mcp.example.com/mcp
authorization:
  required_scopes: [read]
  scope_strategy: wildcard
tools:
  delete_file: {required_scopes: [files:delete]}
  "admin_*":   {required_scopes: [admin]}
resources:
  "file:///secret/*": {required_scopes: [secrets:read]}
prompts:
  deploy: {required_scopes: [deploy]}
policy:
  list_filtering: true
  unknown_tool: deny
)");
  EXPECT_THAT(c.policy.required_scopes(), ElementsAre("read"));
  EXPECT_EQ(c.authorization.required_scopes, std::vector<std::string>{"read"});
  EXPECT_EQ(c.policy.scope_strategy(), v1::SCOPE_STRATEGY_WILDCARD);
  ASSERT_EQ(c.policy.tools_size(), 2);
  EXPECT_EQ(c.policy.tools(0).pattern(), "delete_file");
  EXPECT_THAT(c.policy.tools(0).required_scopes(), ElementsAre("files:delete"));
  EXPECT_EQ(c.policy.tools(1).pattern(), "admin_*");
  EXPECT_EQ(c.policy.resources(0).pattern(), "file:///secret/*");
  EXPECT_THAT(c.policy.prompts(0).required_scopes(), ElementsAre("deploy"));
  EXPECT_TRUE(c.policy.list_filtering());
  EXPECT_EQ(c.policy.unknown_tool(), v1::UNKNOWN_TOOL_DENY);
}

TEST(SuiteConfigPolicy, Errors) {
  EXPECT_EQ(ErrorOf("authorization: {scope_strategy: fuzzy}"),
            "authorization.scope_strategy: expected one of exact, wildcard, hierarchic, got \"fuzzy\"");
  EXPECT_EQ(ErrorOf("tools: {delete_file: {required_scope: [x]}}"), "tools.delete_file.required_scope: unknown key");
  EXPECT_THAT(ErrorOf("tools: {delete_file: {required_scopes: ['']}}"),
              HasSubstr("tools.delete_file.required_scopes[0]: a scope must be non-empty"));
  EXPECT_EQ(ErrorOf("policy: {unknown_tool: maybe}"), "policy.unknown_tool: expected one of allow, deny, got \"maybe\"");
  EXPECT_THAT(ErrorOf("policy_file: /p.yaml\ntools: {a: {required_scopes: [x]}}"),
              HasSubstr("tools: set it in policy_file"));
  EXPECT_THAT(ErrorOf("policy_file: /p.yaml\nauthorization: {required_scopes: [x]}"),
              HasSubstr("authorization.required_scopes: set it in policy_file"));
}

// Rules are read in one pass over the mapping (yaml-cpp finds a key by a linear scan;
// looking each name up again made 100,000 rules take minutes): each rule keeps its own
// value, in file order, and a rule that is not a mapping is still named in the error.
TEST(SuiteConfigPolicy, ManyRulesEachWithItsOwnScopes) {
  std::string yaml = "tools:\n";
  for (int i = 0; i < 2000; ++i) {
    yaml += "  tool_" + std::to_string(i) + ": {required_scopes: [s" + std::to_string(i) + "]}\n";
  }
  yaml += "  empty_rule:\n";
  SuiteConfig c = Parse(yaml);
  ASSERT_EQ(c.policy.tools_size(), 2001);
  EXPECT_EQ(c.policy.tools(1234).pattern(), "tool_1234");
  EXPECT_THAT(c.policy.tools(1234).required_scopes(), ElementsAre("s1234"));
  EXPECT_EQ(c.policy.tools(2000).pattern(), "empty_rule");
  EXPECT_EQ(c.policy.tools(2000).required_scopes_size(), 0);
  EXPECT_EQ(ErrorOf("tools: {a: {required_scopes: [x]}, b: [x]}"), "tools.b: expected a mapping, got a list");
}

TEST(SuiteConfigPolicy, PolicyFileHasTheSameLayoutAndNothingElse) {
  v1::Policy p = ParsePolicyFile(YAML::Load(R"(
authorization: {required_scopes: [read], scope_strategy: hierarchic}
tools: {delete_file: {required_scopes: [files:delete]}}
)"),
                                   "/etc/mcpauth/policy.yaml");
  EXPECT_EQ(p.scope_strategy(), v1::SCOPE_STRATEGY_HIERARCHIC);
  EXPECT_EQ(p.source(), "/etc/mcpauth/policy.yaml");
  EXPECT_THROW(ParsePolicyFile(YAML::Load("authorization: {enabled: true}"), "p"), ConfigError);
  EXPECT_THROW(ParsePolicyFile(YAML::Load("redis: {url: redis://x}"), "p"), ConfigError);
}

TEST(SuiteConfigSections, ScopeEnforcementInsufficientScopeAndDpop) {
  SuiteConfig c = Parse(R"(
authorization: {scope_enforcement: never, insufficient_scope: http_403, dpop_leeway: 30, dpop_nonce: true,
                dpop_algorithms: [ES256, EdDSA]}
)");
  EXPECT_EQ(c.authorization.scope_enforcement, v1::SCOPE_ENFORCEMENT_NEVER);
  EXPECT_EQ(c.authorization.insufficient_scope, InsufficientScopeMode::kHttp403);
  EXPECT_EQ(c.authorization.dpop_leeway, absl::Seconds(30));
  EXPECT_TRUE(c.authorization.dpop_nonce);
  EXPECT_EQ(c.authorization.dpop_algorithms, (std::vector<std::string>{"ES256", "EdDSA"}));
}

TEST(SuiteConfigSections, GatewayRoutesAndResources) {
  SuiteConfig single = Parse(R"(
resource: https://mcp.example.com/mcp
gateway: {routes: [{upstream: "http://127.0.0.1:3001/mcp"}]}
)");
  ASSERT_EQ(single.gateway.routes.size(), 1u);
  EXPECT_EQ(single.gateway.routes[0].path, "/mcp");
  EXPECT_EQ(single.gateway.routes[0].resource, "https://mcp.example.com/mcp");
  EXPECT_EQ(single.Resources(), std::vector<std::string>{"https://mcp.example.com/mcp"});
  EXPECT_EQ(Parse("resource: https://mcp.example.com/mcp").Resources(),
            std::vector<std::string>{"https://mcp.example.com/mcp"});

  SuiteConfig two = Parse(R"(
gateway:
  routes:
    - {path: /a, resource: "https://h/a", upstream: "http://up-a:3001/mcp"}
    - {path: /b, resource: "https://h/b", upstream: "http://up-b:3001/mcp"}
  trusted_proxies: [10.0.0.0/8]
  allowed_origins: [https://app.example.com]
)");
  EXPECT_EQ(two.Resources(), (std::vector<std::string>{"https://h/a", "https://h/b"}));
  EXPECT_EQ(two.gateway.trusted_proxies, std::vector<std::string>{"10.0.0.0/8"});

  EXPECT_THAT(ErrorOf("gateway: {routes: [{path: /a, upstream: 'http://u/'}, {path: /b, resource: 'https://h/b', "
                      "upstream: 'http://u/'}]}"),
              HasSubstr("gateway.routes[0].resource: is required"));
  EXPECT_THAT(ErrorOf("resource: https://h/m\ngateway: {routes: [{path: mcp, upstream: 'http://u/'}]}"),
              HasSubstr("gateway.routes[0].path: must start with '/'"));
  EXPECT_THAT(ErrorOf("resource: https://h/m\ngateway: {routes: [{}]}"), HasSubstr("gateway.routes[0].upstream: is required"));
  EXPECT_THAT(ErrorOf("resource: https://h/m\ngateway: {routes: [{upstream: 'ftp://u/'}]}"),
              HasSubstr("gateway.routes[0].upstream: expected an http:// or https:// URL"));
}

TEST(SuiteConfigSections, GatewayTlsAndHttpsUpstreams) {
  SuiteConfig c = Parse(R"(
resource: https://mcp.example.com/mcp
gateway:
  tls: {cert_file: /tls/tls.crt, key_file: /tls/tls.key, reload_interval: 30}
  routes:
    - upstream: "https://mcp.internal:8443/mcp"
      upstream_tls: {ca_file: /up/ca.pem, server_name: mcp.example.internal}
)");
  EXPECT_TRUE(c.gateway.tls.enabled());
  EXPECT_EQ(c.gateway.tls.key_file, "/tls/tls.key");
  EXPECT_EQ(c.gateway.tls.reload_interval, absl::Seconds(30));
  ASSERT_EQ(c.gateway.routes.size(), 1u);
  EXPECT_TRUE(c.gateway.routes[0].upstream_tls_set);
  EXPECT_EQ(c.gateway.routes[0].upstream_tls.ca_file, "/up/ca.pem");
  EXPECT_EQ(c.gateway.routes[0].upstream_tls.server_name, "mcp.example.internal");
  // An https upstream needs no upstream_tls: the system's roots and the URL's host.
  EXPECT_FALSE(Parse("resource: https://h/m\ngateway: {routes: [{upstream: 'https://u/mcp'}]}")
                   .gateway.routes[0]
                   .upstream_tls_set);

  EXPECT_THAT(ErrorOf("resource: https://h/m\ngateway: {routes: [{upstream: 'http://u/', upstream_tls: {ca_file: /c}}]}"),
              HasSubstr("gateway.routes[0].upstream_tls: applies to an https:// upstream only"));
  EXPECT_THAT(ErrorOf("resource: https://h/m\ngateway: {routes: [{upstream: 'https://u/', upstream_tls: {ca: /c}}]}"),
              HasSubstr("gateway.routes[0].upstream_tls.ca: unknown key"));
  EXPECT_THAT(ErrorOf("resource: https://h/m\ngateway: {tls: {cert_file: ''}}"),
              HasSubstr("gateway.tls.cert_file: must name a file"));
  // The gateway has no gRPC callers: no client_tls, no health port.
  EXPECT_THAT(ErrorOf("resource: https://h/m\ngateway: {client_tls: {ca_file: /c}}"),
              HasSubstr("gateway.client_tls: unknown key"));
}

TEST(SuiteConfigSections, RedisTlsAndSentinel) {
  SuiteConfig tls = Parse("redis: {url: 'rediss://r:6380/1', tls: {ca_file: /r/ca.pem, server_name: redis.internal}}");
  EXPECT_TRUE(tls.redis.tls_enabled);
  EXPECT_EQ(tls.redis.tls.ca_file, "/r/ca.pem");
  EXPECT_EQ(tls.redis.tls.server_name, "redis.internal");
  EXPECT_TRUE(Parse("redis: {url: 'rediss://r'}").redis.tls_enabled);  // the system's roots
  EXPECT_FALSE(Parse("redis: {url: 'redis://r'}").redis.tls_enabled);

  SuiteConfig sentinel = Parse(R"(
redis:
  sentinel: {master_name: mymaster, addresses: ["s0:26379", "10.0.0.2:26380", "[::1]:26379"], db: 2}
  tls: {}
)");
  EXPECT_TRUE(sentinel.redis.enabled());
  EXPECT_TRUE(sentinel.redis.tls_enabled);
  EXPECT_EQ(sentinel.redis.sentinel.master_name, "mymaster");
  ASSERT_EQ(sentinel.redis.sentinel.addresses.size(), 3u);
  EXPECT_EQ(sentinel.redis.sentinel.addresses[1].host, "10.0.0.2");
  EXPECT_EQ(sentinel.redis.sentinel.addresses[1].port, 26380);
  EXPECT_EQ(sentinel.redis.sentinel.addresses[2].host, "::1");
  EXPECT_EQ(sentinel.redis.sentinel.db, 2);
  EXPECT_FALSE(Parse("redis: {sentinel: {master_name: m, addresses: ['s:1']}}").redis.tls_enabled);

  EXPECT_THAT(ErrorOf("redis: {url: 'redis://r', tls: {ca_file: /c}}"),
              HasSubstr("redis.tls: applies to a rediss:// url (or a sentinel) only"));
  EXPECT_THAT(ErrorOf("redis: {url: 'http://r'}"), HasSubstr("redis.url: must be redis:// or rediss://"));
  EXPECT_THAT(ErrorOf("redis: {tls: {ca_file: /c}}"), HasSubstr("redis.tls: needs a rediss:// url or a sentinel"));
  EXPECT_THAT(ErrorOf("redis: {url: 'redis://r', sentinel: {master_name: m, addresses: ['s:1']}}"),
              HasSubstr("redis.url: give either url or sentinel"));
  EXPECT_THAT(ErrorOf("redis: {sentinel: {addresses: ['s:1']}}"), HasSubstr("redis.sentinel.master_name:"));
  EXPECT_THAT(ErrorOf("redis: {sentinel: {master_name: m}}"), HasSubstr("redis.sentinel.addresses:"));
  for (const char* bad : {"s", "s:0", "s:70000", "u@s:1", "s:1/x", ":1"}) {
    EXPECT_THAT(ErrorOf(StrCat("redis: {sentinel: {master_name: m, addresses: ['", bad, "']}}")),
                HasSubstr("redis.sentinel.addresses[0]: ")) << bad;
  }
  EXPECT_THAT(ErrorOf("redis: {sentinel: {master_name: m, addresses: ['s:1'], password_file: ''}}"),
              HasSubstr("redis.sentinel.password_file: must name a file"));
}

TEST(SuiteConfigSections, MetadataSection) {
  SuiteConfig c = Parse(R"(
metadata: {resource_name: Files, resource_documentation: "https://docs.example.com", scopes_supported: [read, write]}
)");
  EXPECT_EQ(c.metadata.resource_name, "Files");
  EXPECT_EQ(c.metadata.scopes_supported, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(c.metadata.listen, "127.0.0.1:50053");
  EXPECT_THAT(ErrorOf("metadata: {scopes_supported: [read, offline_access]}"),
              HasSubstr("metadata.scopes_supported[1]: offline_access is not a resource scope"));
}

}  // namespace
}  // namespace mcpauth

namespace mcpauth {
namespace {

TEST(SuiteConfigTrust, EffectiveAuthorizationServers) {
  EXPECT_EQ(Parse("{}").EffectiveAuthorizationServers(), std::vector<std::string>{"https://as.dedaluslabs.ai"});
  EXPECT_EQ(Parse("jwt_validators: [{issuer: https://a, audience: x}]").EffectiveAuthorizationServers(),
            std::vector<std::string>{"https://a"});
  EXPECT_EQ(Parse("authorization: {authorization_servers: [https://b]}\njwt_validators: [{issuer: https://a, audience: x}]")
                .EffectiveAuthorizationServers(),
            std::vector<std::string>{"https://b"});
}

}  // namespace
}  // namespace mcpauth
