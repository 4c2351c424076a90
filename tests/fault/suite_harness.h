// The whole suite as real processes on loopback, for attack, fault and load tests:
// mcpauth-token-validation, mcpauth-scope-policy, mcpauth-metadata and
// mcpauth-gateway from one generated config, an ES256 issuer key whose JWKS is a
// file, and optionally a redis-server. Each process can be stopped, killed and
// started again by name (on the same ports), which is what fault injection needs.
//
// Tokens are minted in process with the test signer (tests/token_validation/
// test_tokens.h), so a test can make thousands without spawning the CLI.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tests/support/child_process.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/token_validation/test_tokens.h"

namespace mcpauth::test {

struct SuiteOptions {
  std::string upstream;  // the /mcp route's upstream, http://127.0.0.1:PORT/path ("": none, front doors only)
  // The /mcp route's resource (and tokens' audience) when the clients reach it through
  // another proxy; "": http://127.0.0.1:GATEWAY_PORT/mcp.
  std::string resource;
  bool fail_open = false;
  bool redis = false;                // start a redis-server and configure redis.url
  // Instead: a master, a replica and a Sentinel (redis-server processes), and
  // redis.sentinel naming the master through the sentinel.
  bool redis_sentinel = false;
  double validation_cache_ttl = 30;  // gateway.validation_cache_ttl (0: every request validated)
  // gateway.limits.failed_auth_rate / failed_auth_total_rate. Off by default: the
  // fault and load tests send valid and forged tokens mixed from one address, and
  // would measure admission (tests/gateway, tools/benchmarks/overload_bench.sh)
  // instead of what they are about.
  double failed_auth_rate = 0;
  double failed_auth_total_rate = 0;
  double shutdown_grace = 5;         // every service's shutdown_grace
  int gateway_threads = 1;
  // The issuer's keys from this URL instead of a file (serve JwksJson() there).
  std::string jwks_uri;
  double fetch_timeout = 0;     // token_validation.fetch_timeout; 0: the default
  double refetch_interval = 0;  // token_validation.unknown_kid_refetch_interval; 0: the default
  // Extra top-level YAML (e.g. a tools: block), appended as is.
  std::string extra_yaml;
  // More routes, YAML flow mappings one per line, e.g.
  // {path: /other, resource: "...", upstream: "..."}; "RESOURCE_ORIGIN" in them is
  // replaced by http://127.0.0.1:GATEWAY_PORT.
  std::vector<std::string> extra_routes;
  // Extra keys inside the gateway section, one "key: value" per line, indented by the caller.
  std::string gateway_yaml;
  // The issuer also introspects opaque tokens (RFC 7662) at this URL, as client
  // SuiteProcesses::kIntrospectionClient with kIntrospectionSecret.
  std::string introspection_endpoint;
  double introspection_cache_ttl = 60;
};

class SuiteProcesses {
 public:
  static constexpr const char* kIssuer = "https://issuer.fault.test";
  static constexpr const char* kIntrospectionClient = "mcpauth-introspector";
  static constexpr const char* kIntrospectionSecret = "introspector-secret";
  static constexpr const char* kServices[] = {"token-validation", "scope-policy", "metadata", "gateway"};

  explicit SuiteProcesses(SuiteOptions options);
  ~SuiteProcesses();  // stops every process it started, gateway first

  // Writes the config and starts every service, then waits until each answers
  // (gRPC health for the three services, /readyz for the gateway). When a service
  // cannot listen on its port, tries again (twice at most) on new ports; so the
  // ports, resource() and tokens for it are only final once this returned.
  absl::Status Start();
  // Starts one service again (after Stop or Kill) and waits until it answers.
  absl::Status StartService(const std::string& name);
  // SIGTERM and wait (then SIGKILL after `timeout`); the exit status.
  int StopService(const std::string& name, absl::Duration timeout = absl::Seconds(10));
  // SIGKILL: a crash, no chance to clean up.
  void KillService(const std::string& name);
  ChildProcess* Process(const std::string& name);
  bool Ready(const std::string& name);

