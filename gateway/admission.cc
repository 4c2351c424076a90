#include "gateway/admission.h"

#include <algorithm>
#include <cmath>

namespace mcpauth::gw {

std::string ClientKey(const boost::asio::ip::address& client) {
  if (client.is_v6() && !client.to_v6().is_v4_mapped()) {
    const auto bytes = client.to_v6().to_bytes();
    return std::string(reinterpret_cast<const char*>(bytes.data()), 8);
  }
  const auto v4 = client.is_v6() ? boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, client.to_v6())
                                 : client.to_v4();
  const auto bytes = v4.to_bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

FailureBudget::FailureBudget(double per_second, double burst, size_t max_keys, const Clock* clock)
    : per_second_(per_second), burst_(std::max(1.0, burst)), max_keys_(max_keys), clock_(clock) {}

TokenBucket* FailureBudget::RefilledLocked(const std::string& key, absl::Time now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      // Forget keys in good standing: a full bucket is what a new one would be.
      absl::erase_if(buckets_, [&](const auto& entry) {
        return entry.second.TokensAt(now, per_second_, burst_) >= burst_;
      });
      if (buckets_.size() >= max_keys_) return nullptr;
    }
    it = buckets_.emplace(key, TokenBucket::Full(burst_, now)).first;
  }
  it->second.Refill(now, per_second_, burst_);
  return &it->second;
}

bool FailureBudget::TryReserve(const std::string& key) {
  if (per_second_ <= 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  TokenBucket* b = RefilledLocked(key, clock_->Now());
  if (b == nullptr) return true;
  if (b->tokens < 1.0) return false;
  b->tokens -= 1.0;
  return true;
}

void FailureBudget::Refund(const std::string& key) {
  if (per_second_ <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (TokenBucket* b = RefilledLocked(key, clock_->Now())) b->tokens = std::min(burst_, b->tokens + 1.0);
}

int FailureBudget::SecondsUntilAvailable(const std::string& key) {
  if (per_second_ <= 0) return 1;
  std::lock_guard<std::mutex> lock(mu_);
  const TokenBucket* b = RefilledLocked(key, clock_->Now());
  if (b == nullptr || b->tokens >= 1.0) return 1;
  return std::max(1, static_cast<int>(std::ceil((1.0 - b->tokens) / per_second_)));
}

InFlightLimit::Ticket InFlightLimit::TryAcquire() {
  int64_t current = count_.load();
  while (current < max_) {
    if (count_.compare_exchange_weak(current, current + 1)) return Ticket(&count_);
  }
  return Ticket();
}

}  // namespace mcpauth::gw
