// The suite's one YAML configuration file. Every service loads the whole file with
// the same schema (so a typo anywhere is caught by whichever service starts first)
// and uses its own section. Each section is declared beside the code that uses it
// (authorization_config.h, redis_config.h, service_section.h, token_validation/
// settings.h, metadata/settings.h, gateway/settings.h); this header is the whole
// file and its parser.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gateway/settings.h"
#include "mcpauth/v1/scope_policy.pb.h"
#include "services/common/authorization_config.h"
#include "services/common/log.h"
#include "services/common/redis_config.h"
#include "services/common/service_section.h"
#include "services/common/yaml_reader.h"
#include "services/credentials/settings.h"
#include "services/metadata/settings.h"
#include "services/token_validation/settings.h"

namespace mcpauth {

struct SuiteConfig {
  std::string source_path;  // the file it was loaded from
  std::string resource;     // canonical resource URI; the default audience
  log::Level log_level = log::Level::kInfo;
  AuthorizationConfig authorization;
  std::vector<JwtValidatorConfig> jwt_validators;
  RedisConfig redis;
  std::string policy_file;  // where the policy lives when not in this file (hot-reloaded)
  v1::Policy policy;        // from this file; empty when policy_file is set
  TokenValidationSection token_validation;
  ServiceSection scope_policy;
  MetadataSection metadata;
  GatewaySection gateway;
  CredentialsSection credentials;  // enabled only when the file has the section

  // The protected resources: one per gateway route (the routes' canonical URIs).
  std::vector<std::string> Resources() const;

  // The authorization servers clients are sent to (RFC 9728 authorization_servers)
  // and whose tokens are trusted besides jwt_validators: authorization_servers when
  // the file sets it; otherwise the validators' issuers; otherwise the default
  // server. (Configuring validators never silently keeps trusting the default.)
  std::vector<std::string> EffectiveAuthorizationServers() const;
};

// Throws ConfigError with the offending key's path.
SuiteConfig ParseSuiteConfig(const YAML::Node& root);

// Reads a policy document laid out as the main file lays it out (authorization.
// required_scopes and scope_strategy, tools, resources, prompts, policy); other keys
// are errors. Used for the main file and for policy_file.
v1::Policy ParsePolicyFile(const YAML::Node& root, const std::string& source);

SuiteConfig LoadSuiteConfig(const std::string& path);

// The text of a file named in the configuration (e.g. a password file), with
// trailing newlines removed; ConfigError naming `key_path` when unreadable.
std::string ReadConfigFile(const std::string& path, const std::string& key_path);

}  // namespace mcpauth
