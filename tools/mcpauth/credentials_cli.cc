#include "tools/mcpauth/credentials_cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <google/protobuf/util/json_util.h>

#include "mcpauth/v1/credentials.grpc.pb.h"
#include "services/common/json.h"
#include "services/common/strings.h"
#include "services/credentials/credential.h"
#include "services/token_validation/jwe.h"
#include "tools/mcpauth/cli_args.h"

namespace mcpauth::cli {

const char* const kCredentialsUsage =
    "  mcpauth credentials keygen --kid KID --out FILE          (prints the public key to seal with)\n"
    "  mcpauth credentials seal --public-key FILE --iss ISS --sub SUB --host HOST [--host HOST]...\n"
    "                           --inject bearer|header:NAME|query:NAME --label LABEL\n"
    "                           --secret-file FILE|- [--client-id ID] [--exp UNIX] [--resource URI]...\n"
    "  mcpauth credentials store --server HOST:PORT --sealed JWE|--sealed-file FILE [TLS flags]\n"
    "  mcpauth credentials list --server HOST:PORT --iss ISS --sub SUB [TLS flags]\n"
    "  mcpauth credentials revoke --server HOST:PORT --handle HANDLE [TLS flags]\n"
    "                           (TLS flags: --ca-file, --cert-file/--key-file, --server-name, as for validate)\n";

namespace {

constexpr const char* kTlsFlags[] = {"ca-file", "cert-file", "key-file", "server-name"};

std::vector<std::string> WithTls(std::vector<std::string> names) {
  names.insert(names.end(), std::begin(kTlsFlags), std::end(kTlsFlags));
  return names;
}

void PrintMessage(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::printf("%s\n", json.c_str());
}

int Finish(const grpc::Status& status, const google::protobuf::Message& response) {
  if (!status.ok()) {
    std::printf("%s\n", ToJson(boost::json::object{{"error", static_cast<int>(status.error_code())},
                                                   {"message", status.error_message()}})
                            .c_str());
    return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? 1 : 2;
  }
  PrintMessage(response);
  return 0;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

int Keygen(const std::vector<std::string>& args) {
  Flags flags(args, {"kid", "out"});
  auto jwk = tv::GenerateAgreementJwk(flags.Required("kid"));
  if (!jwk.ok()) throw UsageError(std::string(jwk.status().message()));
  const std::string out = flags.Required("out");
  // Created readable by its owner only, and never over an existing key.
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw UsageError("cannot create \"" + out + "\" (it must not exist yet)");
  const std::string text = ToJson(*jwk) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) throw UsageError("cannot write \"" + out + "\"");
  auto key = tv::ParseAgreementKey(*jwk, true);
  if (!key.ok()) throw UsageError(std::string(key.status().message()));
  std::printf("%s\n", ToJson(key->public_jwk).c_str());
  return 0;
}

int Seal(const std::vector<std::string>& args) {
  Flags flags(args, {"public-key", "iss", "sub", "client-id", "host", "inject", "label", "secret-file", "exp", "resource"});
  auto recipient = tv::ParseAgreementKey(ReadJsonObject(flags.Required("public-key")), /*with_private=*/false);
  if (!recipient.ok()) throw UsageError(StrCat("--public-key: ", recipient.status().message()));
  credentials::CredentialBinding binding;
  binding.issuer = flags.Required("iss");
  binding.subject = flags.Required("sub");
  binding.client_id = flags.Get("client-id").value_or("");
  binding.hosts = flags.All("host");
  binding.label = flags.Required("label");
  binding.resources = flags.All("resource");
  const std::string inject = flags.Required("inject");
  const size_t colon = inject.find(':');
  const std::string kind = inject.substr(0, colon);
  binding.injection_name = colon == std::string::npos ? "" : inject.substr(colon + 1);
  binding.injection = kind == "bearer"   ? v1::INJECTION_KIND_BEARER
                      : kind == "header" ? v1::INJECTION_KIND_HEADER
                      : kind == "query"  ? v1::INJECTION_KIND_QUERY
                                         : v1::INJECTION_KIND_UNSPECIFIED;
  if (auto exp = flags.Get("exp")) {
    int64_t seconds = 0;
    if (!ParseInt64(*exp, seconds)) throw UsageError("--exp: Unix seconds");
    binding.expires_at = seconds;
  }
  const boost::json::object header = credentials::BindingHeader(binding);
  // The service checks the same rules; checked here too so a mistake shows before sealing.
  if (auto checked = credentials::ReadBinding(header); !checked.ok()) {
    throw UsageError(std::string(checked.status().message()));
  }
  // The secret from a file or stdin, never from the command line (ps would show it).
  const std::string source = flags.Required("secret-file");
  std::string secret;
  if (source == "-") {
    std::stringstream buffer;
    buffer << std::cin.rdbuf();
    secret = buffer.str();
  } else {
    secret = ReadFile(source);
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) throw UsageError("--secret-file: the secret is empty");
  auto sealed = tv::SealCompact(*recipient, secret, header);
  if (!sealed.ok()) throw UsageError(std::string(sealed.status().message()));
  std::printf("%s\n", sealed->c_str());
  return 0;
}

int Store(const std::vector<std::string>& args) {
  Flags flags(args, WithTls({"server", "sealed", "sealed-file"}));
  v1::StoreCredentialRequest request;
  if (auto file = flags.Get("sealed-file")) {
    std::string text = ReadFile(*file);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    request.set_sealed(text);
  } else {
    request.set_sealed(flags.Required("sealed"));
  }
  v1::CredentialInfo response;
  auto context = Context();
  return Finish(v1::Credentials::NewStub(ServiceChannel(flags))->Store(context.get(), request, &response), response);
}

int List(const std::vector<std::string>& args) {
  Flags flags(args, WithTls({"server", "iss", "sub"}));
  v1::ListCredentialsRequest request;
  request.set_issuer(flags.Required("iss"));
  request.set_subject(flags.Required("sub"));
  v1::ListCredentialsResponse response;
  auto context = Context();
  return Finish(v1::Credentials::NewStub(ServiceChannel(flags))->List(context.get(), request, &response), response);
}

int Revoke(const std::vector<std::string>& args) {
  Flags flags(args, WithTls({"server", "handle"}));
  v1::RevokeCredentialRequest request;
  request.set_handle(flags.Required("handle"));
  v1::RevokeCredentialResponse response;
  auto context = Context();
  return Finish(v1::Credentials::NewStub(ServiceChannel(flags))->Revoke(context.get(), request, &response), response);
}

}  // namespace

int CredentialsCommand(const std::vector<std::string>& args) {
  const std::vector<std::string> rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "keygen") return Keygen(rest);
  if (sub == "seal") return Seal(rest);
  if (sub == "store") return Store(rest);
  if (sub == "list") return List(rest);
  if (sub == "revoke") return Revoke(rest);
  throw UsageError(sub.empty() ? "credentials: missing sub-command" : "credentials: unknown sub-command \"" + sub + "\"");
}

}  // namespace mcpauth::cli
