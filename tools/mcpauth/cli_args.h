// Flag parsing for the mcpauth CLI (`--name value` pairs after the sub-command
// words, repeated flags kept in order, unknown flags refused) and what several
// commands share: reading files, and a gRPC channel to a service.
#pragma once

#include <memory>

#include <boost/json/object.hpp>
#include <grpcpp/grpcpp.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcpauth::cli {

// A usage error: printed with the command's usage line, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Flags {
 public:
  // `allowed` lists the flag names (without "--") this command accepts.
  Flags(const std::vector<std::string>& args, const std::vector<std::string>& allowed);

  std::optional<std::string> Get(const std::string& name) const;
  std::string Required(const std::string& name) const;
  std::vector<std::string> All(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// A file's bytes, or UsageError.
std::string ReadFile(const std::string& path);
// A file holding one JSON object, or UsageError.
boost::json::object ReadJsonObject(const std::string& path);

// A channel to --server: plaintext, or TLS when --ca-file, --cert-file/--key-file
// (mutual TLS) or --server-name is given.
std::shared_ptr<grpc::Channel> ServiceChannel(const Flags& flags);

}  // namespace mcpauth::cli
