// DPoP proof replay detection (RFC 9449 §11.1): each (jkt, jti) pair is accepted
// once while a proof carrying it could still be accepted. Shared across replicas
// through Redis (one atomic SET NX PX per proof); per process without Redis.
//
// There is deliberately no fallback from the shared store to the local one: a
// replica that cannot reach Redis cannot know whether another replica has seen
// the proof, so the answer is "could not decide" (an error status), never "first
// use".
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/kv_store.h"

namespace mcpauth::tv {

class DpopReplayStore {
 public:
  virtual ~DpopReplayStore() = default;
  // Records (jkt, jti) for `ttl`: true when this call recorded it (first use),
  // false when it was already recorded (a replay), an error when the store
  // cannot answer.
  virtual absl::StatusOr<bool> FirstUse(std::string_view jkt, std::string_view jti, absl::Duration ttl) = 0;
  // "redis" or "in-process", for logs.
  virtual std::string_view kind() const = 0;
  // FirstUse waits on another process (Redis): a caller that must not block asks first.
  virtual bool waits() const = 0;
};

// mcpauth:v1:dpop:jti:<jkt>:<base64url(SHA-256(jti))>. The jti is hashed so a
// client-chosen string never becomes key text and every key has the same length.
std::string DpopReplayKey(std::string_view jkt, std::string_view jti);

// In this process only. Bounded: when `capacity` unexpired entries are held, new
// proofs cannot be recorded and FirstUse fails (could not decide) rather than
// forget a jti that is still inside its window.
class InProcessDpopReplayStore final : public DpopReplayStore {
 public:
  explicit InProcessDpopReplayStore(size_t capacity = 500'000, const Clock* clock = SystemClock::Get());
  absl::StatusOr<bool> FirstUse(std::string_view jkt, std::string_view jti, absl::Duration ttl) override;
  std::string_view kind() const override { return "in-process"; }
  bool waits() const override { return false; }
  size_t size();

 private:
  void SweepLocked(absl::Time now);

  const size_t capacity_;
  const Clock* clock_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> expires_;
  std::deque<std::pair<absl::Time, std::string>> order_;  // by insertion; swept from the front
};

// Through the shared key-value store (Redis): SET key NX PX ttl. Pass the Redis
// store itself, never a FallbackStore. Each replica also remembers the proofs it
// has seen (in process, up to `local_capacity`), so a Redis that restarts empty or
// is flushed cannot make a proof this replica already accepted new again; only
// Redis can answer for the other replicas, so its errors are still "could not
// decide".
class SharedDpopReplayStore final : public DpopReplayStore {
 public:
  explicit SharedDpopReplayStore(KeyValueStore* store, size_t local_capacity = 100'000,
                                 const Clock* clock = SystemClock::Get());
  absl::StatusOr<bool> FirstUse(std::string_view jkt, std::string_view jti, absl::Duration ttl) override;
  std::string_view kind() const override { return "redis"; }
  bool waits() const override { return true; }

 private:
  KeyValueStore* store_;
  InProcessDpopReplayStore seen_here_;
};

}  // namespace mcpauth::tv
