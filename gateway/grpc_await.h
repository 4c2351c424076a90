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
//
// Not itself a coroutine: it returns the awaitable that async_initiate makes, which
// owns `start` until the call is launched. (A coroutine taking `start` by value and
// co_returning a co_await on it double-destroys the parameter under GCC 12.)
inline asio::awaitable<grpc::Status> AwaitGrpc(std::function<void(std::function<void(grpc::Status)>)> start) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(grpc::Status)>(
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
