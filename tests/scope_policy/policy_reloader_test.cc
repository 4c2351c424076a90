// Hot reload with a hand-moved clock: rewrites and symlink swaps are applied
// after settling; broken files are refused (logged with file and key, counted)
// and the last good policy stays; an unreadable file is reported once.
#include "services/scope_policy/policy_reloader.h"

#include <algorithm>
#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/scope_policy/decision.h"
#include "tests/scope_policy/configmap_dir.h"
#include "tests/scope_policy/metric_value.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::sp {
namespace {

using Outcome = PolicyReloader::Outcome;
using ::testing::HasSubstr;
using testing::MetricValue;

constexpr char kV1[] = "tools: {delete_file: {required_scopes: [files:delete]}}\n";
constexpr char kV2[] = "tools: {delete_file: {required_scopes: [files:admin]}}\n";
constexpr char kV3[] = "tools: {delete_file: {required_scopes: []}}\n";
constexpr char kConflict[] = R"(tools: {"admin_*": {required_scopes: [a]}, "*_admin": {required_scopes: [b]}})";

// Everything main() wires together, on a file the test controls.
class Reloading {
 public:
  explicit Reloading(const std::string& path)
      : watcher_(path, {.interval = absl::Seconds(1)}, &clock_),
        metrics_(registry_),
        store_(Initial(), &clock_),
        reloader_(&watcher_, &store_, &metrics_) {
    metrics_.SetPolicy(*store_.Current());
  }

  // Moves the clock one interval on and lets the reloader look.
  Outcome Tick() {
    clock_.Advance(absl::Seconds(1));
    return reloader_.Tick();
  }
  // Ticks until the outcome is not kSettling (at most a few times).
  Outcome TickSettled() {
    Outcome outcome = Tick();
    for (int i = 0; i < 3 && outcome == Outcome::kSettling; ++i) outcome = Tick();
    return outcome;
  }
  uint64_t version() const { return store_.Current()->version; }
  bool DeleteAllowedWith(std::vector<std::string> scopes) const {
    return Decide(*store_.Current()->policy, scopes, false, "tools/call", "delete_file").allowed;
  }
  double Reloads(const std::string& result) {
    return MetricValue(registry_, "mcpauth_policy_reloads_total", {{"result", result}}).value_or(-1);
  }
  double VersionGauge() { return MetricValue(registry_, "mcpauth_policy_version").value_or(-1); }
  PolicyReloader& reloader() { return reloader_; }

 private:
  std::shared_ptr<const CompiledPolicy> Initial() {
    auto content = watcher_.ReadInitial();
    EXPECT_TRUE(content.ok()) << content.status();
    auto compiled = CompilePolicyText(content.value_or("{}"), watcher_.path());
    EXPECT_TRUE(compiled.ok()) << compiled.status();
    return *compiled;
  }

