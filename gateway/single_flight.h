// One call at a time per key: the first request that needs a call for a key leads
// it, requests that need the same call meanwhile join it and resume with the
// leader's answer, each on its own executor. A client opening a thousand streams
// with one token at once costs one validation, not a thousand queued ones.
//
//   auto flight = flights.Find(key);            // a call in flight to join, or null
//   ... admission for a call of one's own ...
//   auto [flight, leader] = flights.Lead(key);  // lead, or join one led meanwhile
//   leader: Leadership lead(&flights, key, flight); status = <the call>; lead.Land(status, answer);
//   joiner: status = co_await SingleFlight<A>::Await(*flight, answer);
//
// A leader that ends without landing (an exception, its coroutine destroyed) lands
// UNAVAILABLE as its Leadership goes: joiners never wait forever, the key is never
// left blocked.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "gateway/grpc_await.h"
#include "gateway/http.h"

namespace mcpauth::gw {

template <typename Answer>
class SingleFlight {
 public:
  class Flight {
   private:
    friend class SingleFlight;
    std::mutex mu;
    bool landed = false;
    grpc::Status status;
    Answer answer;                                           // set once, before landed
    std::vector<std::function<void(grpc::Status)>> waiters;  // until landed
  };

  // The call in flight for `key`, or null.
  std::shared_ptr<Flight> Find(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = flights_.find(key);
    return it == flights_.end() ? nullptr : it->second;
  }

  // Leads a call for `key` (second: true) or, when another request began leading
  // one since Find, joins that (second: false).
  std::pair<std::shared_ptr<Flight>, bool> Lead(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = flights_.try_emplace(key, nullptr);
    if (inserted) it->second = std::make_shared<Flight>();
    return {it->second, inserted};
  }

  // The leader's answer: `key` is free for a new call, and every joiner resumes
  // with `status` and a copy of `answer`.
  void Land(const std::string& key, Flight& flight, const grpc::Status& status, const Answer& answer) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      flights_.erase(key);
    }
    std::vector<std::function<void(grpc::Status)>> waiters;
    {
      std::lock_guard<std::mutex> lock(flight.mu);
      flight.status = status;
      flight.answer = answer;
      flight.landed = true;
      waiters.swap(flight.waiters);
    }
    for (auto& wake : waiters) wake(status);
  }

  // The leader's duty to land, discharged by Land or, failing that, by the destructor.
  class Leadership {
   public:
    Leadership(SingleFlight* flights, std::string key, std::shared_ptr<Flight> flight)
        : flights_(flights), key_(std::move(key)), flight_(std::move(flight)) {}
    ~Leadership() {
      if (flight_ != nullptr) {
        flights_->Land(key_, *flight_, grpc::Status(grpc::StatusCode::UNAVAILABLE, "the shared call was abandoned"),
                       Answer());
      }
    }
    Leadership(const Leadership&) = delete;
    Leadership& operator=(const Leadership&) = delete;

    void Land(const grpc::Status& status, const Answer& answer) {
      if (flight_ == nullptr) return;
      flights_->Land(key_, *flight_, status, answer);
      flight_.reset();
    }

   private:
    SingleFlight* flights_;
    std::string key_;
    std::shared_ptr<Flight> flight_;
  };

  // A joiner's wait for the leader's answer (the caller keeps `flight` alive).
  static Task<grpc::Status> Await(Flight& flight, Answer& answer) {
    const grpc::Status status = co_await AwaitGrpc([&flight](std::function<void(grpc::Status)> done) {
      std::unique_lock<std::mutex> lock(flight.mu);
      if (!flight.landed) {
        flight.waiters.push_back(std::move(done));
        return;
      }
      const grpc::Status landed = flight.status;
      lock.unlock();
      done(landed);
    });
    answer = flight.answer;
    co_return status;
  }

 private:
  std::mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace mcpauth::gw
