// mcpauth-bench-ext-authz: a closed-loop load generator for Envoy's external
// authorization API as the gateway serves it (envoy.service.auth.v3.Authorization/Check).
//
//   mcpauth-bench-ext-authz --target HOST:PORT --token TOKEN --host HOST:PORT
//                           --concurrency C --duration SECONDS [--pid PID]
//
// Every call is the CheckRequest Envoy's filter sends for an authorized MCP tools/call
// (with_request_body, raw headers): a POST /mcp with the bearer token and the JSON-RPC
// body. C calls are always in flight (gRPC's callback API: each answer starts the next)
// until the duration passes. Every latency is kept, so the percentiles are exact. With
// --pid, the server's CPU time (utime + stime) over the run gives calls per CPU-second
// of that process. Prints one JSON object; exits 1 if any call failed or was not allowed.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "tools/benchmarks/process_cpu.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace authz = envoy::service::auth::v3;

struct Options {
  std::string target, token, host;
  int concurrency = 16;
  double duration_seconds = 10;
  long pid = 0;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "mcpauth-bench-ext-authz: %s\nusage: mcpauth-bench-ext-authz --target HOST:PORT --token TOKEN "
               "--host HOST:PORT --concurrency C --duration SECONDS [--pid PID]\n",
               why.c_str());
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(flag + " needs a value");
    const std::string value = argv[i + 1];
    if (flag == "--target") {
      o.target = value;
    } else if (flag == "--token") {
      o.token = value;
    } else if (flag == "--host") {
      o.host = value;
    } else if (flag == "--concurrency") {
      o.concurrency = std::atoi(value.c_str());
    } else if (flag == "--duration") {
      o.duration_seconds = std::atof(value.c_str());
    } else if (flag == "--pid") {
      o.pid = std::atol(value.c_str());
    } else {
      Usage("unknown option " + flag);
    }
  }
  if (o.target.empty() || o.token.empty() || o.host.empty()) Usage("--target, --token and --host are required");
  if (o.concurrency < 1 || o.duration_seconds <= 0) Usage("bad numbers");
  return o;
}

using mcpauth::bench::ProcessCpuSeconds;

authz::CheckRequest MakeRequest(const Options& o) {
  const std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}})";
  authz::CheckRequest request;
  authz::AttributeContext* attributes = request.mutable_attributes();
  attributes->mutable_source()->mutable_address()->mutable_socket_address()->set_address("127.0.0.1");
  attributes->mutable_source()->mutable_address()->mutable_socket_address()->set_port_value(40000);
  authz::AttributeContext::HttpRequest* http = attributes->mutable_request()->mutable_http();
  http->set_id("bench");
  http->set_method("POST");
  http->set_path("/mcp");
  http->set_host(o.host);
  http->set_scheme("http");
  http->set_protocol("HTTP/1.1");
  http->set_size(static_cast<int64_t>(body.size()));
  http->set_raw_body(body);
  auto header = [&](const std::string& key, const std::string& value) {
    authz::HeaderValue* h = http->mutable_header_map()->add_headers();
    h->set_key(key);
    h->set_raw_value(value);
  };
  header(":authority", o.host);
  header(":method", "POST");
  header(":path", "/mcp");
  header("content-type", "application/json");
  header("accept", "application/json, text/event-stream");
  header("mcp-protocol-version", "2025-11-25");
  header("authorization", "Bearer " + o.token);
  header("content-length", std::to_string(body.size()));
  return request;
}

class LoadRun {
 public:
  LoadRun(const Options& options, std::shared_ptr<grpc::Channel> channel)
      : options_(options), request_(MakeRequest(options)), stub_(authz::Authorization::NewStub(channel)) {}

  void Run() {
    start_ = Clock::now();
    deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.duration_seconds));
    active_ = options_.concurrency;
    for (int i = 0; i < options_.concurrency; ++i) StartNext();
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return active_ == 0; });
    end_ = Clock::now();
  }
  double Seconds() const { return std::chrono::duration<double>(end_ - start_).count(); }
  long failures() const { return failures_.load(); }
  std::vector<int64_t> latencies() {
    std::lock_guard lock(mutex_);
    return latencies_ns_;
  }
  std::string first_failure() {
    std::lock_guard lock(mutex_);
    return first_failure_;
  }

 private:
  struct Call {
    grpc::ClientContext context;
    authz::CheckResponse response;
    Clock::time_point sent;
  };

  void StartNext() {
    if (Clock::now() >= deadline_) {
      std::lock_guard lock(mutex_);
      if (--active_ == 0) done_.notify_all();
      return;
    }
    auto* call = new Call;
    call->sent = Clock::now();
    stub_->async()->Check(&call->context, &request_, &call->response, [this, call](grpc::Status status) {
      const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - call->sent).count();
      const bool allowed = status.ok() && call->response.status().code() == 0 && call->response.has_ok_response();
      {
        std::lock_guard lock(mutex_);
        latencies_ns_.push_back(ns);
        if (!allowed && first_failure_.empty()) {
          first_failure_ = status.ok() ? call->response.status().message() : status.error_message();
        }
      }
      if (!allowed) failures_++;
      delete call;
      StartNext();
    });
  }

  const Options& options_;
  const authz::CheckRequest request_;
  std::unique_ptr<authz::Authorization::Stub> stub_;
  Clock::time_point start_, deadline_, end_;
  std::mutex mutex_;
  std::condition_variable done_;
  int active_ = 0;
  std::vector<int64_t> latencies_ns_;
  std::string first_failure_;
  std::atomic<long> failures_{0};
};

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  auto channel = grpc::CreateChannel(options.target, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "mcpauth-bench-ext-authz: cannot connect to %s\n", options.target.c_str());
    return 1;
  }
  const double cpu_before = options.pid > 0 ? ProcessCpuSeconds(options.pid) : -1;
  LoadRun run(options, channel);
  run.Run();
  const double cpu_after = options.pid > 0 ? ProcessCpuSeconds(options.pid) : -1;
  std::vector<int64_t> latencies = run.latencies();
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    if (latencies.empty()) return 0.0;
    return static_cast<double>(latencies[std::min(latencies.size() - 1, static_cast<size_t>(q * latencies.size()))]) / 1e3;
  };
  const double calls = static_cast<double>(latencies.size());
  const double cpu = cpu_before >= 0 && cpu_after >= 0 ? cpu_after - cpu_before : -1;
  std::printf(
      "{\"concurrency\":%d,\"calls\":%.0f,\"seconds\":%.3f,\"calls_per_second\":%.0f,\"p50_us\":%.0f,"
      "\"p99_us\":%.0f,\"server_cpu_seconds\":%.3f,\"calls_per_server_cpu_second\":%.0f,\"failed\":%ld,"
      "\"first_failure\":\"%s\"}\n",
      options.concurrency, calls, run.Seconds(), calls / run.Seconds(), at(0.5), at(0.99), cpu,
      cpu > 0 ? calls / cpu : -1.0, run.failures(), run.first_failure().c_str());
  return run.failures() == 0 ? 0 : 1;
}
