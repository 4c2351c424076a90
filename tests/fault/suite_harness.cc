#include "tests/fault/suite_harness.h"

#include <dirent.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "absl/time/clock.h"
#include "services/common/strings.h"
#include "tests/support/grpc_health.h"
#include "tests/support/ports.h"
#include "tests/support/raw_http.h"
#include "tests/support/wait_for.h"
#include "tests/support/wait_for.h"

namespace mcpauth::test {
namespace {

const std::string kBin = StrCat(MCPAUTH_BINARY_DIR, "/bin/");

const char* GrpcServiceName(const std::string& name) {
  if (name == "token-validation") return "mcpauth.v1.TokenValidation";
  if (name == "scope-policy") return "mcpauth.v1.ScopePolicy";
  return "mcpauth.v1.Metadata";
}

}  // namespace

SuiteProcesses::SuiteProcesses(SuiteOptions options)
    : options_(std::move(options)), key_(tv::testing::MakeKey("ES256", "fault-1")) {
  PickPorts();
  config_path_ = dir_.File("suite.yaml");
}

void SuiteProcesses::PickPorts() {
  gateway_port_ = PickFreePort();
  gateway_metrics_port_ = PickFreePort();
  for (const char* name : {"token-validation", "scope-policy", "metadata"}) {
    grpc_ports_[name] = PickFreePort();
    metrics_ports_[name] = PickFreePort();
  }
  metrics_ports_["gateway"] = gateway_metrics_port_;
  resource_ = options_.resource.empty() ? StrCat("http://127.0.0.1:", gateway_port_, "/mcp") : options_.resource;
}

SuiteProcesses::~SuiteProcesses() { StopAll(); }

void SuiteProcesses::StopAll() {
  for (const char* name : {"gateway", "metadata", "scope-policy", "token-validation"}) {
    auto it = processes_.find(name);
    if (it != processes_.end() && it->second) it->second->Stop(absl::Seconds(10));
  }
  processes_.clear();
}

absl::Status SuiteProcesses::Start() {
  if (options_.redis || options_.redis_sentinel) {
    redis_ = std::make_unique<RedisServerProcess>();
    if (absl::Status s = redis_->Start(); !s.ok()) return s;
  }
  if (options_.redis_sentinel) {
    redis_replica_ = std::make_unique<RedisServerProcess>(RedisServerOptions{.replica_of = redis_->port()});
    if (absl::Status s = redis_replica_->Start(); !s.ok()) return s;
    redis_sentinel_ = std::make_unique<RedisServerProcess>(RedisServerOptions{.sentinel_of = redis_->port()});
    if (absl::Status s = redis_sentinel_->Start(); !s.ok()) return s;
    // Ready for a failover: the replica is in sync and the sentinel knows it.
    const bool ready = WaitFor(
        [&] {
          auto role = redis_replica_->Command({"ROLE"});
          auto known = redis_sentinel_->Command({"SENTINEL", "REPLICAS", RedisServerProcess::kMasterName});
          return role.ok() && role->find("connected") != std::string::npos && known.ok() &&
                 known->find(std::to_string(redis_replica_->port())) != std::string::npos;
        },
        absl::Seconds(30));
    if (!ready) return absl::UnavailableError("the redis replica or sentinel did not come up");
  }
  for (int attempt = 1;; ++attempt) {
    absl::Status s = StartAll();
    const std::string why(s.message());
    const bool port_taken = why.find("cannot listen") != std::string::npos ||
                            why.find("cannot serve metrics") != std::string::npos ||
                            why.find("in use") != std::string::npos;
    if (s.ok() || attempt == 3 || !port_taken) return s;
    // A port picked free was taken before the service bound it (most likely as the
    // source port of another test's outgoing connection): new ports, once more.
    StopAll();
    PickPorts();
  }
}

std::string SuiteProcesses::metrics_url(const std::string& service) const {
  return StrCat("http://127.0.0.1:", metrics_ports_.at(service), "/metrics");
}

absl::Status SuiteProcesses::StartAll() {
  WriteFile(dir_.File("jwks.json"), tv::testing::JwksOf({&key_}));
  auto listen = [&](const std::string& name) {
    std::string extra;
    if (name == "token-validation" && options_.fetch_timeout > 0) {
      StrAppend(extra, ", fetch_timeout: ", options_.fetch_timeout);
    }
    if (name == "token-validation" && options_.refetch_interval > 0) {
      StrAppend(extra, ", unknown_kid_refetch_interval: ", options_.refetch_interval);
    }
    return StrCat("{listen: \"127.0.0.1:", grpc_ports_[name], "\", metrics_listen: \"127.0.0.1:", metrics_ports_[name],
                  "\", shutdown_grace: ", options_.shutdown_grace, extra, "}");
  };
  std::string keys = options_.jwks_uri.empty() ? StrCat("jwks_file: \"", dir_.File("jwks.json"), "\"")
                                               : StrCat("jwks_uri: \"", options_.jwks_uri, "\"");
  if (!options_.introspection_endpoint.empty()) {
    WriteFile(dir_.File("introspection-secret"), kIntrospectionSecret);
    StrAppend(keys, ", introspection: {endpoint: \"", options_.introspection_endpoint, "\", client_id: ",
              kIntrospectionClient, ", client_secret_file: \"", dir_.File("introspection-secret"),
              "\", cache_ttl: ", options_.introspection_cache_ttl, "}");
  }
  std::string config = StrCat(R"(resource: ")", resource_, R"("
logging: {level: warn}
authorization:
  enabled: true
  required_scopes: [mcp]
  fail_open: )",
                              options_.fail_open ? "true" : "false", R"(
jwt_validators:
  - {issuer: ")",
                              kIssuer, R"(", )", keys, R"(}
token_validation: )",
                              listen("token-validation"), R"(
scope_policy: )",
                              listen("scope-policy"), R"(
