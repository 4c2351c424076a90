// The mixed authorization load the Redis fault tests drive through the gateway while
// they break Redis: five kinds of tools/call in turn (a bearer token for alice, a
// forged one, a DPoP-bound token with a fresh proof, the same token with a proof used
// once before the load started, no token), each answer counted as
// "PHASE/KIND/OUTCOME" where OUTCOME is "upstream-alice" (the upstream saw alice),
// "upstream-other" (it saw someone else) or "status-N". A request is judged in the
// phase it was sent in if it was also answered in it, else in "transition".
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/fault/suite_harness.h"

namespace mcpauth::test {

class MixedAuthLoad {
 public:
  static constexpr int kTransition = -1;

  // `phases` names phase 0, 1, …; the load starts in phase 0. Sends the proof that is
  // replayed later once (it must be accepted: check first_use_status()).
  MixedAuthLoad(SuiteProcesses& suite, std::vector<std::string> phases, int threads = 3);
  ~MixedAuthLoad();

  int first_use_status() const { return first_use_status_; }
  void SetPhase(int phase) { phase_ = phase; }
  LoadDriver& driver() { return *driver_; }

  // DPoP headers for the bound token with a fresh proof, or with the replayed one.
  std::string FreshDpopHeaders() const;
  std::string ReplayedDpopHeaders() const;

  // Stops the load and prints the counts.
  void Finish();
  // Every answer counted under "PREFIX/" has one of `outcomes`, and there is one.
  void ExpectOnly(const std::string& prefix, const std::vector<std::string>& outcomes) const;
  // What needs no shared store in every phase: alice's bearer token served, the forged
  // token and no token refused (401).
  void ExpectBearerDecisionsIn(const std::vector<std::string>& phases) const;
  // What needs the replay store, in phases where it works: fresh proofs served,
  // the replayed one refused (401).
  void ExpectDpopDecisionsIn(const std::vector<std::string>& phases) const;
  // In no phase did a replayed proof or a forged token reach the upstream, nor anyone
  // but alice.
  void ExpectNoWrongAdmission() const;

 private:
  struct Keys;
  std::string Proof() const;
  std::string DpopHeaders(const std::string& proof) const;
  SuiteProcesses& suite_;
  std::vector<std::string> phases_;
  std::unique_ptr<Keys> keys_;
  std::atomic<int> phase_{0};
  int first_use_status_ = 0;
  std::unique_ptr<LoadDriver> driver_;
  std::map<std::string, int64_t> counts_;
};

}  // namespace mcpauth::test