  ManualClock clock_;
  prometheus::Registry registry_;
  FileWatcher watcher_;
  ScopePolicyMetrics metrics_;
  PolicyStore store_;
  PolicyReloader reloader_;
};

class PolicyReloaderTest : public ::testing::Test {
 protected:
  test::TempDir dir_{"mcpauth-policy-reloader"};
};

TEST_F(PolicyReloaderTest, PlainRewriteIsAppliedAfterSettling) {
  const std::string path = dir_.File("policy.yaml");
  ASSERT_TRUE(test::WriteFile(path, kV1));
  Reloading r(path);
  EXPECT_EQ(r.reloader().Tick(), Outcome::kNotDue);
  EXPECT_EQ(r.Tick(), Outcome::kUnchanged);
  EXPECT_EQ(r.version(), 1u);
  EXPECT_TRUE(r.DeleteAllowedWith({"files:delete"}));

  ASSERT_TRUE(test::WriteFile(path, kV2));
  EXPECT_EQ(r.Tick(), Outcome::kSettling);
  EXPECT_TRUE(r.DeleteAllowedWith({"files:delete"}));  // not yet
  EXPECT_EQ(r.Tick(), Outcome::kReloaded);
  EXPECT_EQ(r.version(), 2u);
  EXPECT_FALSE(r.DeleteAllowedWith({"files:delete"}));
  EXPECT_TRUE(r.DeleteAllowedWith({"files:admin"}));
  EXPECT_EQ(r.Reloads("success"), 1);
  EXPECT_EQ(r.VersionGauge(), 2);
  EXPECT_EQ(r.Tick(), Outcome::kUnchanged);
  EXPECT_EQ(r.version(), 2u);
}

TEST_F(PolicyReloaderTest, KubernetesSymlinkSwapIsApplied) {
  testing::ConfigMapDir configmap(dir_.path());
  ASSERT_TRUE(configmap.Publish(kV1));
  Reloading r(configmap.path());
  ASSERT_TRUE(configmap.Publish(kV2));
  EXPECT_EQ(r.TickSettled(), Outcome::kReloaded);
  EXPECT_TRUE(r.DeleteAllowedWith({"files:admin"}));
  ASSERT_TRUE(configmap.Publish(kV3));
  EXPECT_EQ(r.TickSettled(), Outcome::kReloaded);
  EXPECT_TRUE(r.DeleteAllowedWith({}));
  EXPECT_EQ(r.version(), 3u);
  EXPECT_EQ(r.Reloads("success"), 2);
}

TEST_F(PolicyReloaderTest, BrokenFileIsRefusedAndTheLastGoodPolicyStays) {
  const std::string path = dir_.File("policy.yaml");
  ASSERT_TRUE(test::WriteFile(path, kV1));
  Reloading r(path);

  ASSERT_TRUE(test::WriteFile(path, kConflict));
  ::testing::internal::CaptureStdout();
  const Outcome outcome = r.TickSettled();
  const std::string log = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(outcome, Outcome::kRefused);
  EXPECT_EQ(r.version(), 1u);
  EXPECT_TRUE(r.DeleteAllowedWith({"files:delete"}));
  EXPECT_EQ(r.Reloads("invalid"), 1);
  EXPECT_EQ(r.Reloads("success"), 0);
  EXPECT_EQ(r.VersionGauge(), 1);
  // One line, naming the file and the offending key.
  EXPECT_THAT(log, HasSubstr(R"("level":"error")"));
  EXPECT_THAT(log, HasSubstr(R"("msg":"policy reload refused; the policy in force stays")"));
  EXPECT_THAT(log, HasSubstr(StrCat(R"("file":")", path, R"(")")));
  EXPECT_THAT(log, HasSubstr(R"("error":"tools.*_admin: conflicts with tools.admin_*)"));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;

  // Refused once, not on every poll.
  EXPECT_EQ(r.Tick(), Outcome::kUnchanged);
  EXPECT_EQ(r.Reloads("invalid"), 1);

  // Each kind of bad content is refused the same way.
  for (const char* bad : {"tools: {x: {required_scope: [a]}}", "tools: {x: {required_scopes: ['']}}",
                          "tools: [unclosed", "", "authorization: {enabled: true}"}) {
    ASSERT_TRUE(test::WriteFile(path, bad));
    EXPECT_EQ(r.TickSettled(), Outcome::kRefused) << bad;
    EXPECT_TRUE(r.DeleteAllowedWith({"files:delete"})) << bad;
  }
  EXPECT_EQ(r.Reloads("invalid"), 6);

  // A good file again is applied.
  ASSERT_TRUE(test::WriteFile(path, kV2));
  EXPECT_EQ(r.TickSettled(), Outcome::kReloaded);
  EXPECT_EQ(r.version(), 2u);
  EXPECT_TRUE(r.DeleteAllowedWith({"files:admin"}));
}

TEST_F(PolicyReloaderTest, UnreadableFileKeepsThePolicyAndIsReportedOnce) {
  const std::string path = dir_.File("policy.yaml");
  ASSERT_TRUE(test::WriteFile(path, kV1));
  Reloading r(path);
  ASSERT_EQ(std::remove(path.c_str()), 0);
  EXPECT_EQ(r.Tick(), Outcome::kUnreadable);
  EXPECT_EQ(r.Tick(), Outcome::kUnreadable);
  EXPECT_EQ(r.Reloads("unreadable"), 1);
  EXPECT_TRUE(r.DeleteAllowedWith({"files:delete"}));
  ASSERT_TRUE(test::WriteFile(path, kV1));
  EXPECT_EQ(r.Tick(), Outcome::kUnchanged);
  ASSERT_EQ(std::remove(path.c_str()), 0);
  EXPECT_EQ(r.Tick(), Outcome::kUnreadable);
  EXPECT_EQ(r.Reloads("unreadable"), 2);
  EXPECT_EQ(r.version(), 1u);
}

TEST_F(PolicyReloaderTest, StopReturnsPromptlyWhileTheThreadWaits) {
  const std::string path = dir_.File("policy.yaml");
  ASSERT_TRUE(test::WriteFile(path, kV1));
  Reloading r(path);
  r.reloader().Start(absl::Hours(1));
  const absl::Time start = absl::Now();
  r.reloader().Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));  // a bound against hanging, not a timing target
  r.reloader().Stop();                               // twice is fine
}

}  // namespace
}  // namespace mcpauth::sp
