// The egress: how an MCP server makes a third-party call with a user's credential
// without ever holding it. The MCP server sends the request it wants made to the
// service's HTTP port:
//
//   <METHOD> /v1/egress HTTP/1.1
//   X-MCP-Credential: h_…            the handle (X-MCP-Auth-Credentials lists them)
//   X-MCP-Auth-Grant: eyJ…           the grant the gateway attached to its request
//   X-MCP-Egress-Url: https://api.example.com/v1/me?x=1
//   (other headers and the body: passed on)
//
// The service checks the grant (the gateway's signature, unexpired, uses left), that
// the handle exists and belongs to the grant's owner (and client, when bound to one),
// that the credential has not expired and that the URL's host is one it may go to;
// then it opens the sealed secret, adds it as the credential says (Authorization:
// Bearer, a header, or a query parameter), makes the call (no redirects followed)
// and answers with the third party's status, body and a few safe headers. A refusal
// is a JSON error {"error": <code>, "error_description": …} with its own status.
// Every call is one audit log line (owner, handle, host, status; never the secret)
// and one count in mcpauth_credentials_egress_total{result}.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/kv_store.h"
#include "services/credentials/store.h"
#include "services/credentials/vault.h"
#include "services/credentials/credentials_metrics.h"
#include "services/token_validation/jwks.h"

namespace mcpauth::credentials {

inline constexpr char kEgressPath[] = "/v1/egress";
inline constexpr char kHandleHeader[] = "X-MCP-Credential";
inline constexpr char kGrantHeader[] = "X-MCP-Auth-Grant";
inline constexpr char kUrlHeader[] = "X-MCP-Egress-Url";

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct EgressRequest {
  std::string method;
  std::string target;
  HeaderList headers;
  std::string body;
  std::string peer;  // the caller's address, for the audit log

  std::string Header(std::string_view name) const;  // the first with this name (any case), or ""
  int Count(std::string_view name) const;
};

struct EgressAnswer {
  int status = 200;
  HeaderList headers;
  std::string body;
};

// The outbound call, behind an interface so tests can watch what is sent.
struct OutboundRequest {
  std::string method;
  std::string url;
  HeaderList headers;
  std::string body;
};
class OutboundClient {
 public:
  virtual ~OutboundClient() = default;
  // Any HTTP status is an answer; a transport failure is an error.
  virtual absl::StatusOr<EgressAnswer> Call(const OutboundRequest& request) = 0;
};

struct CurlOutboundOptions {
  absl::Duration timeout = absl::Seconds(10);
  size_t max_response_bytes = 4 << 20;
};
// libcurl: http and https only, redirects never followed, the URL checked by the
// suite's fetch rules (https, or http to loopback).
std::unique_ptr<OutboundClient> MakeCurlOutbound(CurlOutboundOptions options);

class Egress {
 public:
  Egress(const Vault* vault, CredentialStore* store, KeyValueStore* grant_uses, const tv::KeySet* grant_keys,
         OutboundClient* outbound, CredentialsMetrics* metrics, const Clock* clock = SystemClock::Get());

  EgressAnswer Handle(const EgressRequest& request);

 private:
  const Vault* vault_;
  CredentialStore* store_;
  KeyValueStore* grant_uses_;
  const tv::KeySet* grant_keys_;
  OutboundClient* outbound_;
  CredentialsMetrics* metrics_;
  const Clock* clock_;
};

// A small HTTP/1.1 server for the egress port (Boost.Beast): one thread per
// connection, at most `max_connections` at once (more are closed at once), bodies
// up to `max_body_bytes` (413 beyond), keep-alive with an idle timeout.
struct EgressServerOptions {
  std::string listen;
  int64_t max_connections = 1024;
  int64_t max_body_bytes = 1 << 20;
  absl::Duration idle_timeout = absl::Seconds(30);
};
class EgressServer {
 public:
  EgressServer(EgressServerOptions options, std::function<EgressAnswer(const EgressRequest&)> handler);
  ~EgressServer();  // Stop()
  absl::Status Start();
  void Stop();
  int port() const { return port_; }

 private:
  struct State;
  EgressServerOptions options_;
  std::function<EgressAnswer(const EgressRequest&)> handler_;
  std::shared_ptr<State> state_;
  std::thread acceptor_;
  int port_ = 0;
};

}  // namespace mcpauth::credentials
