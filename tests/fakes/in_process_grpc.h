// One gRPC service behind a real server reached through an in-process channel (no
// socket): unit tests call callback-API services the way a client does.
#pragma once

#include <memory>

#include <grpcpp/grpcpp.h>

namespace mcpauth::testing {

class InProcessGrpc {
 public:
  // `service` must outlive this object.
  explicit InProcessGrpc(grpc::Service* service) {
    grpc::ServerBuilder builder;
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }
  ~InProcessGrpc() {
    server_->Shutdown();
    server_->Wait();
  }
  InProcessGrpc(const InProcessGrpc&) = delete;
  InProcessGrpc& operator=(const InProcessGrpc&) = delete;

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace mcpauth::testing
