// mcpauth-bench-grpc: a closed-loop load generator for TokenValidation/Validate.
//
//   mcpauth-bench-grpc --target 127.0.0.1:PORT --tokens FILE --concurrency C
//                      --requests N --duration SECONDS [--mode cached|uncached]
//                      [--api unary|stream] [--resource URI] [--pid PID] [--label TEXT]
//                      [--ca-file FILE [--cert-file FILE --key-file FILE]]
//
// C validations are always in flight (gRPC's callback API: each answer starts the
// next), until N were made or the duration bound passed, whichever is first. With
// --api unary (the default) each is a Validate call; with --api stream they go over
// ValidateStream, one stream per 32 in flight (at least one).
// `cached` sends the first token of FILE every time (after one warm-up call, so the
// service's validated-token cache answers); `uncached` sends each token of FILE once
// (one per line, minted ahead of time), so every call is a cache miss. Every latency
// is kept, so the percentiles are exact; a log-scale histogram is printed with them.
// With --pid, the service's CPU time (utime + stime from /proc/PID/stat) over the run
// is divided by the calls made: CPU per request. Prints one JSON object on stdout;
// exits 1 if any call failed or a token was refused (a benchmark of errors is not one).
// With --ca-file the channel is TLS (the service's certificate checked against that CA),
// mutual with --cert-file/--key-file.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "mcpauth/v1/token_validation.grpc.pb.h"
#include "tools/benchmarks/process_cpu.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = mcpauth::v1;

struct Options {
  std::string target;
  std::string tokens_file;
  std::string resource;
  std::string mode = "cached";
  std::string api = "unary";
  std::string label;
  int concurrency = 1;
  long requests = 10000;
  double duration_seconds = 10;
  long pid = 0;
  std::string ca_file, cert_file, key_file;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "mcpauth-bench-grpc: %s\nusage: mcpauth-bench-grpc --target HOST:PORT --tokens FILE --concurrency C "
               "--requests N --duration SECONDS [--mode cached|uncached] [--api unary|stream] [--resource URI] [--pid PID] "
               "[--label TEXT] [--ca-file FILE [--cert-file FILE --key-file FILE]]\n",
               why.c_str());
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--target")
      o.target = value;
    else if (flag == "--tokens")
      o.tokens_file = value;
    else if (flag == "--resource")
      o.resource = value;
    else if (flag == "--mode")
      o.mode = value;
    else if (flag == "--api")
      o.api = value;
    else if (flag == "--label")
      o.label = value;
    else if (flag == "--concurrency")
      o.concurrency = std::atoi(value.c_str());
    else if (flag == "--requests")
      o.requests = std::atol(value.c_str());
    else if (flag == "--duration")
      o.duration_seconds = std::atof(value.c_str());
    else if (flag == "--ca-file")
      o.ca_file = value;
    else if (flag == "--cert-file")
      o.cert_file = value;
    else if (flag == "--key-file")
      o.key_file = value;
    else if (flag == "--pid")
      o.pid = std::atol(value.c_str());
    else
      Usage("unknown option " + flag);
  }
  if (o.target.empty() || o.tokens_file.empty()) Usage("--target and --tokens are required");
  if (o.mode != "cached" && o.mode != "uncached") Usage("--mode is cached or uncached");
  if (o.api != "unary" && o.api != "stream") Usage("--api is unary or stream");
  if (o.concurrency < 1 || o.requests < 1 || o.duration_seconds <= 0) Usage("bad numbers");
  return o;
}

using mcpauth::bench::ProcessCpuSeconds;

