// libFuzzer target: the JWT/JWS parser and the whole verifier path. The input is a
// token as a client would send it. First the parsing steps alone (compact JWS,
// typ, claims, times, audience), then the full TokenValidator pipeline against
// issuer A of the attack corpus (its published keys, the clock at the corpus's
// "now"), so mutated seeds that keep a valid shape reach key selection and the
// signature check. Seeds: tests/fuzz/corpus/jws_jwt (valid and attack tokens).
#include <prometheus/registry.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "services/common/clock.h"
#include "services/common/suite_config.h"
#include "services/token_validation/issuers.h"
#include "services/token_validation/jwks_cache.h"
#include "services/token_validation/jws.h"
#include "services/token_validation/jwt.h"
#include "services/token_validation/token_cache.h"
#include "services/token_validation/tv_metrics.h"
#include "services/token_validation/validator.h"
#include "tests/fakes/fake_fetcher.h"

namespace {

using namespace mcpauth;
using namespace mcpauth::tv;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr int64_t kNow = 1767225600;  // the attack corpus's "now"

struct World {
  ManualClock clock{absl::FromUnixSeconds(kNow)};
  mcpauth::testing::FakeFetcher fetcher;
  prometheus::Registry registry;
  TokenValidationMetrics metrics{registry};
  SuiteConfig config = ParseSuiteConfig(YAML::Load(R"(
resource: https://mcp.attack.test/mcp
jwt_validators:
  - {issuer: https://as.attack.test, jwks_uri: https://as.attack.test/jwks}
  - {issuer: https://b.attack.test, jwks_uri: https://b.attack.test/jwks, audience: [api://b]}
)"));
  IssuerRegistry issuers = IssuerRegistry::FromConfig(config);
  JwksCache jwks{JwksCacheOptions{}, &fetcher, nullptr, &metrics, &clock};
  AuthorizationServerDirectory directory{&fetcher, nullptr, absl::Seconds(300), &registry, &clock};
  TokenValidator validator{ValidatorOptions{.default_resource = "https://mcp.attack.test/mcp"},
                           &issuers,
                           &jwks,
                           &directory,
                           nullptr,
                           &metrics,
                           &clock};
  World() {
    fetcher.Serve("https://as.attack.test/jwks", ReadFile(MCPAUTH_SOURCE_DIR "/tests/attack/corpus/jwks-a.json"));
    fetcher.Serve("https://b.attack.test/jwks", ReadFile(MCPAUTH_SOURCE_DIR "/tests/attack/corpus/jwks-b.json"));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();
  const std::string token(reinterpret_cast<const char*>(data), size);

  ParsedJws jws;
  if (ParseCompactJws(token, jws) == v1::REASON_OK) {
    (void)IsAccessTokenTyp(jws.typ);
    JwtClaims claims;
    if (ParseJwtClaims(jws.payload, claims) == v1::REASON_OK) {
      (void)CheckTimes(claims, absl::FromUnixSeconds(kNow), absl::Seconds(60));
      (void)CheckAudience(claims, {"https://mcp.attack.test/mcp"});
    }
  }
  ValidationResult r = world->validator.Validate({token, ""});
  // An accepted token must be a genuine one: its issuer trusted and claims present.
  if (r.valid() && (r.token() == nullptr || !r.token()->claims.issuer)) __builtin_trap();
  return 0;
}
