// mcpauth — the suite's command-line tool: makes keys, key sets, tokens and DPoP
// proofs, and asks a running token-validation service about a token. Output is
// JSON, except for a token or a proof, which is printed bare.
// Exit codes: 0 success (valid), 1 invalid token, 2 could not decide or bad usage.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "mcpauth/v1/token_validation.grpc.pb.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/token_validation/dpop_sign.h"
#include "services/token_validation/keygen.h"
#include "tools/mcpauth/cli_args.h"
#include "tools/mcpauth/credentials_cli.h"
#include "tools/mcpauth/mcp_client.h"

namespace mcpauth::cli {
namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  mcpauth keys generate --alg ES256|ES384|ES512|RS256|RS384|RS512|PS256|PS384|PS512|EdDSA --kid KID --out FILE [--bits N]\n"
    "  mcpauth keys jwks FILE...\n"
    "  mcpauth token mint --key FILE --iss ISS --aud AUD --sub SUB [--scope \"a b\"] [--ttl SECONDS]\n"
    "                     [--claim name=json]... [--typ TYP] [--iat UNIX] [--cnf-key FILE]\n"
    "  mcpauth dpop proof --key FILE --htm METHOD --htu URI [--token TOKEN] [--nonce N] [--iat UNIX] [--jti ID]\n"
    "  mcpauth validate --server HOST:PORT --token TOKEN [--resource URI] [--timeout SECONDS]\n"
    "                   [--scheme Bearer|DPoP] [--dpop PROOF --htm METHOD --htu URI]\n"
    "                   [--ca-file FILE] [--cert-file FILE --key-file FILE] [--server-name NAME]\n"
    "                   (TLS when any of these is given: the roots, else the system's; a client\n"
    "                   certificate for mutual TLS; the name the server's certificate must carry)\n"
    "  mcpauth mcp --url URL [--token TOKEN] [--dpop-key FILE] list-tools | call TOOL [JSON_ARGS]\n";

tv::Jwk LoadKey(const std::string& path, tv::JwkPrivacy privacy) {
  auto jwk = tv::Jwk::Parse(ReadJsonObject(path), privacy);
  if (!jwk.ok()) throw UsageError(StrCat("\"", path, "\": ", jwk.status().message()));
  return std::move(*jwk);
}

int KeysGenerate(const std::vector<std::string>& args) {
  Flags flags(args, {"alg", "kid", "out", "bits"});
  const tv::AlgSpec* alg = tv::FindAlg(flags.Required("alg"));
  if (alg == nullptr) throw UsageError("--alg: unsupported algorithm \"" + flags.Required("alg") + "\"");
  int64_t bits = 2048;
  if (auto b = flags.Get("bits"); b && !ParseInt64(*b, bits)) throw UsageError("--bits: not a number");
  auto jwk = tv::GeneratePrivateJwk(*alg, flags.Required("kid"), static_cast<int>(bits));
  if (!jwk.ok()) throw UsageError(std::string(jwk.status().message()));
  const std::string out = flags.Required("out");
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  if (!file) throw UsageError("cannot write \"" + out + "\"");
  file << ToJson(*jwk) << "\n";
  file.close();
  std::printf("%s\n", ToJson(boost::json::object{{"written", out}, {"kid", flags.Required("kid")},
                                                 {"alg", std::string(alg->name)}})
                          .c_str());
  return 0;
}

int KeysJwks(const std::vector<std::string>& args) {
  Flags flags(args, {});
  if (flags.positional().empty()) throw UsageError("keys jwks needs at least one key file");
  boost::json::array keys;
  for (const std::string& path : flags.positional()) {
    keys.push_back(LoadKey(path, tv::JwkPrivacy::kAllowPrivate).PublicJson());
  }
  std::printf("%s\n", ToJson(boost::json::object{{"keys", keys}}).c_str());
  return 0;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int TokenMint(const std::vector<std::string>& args) {
  Flags flags(args, {"key", "iss", "aud", "sub", "scope", "ttl", "claim", "typ", "iat", "cnf-key"});
  const tv::Jwk key = LoadKey(flags.Required("key"), tv::JwkPrivacy::kAllowPrivate);
  if (!key.has_private()) throw UsageError("--key: the key file holds no private key");
  const tv::AlgSpec* alg = tv::DefaultAlgFor(key);
  int64_t now = NowSeconds();
  if (auto iat = flags.Get("iat"); iat && !ParseInt64(*iat, now)) throw UsageError("--iat: not a number");
  int64_t ttl = 3600;
  if (auto t = flags.Get("ttl"); t && !ParseInt64(*t, ttl)) throw UsageError("--ttl: not a number");
  boost::json::object claims;
  claims["iss"] = flags.Required("iss");
  claims["aud"] = flags.Required("aud");
  claims["sub"] = flags.Required("sub");
  claims["iat"] = now;
  claims["nbf"] = now;
  claims["exp"] = now + ttl;
  claims["jti"] = StrCat("mcpauth-", now, "-", std::chrono::steady_clock::now().time_since_epoch().count());
  if (auto scope = flags.Get("scope")) claims["scope"] = *scope;
  for (const std::string& c : flags.All("claim")) {
    const size_t eq = c.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--claim takes name=json, got \"" + c + "\"");
    boost::json::value v;
    if (ParseStrictJson(c.substr(eq + 1), v) != JsonParseError::kNone) {
      throw UsageError("--claim " + c.substr(0, eq) + ": the value is not JSON (quote strings: name='\"text\"')");
    }
    claims[c.substr(0, eq)] = v;
  }
  // RFC 9449 §6.1: bound to the DPoP key in the file (public or private) by its
  // RFC 7638 thumbprint.
  if (auto cnf_key = flags.Get("cnf-key")) {
    if (claims.contains("cnf")) throw UsageError("--cnf-key and --claim cnf=... cannot be combined");
    claims["cnf"] = boost::json::object{{"jkt", LoadKey(*cnf_key, tv::JwkPrivacy::kAllowPrivate).Thumbprint()}};
  }
  boost::json::object header;
  header["typ"] = flags.Get("typ").value_or("at+jwt");
  auto token = tv::SignCompact(*alg, key, header, ToJson(claims));
  if (!token.ok()) throw UsageError(std::string(token.status().message()));
  std::printf("%s\n", token->c_str());
  return 0;
}

int DpopProofCommand(const std::vector<std::string>& args) {
  Flags flags(args, {"key", "htm", "htu", "token", "nonce", "iat", "jti"});
  const tv::Jwk key = LoadKey(flags.Required("key"), tv::JwkPrivacy::kAllowPrivate);
  if (!key.has_private()) throw UsageError("--key: the key file holds no private key");
  tv::DpopProofClaims claims{.htm = flags.Required("htm"), .htu = flags.Required("htu"), .iat = NowSeconds()};
  if (claims.htm.empty()) throw UsageError("--htm: empty method");
  if (auto iat = flags.Get("iat"); iat && !ParseInt64(*iat, claims.iat)) throw UsageError("--iat: not a number");
  claims.jti = flags.Get("jti").value_or("");
  claims.access_token = flags.Get("token");
  claims.nonce = flags.Get("nonce");
  auto proof = tv::MakeDpopProof(key, claims);
  if (!proof.ok()) throw UsageError(std::string(proof.status().message()));
  std::printf("%s\n", proof->c_str());
  return 0;
}

int Validate(const std::vector<std::string>& args) {
  Flags flags(args, {"server", "token", "resource", "timeout", "scheme", "dpop", "htm", "htu", "ca-file", "cert-file",
                     "key-file", "server-name"});
  v1::ValidateRequest request;
  request.set_token(flags.Required("token"));
  request.set_resource(flags.Get("resource").value_or(""));
  if (auto scheme = flags.Get("scheme")) {
    if (!EqualsIgnoreCase(*scheme, "Bearer") && !EqualsIgnoreCase(*scheme, "DPoP")) {
      throw UsageError("--scheme: Bearer or DPoP");
    }
    request.set_scheme(*scheme);
  }
  if (auto proof = flags.Get("dpop")) {
    request.mutable_dpop()->set_proof(*proof);
    request.mutable_dpop()->set_method(flags.Required("htm"));
    request.mutable_dpop()->set_uri(flags.Required("htu"));
  } else if (flags.Get("htm") || flags.Get("htu")) {
    throw UsageError("--htm and --htu describe the request a --dpop proof came with");
  }
  double timeout = 5;
  if (auto t = flags.Get("timeout"); t && !ParseDouble(*t, timeout)) throw UsageError("--timeout: not a number");
  auto channel = ServiceChannel(flags);
  auto stub = v1::TokenValidation::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000)));
  v1::ValidateResponse response;
  grpc::Status status = stub->Validate(&context, request, &response);
  if (!status.ok()) {
    std::printf("%s\n", ToJson(boost::json::object{{"error", "could_not_decide"},
                                                   {"grpc_status", static_cast<int>(status.error_code())},
                                                   {"message", status.error_message()}})
                            .c_str());
    return 2;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(response, &json, options);
  std::printf("%s\n", json.c_str());
  return response.valid() ? 0 : 1;
}

