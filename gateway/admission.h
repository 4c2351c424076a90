// What the gateway lets through to costly work under a flood (issue 14). Checking a
// token costs a gRPC call and a signature verification; answering "no" from here
// costs nearly nothing, so floods of invalid credentials are answered before that
// work, from two budgets of failed authentications (token buckets):
//
//   per client   one bucket per client address (an IPv6 client by its /64): a client
//                out of it gets 429 with Retry-After, held until then (at most 2 s),
//                so a flooding client slows itself down.
//   in total     one bucket for the whole process: a flood from many addresses that
//                empties it gets 503 with Retry-After (held 1 s; never fail_open).
//
// A validation takes one failure from both buckets before the call and gives it back
// when the token turns out valid (or could not be judged): callers whose tokens are
// valid never spend, and concurrent calls cannot overdraw a budget. Answers the
// gateway holds in its cache and calls joined to one already in flight take nothing.
// A cap on validation calls in flight (InFlightLimit) bounds the rest.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <utility>

#include <boost/asio/ip/address.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/token_bucket.h"

namespace mcpauth::gw {

// The key a client address spends under: an IPv4 address (IPv4-mapped ones too),
// or the /64 of an IPv6 address.
std::string ClientKey(const boost::asio::ip::address& client);

class FailureBudget {
 public:
  // `per_second` failures refill each key's bucket of `burst`; 0 turns it off. At
  // most `max_keys` buckets are kept: when full, keys in good standing (full
  // buckets) are forgotten first, and past that, new keys are not limited.
  FailureBudget(double per_second, double burst, size_t max_keys = 65536, const Clock* clock = SystemClock::Get());

  // Takes one failure from `key`'s bucket ahead of a validation; false when none is left.
  bool TryReserve(const std::string& key);
  // Gives back what TryReserve took (the validation did not fail).
  void Refund(const std::string& key);
  // Seconds until `key` has a failure to spend again (for Retry-After), at least 1.
  int SecondsUntilAvailable(const std::string& key);

 private:
  // `key`'s bucket refilled to now (created full); null when it cannot be tracked.
  TokenBucket* RefilledLocked(const std::string& key, absl::Time now);

  const double per_second_;
  const double burst_;
  const size_t max_keys_;
  const Clock* clock_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, TokenBucket> buckets_;
};

// A counter of calls in flight with a ceiling; a slot is held by a Ticket.
class InFlightLimit {
 public:
  explicit InFlightLimit(int64_t max) : max_(max) {}
  class Ticket {
   public:
    Ticket() = default;
    explicit Ticket(std::atomic<int64_t>* count) : count_(count) {}
    Ticket(Ticket&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
    Ticket& operator=(Ticket&& other) noexcept {
      Release();
      count_ = std::exchange(other.count_, nullptr);
      return *this;
    }
    ~Ticket() { Release(); }
    explicit operator bool() const { return count_ != nullptr; }

   private:
    void Release() {
      if (count_ != nullptr) count_->fetch_sub(1);
      count_ = nullptr;
    }
    std::atomic<int64_t>* count_ = nullptr;
  };
  // A held slot, or an empty ticket when `max` calls are in flight already.
  Ticket TryAcquire();
  int64_t in_flight() const { return count_.load(); }

 private:
  const int64_t max_;
  std::atomic<int64_t> count_{0};
};

}  // namespace mcpauth::gw
