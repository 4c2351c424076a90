#include "tests/support/grpc_health.h"

#include <future>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/time/clock.h"

namespace mcpauth::test {
namespace {

// HealthCheckRequest { string service = 1; }: empty for "", else tag 0x0a,
// the length as a varint, then the name.
std::string EncodeRequest(const std::string& service) {
  if (service.empty()) return "";
  std::string out = "\x0a";
  for (size_t n = service.size();; n >>= 7) {
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  return out + service;
}

}  // namespace

bool GrpcHealthServing(const std::string& address, const std::string& service, absl::Duration deadline) {
  // A private subchannel pool: otherwise channels to the same address share one
  // connection, and its reconnect backoff after a refused attempt (a server not
  // up yet) would delay every later check by seconds.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));

  const std::string request_bytes = EncodeRequest(service);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  if (!done.get_future().get().ok()) return false;

  // HealthCheckResponse { ServingStatus status = 1; } with SERVING = 1.
  grpc::Slice reply;
  if (!response.DumpToSingleSlice(&reply).ok()) return false;
  const std::string bytes(reinterpret_cast<const char*>(reply.begin()), reply.size());
  return bytes == std::string("\x08\x01", 2);
}

}  // namespace mcpauth::test