long ProcessRssKib(long pid, const char* key) {  // key: "VmRSS:" or "VmHWM:"
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  }
  return -1;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class LoadRun {
 public:
  LoadRun(const Options& options, std::vector<std::string> tokens, std::shared_ptr<grpc::Channel> channel)
      : options_(options),
        tokens_(std::move(tokens)),
        stub_(v1::TokenValidation::NewStub(channel)),
        limit_(options.mode == "cached" ? options.requests
                                        : std::min<long>(options.requests, static_cast<long>(tokens_.size()))),
        latencies_ns_(static_cast<size_t>(limit_), -1),
        started_(static_cast<size_t>(limit_)) {}

  // Runs to completion.
  void Run() {
    start_ = Clock::now();
    deadline_ =
        start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.duration_seconds));
    if (options_.api == "unary") {
      active_ = options_.concurrency;
      for (int slot = 0; slot < options_.concurrency; ++slot) StartNext();
    } else {
      const int streams = std::max(1, options_.concurrency / 32);
      active_ = streams;
      for (int i = 0; i < streams; ++i) {
        const int in_flight = options_.concurrency / streams + (i < options_.concurrency % streams ? 1 : 0);
        new StreamLane(this, in_flight);  // deletes itself when its stream is done
      }
    }
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return active_ == 0; });
    end_ = Clock::now();
  }

  double Seconds() const { return std::chrono::duration<double>(end_ - start_).count(); }
  long failures() const { return failures_.load(); }
  long refused() const { return refused_.load(); }
  std::string first_failure() {
    std::lock_guard lock(mutex_);
    return first_failure_;
  }
  std::vector<int64_t>& latencies() { return latencies_ns_; }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::ValidateRequest request;
    v1::ValidateResponse response;
    long index = 0;
  };

  // ValidateStream with `in_flight` requests outstanding: each answer sends the next
  // request; requests made while a message is being written go together in the
  // next one. When none is left, the lane closes its side and the service ends the
  // stream after the last answer.
  class StreamLane final : public grpc::ClientBidiReactor<v1::ValidateStreamRequest, v1::ValidateStreamResponse> {
   public:
    StreamLane(LoadRun* run, int in_flight) : run_(run) {
      run_->stub_->async()->ValidateStream(&context_, this);
      StartRead(&reply_);
      for (int i = 0; i < in_flight; ++i) SendNext();
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;  // the stream is over; OnDone follows
      for (const v1::ValidateStreamAnswer& answer : reply_.answers()) {
        const grpc::Status status(static_cast<grpc::StatusCode>(answer.status_code()), answer.status_message());
        run_->Record(static_cast<long>(answer.id()), status, answer.response());
        SendNext();
      }
      StartRead(&reply_);
    }
    void OnWriteDone(bool ok) override {
      std::unique_lock lock(mu_);
      writing_.clear_items();
      if (!ok) broken_ = true;
      WriteNext(lock);
    }
    void OnDone(const grpc::Status& status) override {
      if (!status.ok()) run_->Fail(status.error_message());
      run_->SlotDone();
      delete this;
    }

   private:
    void SendNext() {
      const long index = run_->Take();
      std::unique_lock lock(mu_);
      if (index < 0) {
        no_more_ = true;
      } else {
        v1::ValidateStreamItem* item = gathering_.add_items();
        item->set_id(static_cast<uint64_t>(index));
        run_->Fill(index, *item->mutable_request());
      }
      if (writing_.items_size() == 0) WriteNext(lock);
    }
    // Writes the gathered requests, or closes the sending side once nothing is left
    // to send; one operation at a time. Unlocks `lock`.
    void WriteNext(std::unique_lock<std::mutex>& lock) {
      if (broken_) return;
      if (gathering_.items_size() > 0) {
        writing_.Swap(&gathering_);
        lock.unlock();
        StartWrite(&writing_);
        return;
      }
      const bool close = no_more_ && !closed_;
      closed_ = closed_ || close;
      lock.unlock();
      if (close) StartWritesDone();
    }

    LoadRun* const run_;
    grpc::ClientContext context_;
    v1::ValidateStreamResponse reply_;
    std::mutex mu_;
    v1::ValidateStreamRequest writing_;    // the message being written; empty when none is
    v1::ValidateStreamRequest gathering_;  // requests for the next message
    bool no_more_ = false;
    bool closed_ = false;
    bool broken_ = false;
  };

  // The next request's index, or -1 when the count or the duration bound is reached.
  long Take() {
    const long index = issued_.fetch_add(1);
    if (index >= limit_ || Clock::now() >= deadline_) return -1;
    return index;
  }
  // The request for `index`; its clock starts now.
  void Fill(long index, v1::ValidateRequest& request) {
    request.set_token(options_.mode == "cached" ? tokens_[0] : tokens_[static_cast<size_t>(index)]);
    if (!options_.resource.empty()) request.set_resource(options_.resource);
    started_[static_cast<size_t>(index)] = Clock::now();
  }
  void Record(long index, const grpc::Status& status, const v1::ValidateResponse& response) {
    latencies_ns_[static_cast<size_t>(index)] =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started_[static_cast<size_t>(index)])
            .count();
    if (!status.ok()) {
      Fail(status.error_message());
    } else if (!response.valid() && refused_.fetch_add(1) == 0) {
      std::lock_guard lock(mutex_);
      first_failure_ = response.error_description();
    }
  }
  void Fail(const std::string& why) {
    if (failures_.fetch_add(1) == 0) {
      std::lock_guard lock(mutex_);
      first_failure_ = why;
    }
  }
  void SlotDone() {
    std::lock_guard lock(mutex_);
    if (--active_ == 0) done_.notify_all();
  }

  void StartNext() {
    const long index = Take();
    if (index < 0) {
      SlotDone();
      return;
    }
    auto* call = new Call;
    call->index = index;
    Fill(index, call->request);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stub_->async()->Validate(&call->context, &call->request, &call->response, [this, call](grpc::Status status) {
      Record(call->index, status, call->response);
      delete call;
      StartNext();
    });
  }

  const Options& options_;
  const std::vector<std::string> tokens_;
  std::unique_ptr<v1::TokenValidation::Stub> stub_;
  const long limit_;
  std::vector<int64_t> latencies_ns_;
  std::vector<Clock::time_point> started_;
  std::atomic<long> issued_{0};
  std::atomic<long> failures_{0};
  std::atomic<long> refused_{0};
  Clock::time_point start_, deadline_, end_;
  std::mutex mutex_;
  std::condition_variable done_;
  int active_ = 0;
  std::string first_failure_;
};

double Percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  std::vector<std::string> tokens;
  {
    std::ifstream in(options.tokens_file);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) tokens.push_back(line);
    }
  }
  if (tokens.size() < 2) Usage("the token file needs at least two tokens");

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.ca_file.empty()) {
    auto read = [](const std::string& path) {
      std::ifstream in(path, std::ios::binary);
      if (!in) Usage("cannot read " + path);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    grpc::SslCredentialsOptions tls{.pem_root_certs = read(options.ca_file)};
    if (!options.cert_file.empty()) {
      tls.pem_cert_chain = read(options.cert_file);
      tls.pem_private_key = read(options.key_file);
    }
    credentials = grpc::SslCredentials(tls);
  }
  auto channel = grpc::CreateCustomChannel(options.target, credentials, args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    std::fprintf(stderr, "mcpauth-bench-grpc: cannot connect to %s\n", options.target.c_str());
    return 1;
  }
  // Warm-up: one call with the cached token (or the pool's last token, which the
  // uncached run then leaves out), so connection set-up and key loading are not timed.
  {
    std::string warm = options.mode == "cached" ? tokens.front() : tokens.back();
    if (options.mode == "uncached") tokens.pop_back();
    auto stub = v1::TokenValidation::NewStub(channel);
    grpc::ClientContext context;
    v1::ValidateRequest request;
    v1::ValidateResponse response;
    request.set_token(warm);
    if (!options.resource.empty()) request.set_resource(options.resource);
    const grpc::Status status = stub->Validate(&context, request, &response);
    if (!status.ok() || !response.valid()) {
      std::fprintf(stderr, "mcpauth-bench-grpc: warm-up call failed: %s%s\n", status.error_message().c_str(),
                   response.error_description().c_str());
      return 1;
    }
  }

  LoadRun run(options, std::move(tokens), channel);
  const double service_cpu_before = options.pid ? ProcessCpuSeconds(options.pid) : -1;
  const double self_cpu_before = SelfCpuSeconds();
  run.Run();
  const double self_cpu = SelfCpuSeconds() - self_cpu_before;
  const double service_cpu = options.pid ? ProcessCpuSeconds(options.pid) - service_cpu_before : -1;
  const double seconds = run.Seconds();

  // Slots that found the duration bound passed took an index without making a call.
  std::vector<int64_t>& latencies = run.latencies();
  std::erase_if(latencies, [](int64_t ns) { return ns < 0; });
  std::sort(latencies.begin(), latencies.end());
  const long calls = static_cast<long>(latencies.size());

  // Log-scale histogram: bucket upper bounds grow by 2^(1/4) from 1 µs.
  std::string histogram = "[";
  {
    double bound_us = 1;
    size_t i = 0;
    bool first = true;
    while (i < latencies.size()) {
      size_t count = 0;
      while (i < latencies.size() && static_cast<double>(latencies[i]) / 1000.0 <= bound_us) ++i, ++count;
      if (count) {
        char entry[64];
        std::snprintf(entry, sizeof(entry), "%s[%.1f,%zu]", first ? "" : ",", bound_us, count);
        histogram += entry;
        first = false;
      }
      bound_us *= 1.189207115;
    }
  }
  histogram += "]";

  const double rps = seconds > 0 ? static_cast<double>(calls) / seconds : 0;
  std::printf(
      "{\"label\":\"%s\",\"api\":\"%s\",\"mode\":\"%s\",\"concurrency\":%d,\"requests\":%ld,\"failures\":%ld,\"refused\":%ld,"
      "\"seconds\":%.3f,\"rps\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
      "\"max_us\":%.1f,\"service_cpu_us_per_req\":%.2f,\"client_cpu_us_per_req\":%.2f,"
      "\"service_rss_kib\":%ld,\"service_hwm_kib\":%ld,\"histogram_us\":%s}\n",
      options.label.c_str(), options.api.c_str(), options.mode.c_str(), options.concurrency, calls, run.failures(), run.refused(), seconds,
      rps, Percentile(latencies, 0.5), Percentile(latencies, 0.9), Percentile(latencies, 0.99),
      Percentile(latencies, 0.999), latencies.empty() ? 0.0 : static_cast<double>(latencies.back()) / 1000.0,
      service_cpu >= 0 && calls ? service_cpu * 1e6 / static_cast<double>(calls) : -1.0,
      calls ? self_cpu * 1e6 / static_cast<double>(calls) : -1.0,
      options.pid ? ProcessRssKib(options.pid, "VmRSS:") : -1, options.pid ? ProcessRssKib(options.pid, "VmHWM:") : -1,
      histogram.c_str());
  if (run.failures() || run.refused()) {
    std::fprintf(stderr, "mcpauth-bench-grpc: %ld failed, %ld refused; first: %s\n", run.failures(), run.refused(),
                 run.first_failure().c_str());
    return 1;
  }
  return 0;
}
