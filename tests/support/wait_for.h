// Bounded polling. Tests never sleep to make time pass; they may poll for
// something that happens in another process (a server coming up, a metric
// changing), always with a deadline.
#pragma once

#include <functional>

#include "absl/time/time.h"

namespace mcpauth::test {

// Calls `condition` until it returns true (then returns true) or `timeout` has
// passed (then returns false, after one last call). Waits `poll_interval`
// between calls.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration poll_interval = absl::Milliseconds(20));

}  // namespace mcpauth::test
