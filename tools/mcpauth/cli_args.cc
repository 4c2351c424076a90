#include "tools/mcpauth/cli_args.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "services/common/json.h"

namespace mcpauth::cli {

Flags::Flags(const std::vector<std::string>& args, const std::vector<std::string>& allowed) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
      value = args[++i];
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw UsageError("unknown flag --" + name);
    }
    values_.emplace(name, value);
  }
}

std::optional<std::string> Flags::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Flags::Required(const std::string& name) const {
  auto v = Get(name);
  if (!v) throw UsageError("--" + name + " is required");
  return *v;
}

std::vector<std::string> Flags::All(const std::string& name) const {
  std::vector<std::string> out;
  auto [begin, end] = values_.equal_range(name);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read \"" + path + "\"");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

boost::json::object ReadJsonObject(const std::string& path) {
  boost::json::value v;
  if (ParseStrictJson(ReadFile(path), v) != JsonParseError::kNone || !v.is_object()) {
    throw UsageError("\"" + path + "\" is not a JSON object");
  }
  return v.get_object();
}

// Plaintext, or TLS (mutual with a client certificate) when a TLS flag is given.
std::shared_ptr<grpc::Channel> ServiceChannel(const Flags& flags) {
  const std::string server = flags.Required("server");
  const auto ca = flags.Get("ca-file"), cert = flags.Get("cert-file"), key = flags.Get("key-file");
  const auto name = flags.Get("server-name");
  if (!ca && !cert && !key && !name) return grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  if (cert.has_value() != key.has_value()) throw UsageError("--cert-file and --key-file come together");
  grpc::SslCredentialsOptions tls;
  if (ca) tls.pem_root_certs = ReadFile(*ca);
  if (cert) {
    tls.pem_cert_chain = ReadFile(*cert);
    tls.pem_private_key = ReadFile(*key);
  }
  grpc::ChannelArguments channel_args;
  if (name) channel_args.SetSslTargetNameOverride(*name);
  return grpc::CreateCustomChannel(server, grpc::SslCredentials(tls), channel_args);
}

}  // namespace mcpauth::cli