  RedisServerProcess* redis() { return redis_.get(); }  // the master with redis_sentinel
  RedisServerProcess* redis_replica() { return redis_replica_.get(); }
  RedisServerProcess* redis_sentinel() { return redis_sentinel_.get(); }
  int gateway_port() const { return gateway_port_; }
  int gateway_metrics_port() const { return gateway_metrics_port_; }
  std::string metrics_url(const std::string& service) const;
  // http://127.0.0.1:GATEWAY/mcp, the resource tokens are for.
  const std::string& resource() const { return resource_; }
  const std::string& config_path() const { return config_path_; }
  const TempDir& dir() const { return dir_; }

  // An access token for `subject` with `scope`, valid for `ttl_seconds`.
  std::string Mint(const std::string& subject, const std::string& scope, int ttl_seconds = 3600,
                   const std::string& audience = "") const;
  // The same, bound to the DPoP key with thumbprint `jkt` (cnf.jkt).
  std::string MintBound(const std::string& subject, const std::string& scope, const std::string& jkt) const;
  // The issuer's key set, {"keys":[…]}.
  std::string JwksJson() const;

 private:
  void PickPorts();
  absl::Status StartAll();
  void StopAll();

  SuiteOptions options_;
  TempDir dir_{"mcpauth-suite"};
  std::unique_ptr<RedisServerProcess> redis_, redis_replica_, redis_sentinel_;
  tv::testing::TestKey key_;
  int gateway_port_ = 0, gateway_metrics_port_ = 0;
  std::map<std::string, int> grpc_ports_, metrics_ports_;
  std::string resource_, config_path_;
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;
  std::map<std::string, int> starts_;
};

// One HTTP exchange's outcome, for load drivers: the status (0 when the connection
// failed or closed without an answer) and the body.
struct Exchange {
  int status = 0;
  std::string body;
};
// POST `body` to 127.0.0.1:port/path on a fresh connection with `headers`
// ("Name: value\r\n" each); Connection: close.
Exchange PostJson(int port, const std::string& path, const std::string& body, const std::string& headers,
                  absl::Duration timeout = absl::Seconds(10));
// Starts bin/mcpauth-fault-upstream (or another upstream binary taking PORT [ARGS])
// on `port` and waits until it accepts connections.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartUpstream(int port, const std::string& log_path,
                                                            const std::string& binary = "mcpauth-fault-upstream",
                                                            std::vector<std::string> args = {});
// A tools/call request body for `tool`.
std::string ToolsCall(const std::string& tool, int id = 1);

// Open file descriptors of `pid` (entries of /proc/PID/fd); -1 when unreadable.
int OpenFdCount(int pid);
// Resident set size of `pid` in KiB (VmRSS); -1 when unreadable.
long ResidentKiB(int pid);

// Closed-loop load for fault tests: `threads` clients, each sending one request at a
// time on a fresh connection until Stop() (or `max_requests` each), every answer
// handed to `judge` (on the client's thread), which returns a label to count.
class LoadDriver {
 public:
  using Request = std::function<std::pair<std::string, std::string>(int thread, int64_t n)>;  // body, headers
  using Judge = std::function<std::string(const Exchange&)>;
  LoadDriver(int port, int threads, Request request, Judge judge, int64_t max_requests = 1'000'000);
  ~LoadDriver();  // Stop()
  void Stop();
  // Label → count so far.
  std::map<std::string, int64_t> Counts() const;
  int64_t Total() const;
  // Waits until at least `n` more answers have been counted than when called, or `timeout`.
  bool WaitForMore(int64_t n, absl::Duration timeout);

 private:
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::map<std::string, int64_t> counts_;
  std::atomic<int64_t> total_{0};
};

}  // namespace mcpauth::test
