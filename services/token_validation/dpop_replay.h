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

enum class ReplayVerdict {
  kFirstUse,  // recorded now
  kReplay,    // recorded before, within its ttl
  kOverShare, // not recorded: the owner holds more than its share of a store under pressure
};

class DpopReplayStore {
 public:
  virtual ~DpopReplayStore() = default;
  // Records (jkt, jti) for `ttl` on behalf of `owner` (the token's issuer and
  // subject): kFirstUse, kReplay, or kOverShare (in-process only); an error when
  // the store cannot answer (ResourceExhausted: full; Unavailable: Redis down).
  virtual absl::StatusOr<ReplayVerdict> FirstUse(std::string_view owner, std::string_view jkt, std::string_view jti,
                                                 absl::Duration ttl) = 0;
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
// forget a jti that is still inside its window. So that one caller cannot bring
// that about for everyone, once the store is half full an owner holding a
// sixteenth of the capacity gets kOverShare for its further proofs (until some of
// its entries expire); everyone else goes on.
class InProcessDpopReplayStore final : public DpopReplayStore {
 public:
  explicit InProcessDpopReplayStore(size_t capacity = 500'000, const Clock* clock = SystemClock::Get());
  absl::StatusOr<ReplayVerdict> FirstUse(std::string_view owner, std::string_view jkt, std::string_view jti,
                                         absl::Duration ttl) override;
  std::string_view kind() const override { return "in-process"; }
  bool waits() const override { return false; }
  size_t size();

 private:
  void SweepLocked(absl::Time now);

  struct Recorded {
    absl::Time expires;
    std::string key;
    std::string owner;
  };
  const size_t capacity_;
  const size_t owner_share_;
  const Clock* clock_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> expires_;
  absl::flat_hash_map<std::string, size_t> per_owner_;  // entries in order_ by owner
  std::deque<Recorded> order_;  // by insertion; swept from the front
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
  absl::StatusOr<ReplayVerdict> FirstUse(std::string_view owner, std::string_view jkt, std::string_view jti,
                                         absl::Duration ttl) override;
  std::string_view kind() const override { return "redis"; }
  bool waits() const override { return true; }

 private:
  KeyValueStore* store_;
  InProcessDpopReplayStore seen_here_;
};

}  // namespace mcpauth::tv