metadata: )",
                              listen("metadata"), R"(
gateway:
  listen: "127.0.0.1:)",
                              gateway_port_, R"("
  metrics_listen: "127.0.0.1:)",
                              gateway_metrics_port_, R"("
  threads: )",
                              options_.gateway_threads, R"(
  shutdown_grace: )",
                              options_.shutdown_grace, R"(
  validation_cache_ttl: )",
                              options_.validation_cache_ttl, R"(
  limits: {failed_auth_rate: )",
                              options_.failed_auth_rate, R"(, failed_auth_total_rate: )",
                              options_.failed_auth_total_rate, R"(}
  routes:
    - {path: /mcp, resource: ")",
                              resource_, R"(", upstream: ")", options_.upstream, R"("}
)");
  for (std::string route : options_.extra_routes) {
    for (size_t at = route.find("RESOURCE_ORIGIN"); at != std::string::npos; at = route.find("RESOURCE_ORIGIN")) {
      route.replace(at, 15, StrCat("http://127.0.0.1:", gateway_port_));
    }
    StrAppend(config, "    - ", route, "\n");
  }
  StrAppend(config, options_.gateway_yaml, "\n");
  if (redis_sentinel_) {
    StrAppend(config, "redis: {sentinel: {master_name: ", RedisServerProcess::kMasterName, ", addresses: [\"127.0.0.1:",
              redis_sentinel_->port(), "\"]}}\n");
  } else if (redis_) {
    StrAppend(config, "redis: {url: \"", redis_->Url(), "\"}\n");
  }
  StrAppend(config, options_.extra_yaml, "\n");
  if (!WriteFile(config_path_, config)) return absl::InternalError("cannot write the suite config");
  for (const char* name : kServices) {
    if (absl::Status s = StartService(name); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool SuiteProcesses::Ready(const std::string& name) {
  if (name == "gateway") {
    return RawHttpExchange(gateway_port_, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true,
                           absl::Seconds(2))
        .starts_with("HTTP/1.1 200");
  }
  return GrpcHealthServing(StrCat("127.0.0.1:", grpc_ports_[name]), GrpcServiceName(name), absl::Seconds(1));
}

absl::Status SuiteProcesses::StartService(const std::string& name) {
  auto& slot = processes_[name];
  if (slot && slot->Running()) return absl::FailedPreconditionError(StrCat(name, " is already running"));
  const int n = ++starts_[name];
  auto p = ChildProcess::Start({.argv = {StrCat(kBin, "mcpauth-", name), "--config", config_path_},
                                .env = {},
                                .log_path = dir_.File(StrCat(name, "-", n, ".log")),
                                .stderr_path = ""});
  if (!p.ok()) return p.status();
  slot = std::move(*p);
  if (!WaitFor([&] { return !slot->Running() || Ready(name); }, absl::Seconds(30), absl::Milliseconds(50)) ||
      !slot->Running()) {
    return absl::UnavailableError(StrCat(name, " did not become ready; log: ", slot->LogText()));
  }
  return absl::OkStatus();
}

int SuiteProcesses::StopService(const std::string& name, absl::Duration timeout) {
  auto it = processes_.find(name);
  if (it == processes_.end() || !it->second) return -1;
  return it->second->Stop(timeout);
}

void SuiteProcesses::KillService(const std::string& name) {
  auto it = processes_.find(name);
  if (it == processes_.end() || !it->second) return;
  it->second->Signal(SIGKILL);
  it->second->WaitForExit(absl::Seconds(10));
}

ChildProcess* SuiteProcesses::Process(const std::string& name) {
  auto it = processes_.find(name);
  return it == processes_.end() ? nullptr : it->second.get();
}

std::string SuiteProcesses::Mint(const std::string& subject, const std::string& scope, int ttl_seconds,
                                 const std::string& audience) const {
  static std::atomic<int64_t> serial{0};
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return tv::testing::Mint(key_, boost::json::object{{"iss", kIssuer},
                                                     {"sub", subject},
                                                     {"aud", audience.empty() ? resource_ : audience},
                                                     {"scope", scope},
                                                     {"iat", now},
                                                     {"exp", now + ttl_seconds},
                                                     {"jti", StrCat("fault-", ++serial)}});
}

std::string SuiteProcesses::JwksJson() const { return tv::testing::JwksOf({&key_}); }

std::string SuiteProcesses::MintBound(const std::string& subject, const std::string& scope,
                                      const std::string& jkt) const {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return tv::testing::Mint(key_, boost::json::object{{"iss", kIssuer},
                                                     {"sub", subject},
                                                     {"aud", resource_},
                                                     {"scope", scope},
                                                     {"iat", now},
                                                     {"exp", now + 3600},
                                                     {"cnf", boost::json::object{{"jkt", jkt}}}});
}

Exchange PostJson(int port, const std::string& path, const std::string& body, const std::string& headers,
                  absl::Duration timeout) {
  const std::string request =
      StrCat("POST ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n",
             "Accept: application/json, text/event-stream\r\nConnection: close\r\n", headers,
             "Content-Length: ", body.size(), "\r\n\r\n", body);
  const std::string response = RawHttpExchange(port, request, true, timeout);
  Exchange out;
  if (response.starts_with("HTTP/1.1 ") && response.size() >= 12) out.status = std::atoi(response.c_str() + 9);
  out.body = RawBody(response);
  return out;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartUpstream(int port, const std::string& log_path,
                                                            const std::string& binary, std::vector<std::string> args) {
  std::vector<std::string> argv = {StrCat(kBin, binary), std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = ChildProcess::Start({.argv = std::move(argv), .env = {}, .log_path = log_path, .stderr_path = ""});
  if (!p.ok()) return p.status();
  // A ping with Connection: close, answered at once (a GET would open an SSE stream
  // that the fault upstream keeps going for minutes).
  const std::string ping = R"({"jsonrpc":"2.0","id":0,"method":"ping"})";
  if (!WaitFor(
          [&] { return PostJson(port, "/mcp", ping, "", absl::Milliseconds(500)).status != 0 || !(*p)->Running(); },
          absl::Seconds(10), absl::Milliseconds(50)) ||
      !(*p)->Running()) {
    return absl::UnavailableError(StrCat(binary, " did not start: ", (*p)->LogText()));
  }
  return std::move(*p);
}

std::string ToolsCall(const std::string& tool, int id) {
  return StrCat(R"({"jsonrpc":"2.0","id":)", id, R"(,"method":"tools/call","params":{"name":")", tool,
                R"(","arguments":{}}})");
}

int OpenFdCount(int pid) {
  DIR* d = opendir(StrCat("/proc/", pid, "/fd").c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

long ResidentKiB(int pid) {
  std::ifstream in(StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::atol(line.c_str() + 6);
  }
  return -1;
}

LoadDriver::LoadDriver(int port, int threads, Request request, Judge judge, int64_t max_requests) {
  for (int t = 0; t < threads; ++t) {
    threads_.emplace_back([this, port, t, request, judge, max_requests] {
      for (int64_t n = 0; n < max_requests && !stop_.load(); ++n) {
        auto [body, headers] = request(t, n);
        const std::string label = judge(PostJson(port, "/mcp", body, headers));
        {
          std::lock_guard<std::mutex> lock(mu_);
          ++counts_[label];
        }
        ++total_;
      }
    });
  }
}

LoadDriver::~LoadDriver() { Stop(); }

void LoadDriver::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::map<std::string, int64_t> LoadDriver::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

int64_t LoadDriver::Total() const { return total_.load(); }

bool LoadDriver::WaitForMore(int64_t n, absl::Duration timeout) {
  const int64_t target = total_.load() + n;
  return WaitFor([&] { return total_.load() >= target; }, timeout, absl::Milliseconds(10));
}

}  // namespace mcpauth::test
