#include "tests/fault/mixed_auth_load.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>

#include "absl/time/clock.h"
#include "services/common/strings.h"
#include "services/token_validation/dpop_sign.h"

namespace mcpauth::test {
namespace {

constexpr const char* kKinds[] = {"bearer", "forged", "dpop", "dpop-replayed", "no-token"};

struct Sent {
  int phase = 0;
  int kind = 0;
};
thread_local Sent sent;

}  // namespace

struct MixedAuthLoad::Keys {
  tv::testing::TestKey client = tv::testing::MakeKey("ES256", "");
  std::string alice, forged, bound, replayed_proof;
};

MixedAuthLoad::MixedAuthLoad(SuiteProcesses& suite, std::vector<std::string> phases, int threads)
    : suite_(suite), phases_(std::move(phases)), keys_(std::make_unique<Keys>()) {
  keys_->alice = suite.Mint("alice", "mcp");
  keys_->forged = keys_->alice.substr(0, keys_->alice.rfind('.') + 1) + std::string(86, 'A');
  keys_->bound = suite.MintBound("alice", "mcp", keys_->client.private_key->Thumbprint());
  keys_->replayed_proof = Proof();
  first_use_status_ = PostJson(suite.gateway_port(), "/mcp", ToolsCall("echo"), ReplayedDpopHeaders()).status;
  driver_ = std::make_unique<LoadDriver>(
      suite.gateway_port(), threads,
      [this](int, int64_t n) -> std::pair<std::string, std::string> {
        sent = {phase_.load(), static_cast<int>(n % 5)};
        switch (sent.kind) {
          case 0:
            return {ToolsCall("echo"), StrCat("Authorization: Bearer ", keys_->alice, "\r\n")};
          case 1:
            return {ToolsCall("echo"), StrCat("Authorization: Bearer ", keys_->forged, "\r\n")};
          case 2:
            return {ToolsCall("echo"), FreshDpopHeaders()};
          case 3:
            return {ToolsCall("echo"), ReplayedDpopHeaders()};
          default:
            return {ToolsCall("echo"), ""};
        }
      },
      [this](const Exchange& e) {
        std::string outcome = StrCat("status-", e.status);
        if (e.status == 200) {
          outcome = e.body.find(R"("subject":"alice")") != std::string::npos ? "upstream-alice" : "upstream-other";
        }
        const int now = phase_.load();
        const std::string phase = now == sent.phase && now != kTransition ? phases_[now] : "transition";
        return StrCat(phase, "/", kKinds[sent.kind], "/", outcome);
      });
}

MixedAuthLoad::~MixedAuthLoad() = default;

std::string MixedAuthLoad::Proof() const {
  return *tv::MakeDpopProof(
      *keys_->client.private_key,
      {.htm = "POST", .htu = suite_.resource(), .iat = absl::ToUnixSeconds(absl::Now()), .access_token = keys_->bound});
}

std::string MixedAuthLoad::DpopHeaders(const std::string& proof) const {
  return StrCat("Authorization: DPoP ", keys_->bound, "\r\nDPoP: ", proof, "\r\n");
}

std::string MixedAuthLoad::FreshDpopHeaders() const { return DpopHeaders(Proof()); }
std::string MixedAuthLoad::ReplayedDpopHeaders() const { return DpopHeaders(keys_->replayed_proof); }

void MixedAuthLoad::Finish() {
  driver_->Stop();
  counts_ = driver_->Counts();
  for (const auto& [label, n] : counts_) std::cout << "  " << label << ": " << n << "\n";
}

void MixedAuthLoad::ExpectOnly(const std::string& prefix, const std::vector<std::string>& outcomes) const {
  int64_t total = 0;
  for (const auto& [label, n] : counts_) {
    if (!label.starts_with(prefix + "/")) continue;
    EXPECT_THAT(outcomes, ::testing::Contains(label.substr(prefix.size() + 1))) << label << " x" << n;
    total += n;
  }
  EXPECT_GT(total, 0) << prefix;
}

void MixedAuthLoad::ExpectBearerDecisionsIn(const std::vector<std::string>& phases) const {
  for (const std::string& p : phases) {
    ExpectOnly(StrCat(p, "/bearer"), {"upstream-alice"});
    ExpectOnly(StrCat(p, "/forged"), {"status-401"});
    ExpectOnly(StrCat(p, "/no-token"), {"status-401"});
  }
}

void MixedAuthLoad::ExpectDpopDecisionsIn(const std::vector<std::string>& phases) const {
  for (const std::string& p : phases) {
    ExpectOnly(StrCat(p, "/dpop"), {"upstream-alice"});
    ExpectOnly(StrCat(p, "/dpop-replayed"), {"status-401"});
  }
}

void MixedAuthLoad::ExpectNoWrongAdmission() const {
  for (const auto& [label, n] : counts_) {
    EXPECT_EQ(label.find("replayed/upstream"), std::string::npos) << "a replayed proof was accepted: " << label;
    EXPECT_EQ(label.find("forged/upstream"), std::string::npos) << label;
    EXPECT_EQ(label.find("upstream-other"), std::string::npos) << label;
  }
}

}  // namespace mcpauth::test
