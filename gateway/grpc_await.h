// Awaiting a gRPC callback-API call from an Asio coroutine: the call completes on a
// gRPC thread and the coroutine resumes on its own executor, so a request never
// blocks a gateway thread while token-validation works.
#pragma once

#include <functional>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "gateway/http.h"

namespace mcpauth::gw {

// `start(done)` must begin the call and arrange for `done(status)` when it finishes.
// The caller keeps the ClientContext, request and response alive across the await
// (locals of the awaiting coroutine are).
inline Task<grpc::Status> AwaitGrpc(std::function<void(std::function<void(grpc::Status)>)> start) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(grpc::Status)>(
      [start = std::move(start)](auto handler) mutable {
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start([shared, executor](grpc::Status status) {
          asio::post(executor, [shared, status]() mutable { (*shared)(std::move(status)); });
        });
      },
      asio::use_awaitable);
}

}  // namespace mcpauth::gw
