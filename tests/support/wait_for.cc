#include "tests/support/wait_for.h"

#include "absl/time/clock.h"

namespace mcpauth::test {

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout, absl::Duration poll_interval) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(std::min(poll_interval, std::max(deadline - absl::Now(), absl::ZeroDuration())));
  }
  return condition();
}

}  // namespace mcpauth::test