int Dispatch(const std::vector<std::string>& argv) {
  auto rest = [&](size_t n) { return std::vector<std::string>(argv.begin() + static_cast<long>(n), argv.end()); };
  if (argv.size() >= 2 && argv[0] == "keys" && argv[1] == "generate") return KeysGenerate(rest(2));
  if (argv.size() >= 2 && argv[0] == "keys" && argv[1] == "jwks") return KeysJwks(rest(2));
  if (argv.size() >= 2 && argv[0] == "token" && argv[1] == "mint") return TokenMint(rest(2));
  if (argv.size() >= 2 && argv[0] == "dpop" && argv[1] == "proof") return DpopProofCommand(rest(2));
  if (!argv.empty() && argv[0] == "validate") return Validate(rest(1));
  if (!argv.empty() && argv[0] == "mcp") return McpCommand(rest(1));
  if (!argv.empty() && argv[0] == "credentials") return CredentialsCommand(rest(1));
  if (!argv.empty() && (argv[0] == "help" || argv[0] == "--help" || argv[0] == "-h")) {
    std::printf("%s%s", kUsage, kCredentialsUsage);
    return 0;
  }
  throw UsageError(argv.empty() ? "missing command" : "unknown command \"" + argv[0] + "\"");
}

}  // namespace
}  // namespace mcpauth::cli

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return mcpauth::cli::Dispatch(args);
  } catch (const mcpauth::cli::UsageError& e) {
    std::fprintf(stderr, "mcpauth: %s\n%s%s", e.what(), mcpauth::cli::kUsage, mcpauth::cli::kCredentialsUsage);
    return 2;
  }
}
