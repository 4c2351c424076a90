// FileWatcher (services/common): content changes are seen through plain
// rewrites, same-mtime rewrites and Kubernetes' ConfigMap symlink swap, after one
// interval of settling, with time moved by hand.
#include "services/common/file_watcher.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/strings.h"
#include "tests/scope_policy/configmap_dir.h"
#include "tests/support/temp_dir.h"

namespace mcpauth {
namespace {

using Event = FileWatcher::Event;
using ::testing::HasSubstr;

class FileWatcherTest : public ::testing::Test {
 protected:
  // Moves the clock one interval on and polls.
  FileWatcher::Poll Next(FileWatcher& watcher) {
    clock_.Advance(absl::Seconds(1));
    return watcher.PollIfDue();
  }

  test::TempDir dir_{"mcpauth-file-watcher"};
  ManualClock clock_;
};

TEST_F(FileWatcherTest, ReportsASettledChangeOnce) {
  const std::string path = dir_.File("p.yaml");
  ASSERT_TRUE(test::WriteFile(path, "one"));
  FileWatcher watcher(path, {.interval = absl::Seconds(1)}, &clock_);
  auto initial = watcher.ReadInitial();
  ASSERT_TRUE(initial.ok()) << initial.status();
  EXPECT_EQ(*initial, "one");

  EXPECT_EQ(watcher.PollIfDue().event, Event::kNotDue);
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(watcher.PollIfDue().event, Event::kNotDue);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(watcher.PollIfDue().event, Event::kUnchanged);

  ASSERT_TRUE(test::WriteFile(path, "two"));
  EXPECT_EQ(watcher.PollIfDue().event, Event::kNotDue);  // read a moment ago
  EXPECT_EQ(Next(watcher).event, Event::kSettling);
  FileWatcher::Poll poll = Next(watcher);
  EXPECT_EQ(poll.event, Event::kChanged);
  EXPECT_EQ(poll.content, "two");
  EXPECT_EQ(Next(watcher).event, Event::kUnchanged);
}

TEST_F(FileWatcherTest, ContentStillChangingKeepsSettling) {
  const std::string path = dir_.File("p.yaml");
  ASSERT_TRUE(test::WriteFile(path, "one"));
  FileWatcher watcher(path, {}, &clock_);
  ASSERT_TRUE(watcher.ReadInitial().ok());
  ASSERT_TRUE(test::WriteFile(path, "tw"));  // half written
  EXPECT_EQ(Next(watcher).event, Event::kSettling);
  ASSERT_TRUE(test::WriteFile(path, "two"));
  EXPECT_EQ(Next(watcher).event, Event::kSettling);
  EXPECT_EQ(Next(watcher).content, "two");
  // Back to the old content before it settled: nothing to report.
  ASSERT_TRUE(test::WriteFile(path, "three"));
  EXPECT_EQ(Next(watcher).event, Event::kSettling);
  ASSERT_TRUE(test::WriteFile(path, "two"));
  EXPECT_EQ(Next(watcher).event, Event::kUnchanged);
}

TEST_F(FileWatcherTest, WithoutSettlingAChangeIsReportedAtOnce) {
  const std::string path = dir_.File("p.yaml");
  ASSERT_TRUE(test::WriteFile(path, "one"));
  FileWatcher watcher(path, {.interval = absl::Seconds(1), .settle = false}, &clock_);
  ASSERT_TRUE(watcher.ReadInitial().ok());
  ASSERT_TRUE(test::WriteFile(path, "two"));
  EXPECT_EQ(Next(watcher).content, "two");
}

TEST_F(FileWatcherTest, ComparesContentNotModificationTime) {
  const std::string path = dir_.File("p.yaml");
  ASSERT_TRUE(test::WriteFile(path, "aaaa"));
  struct stat before;
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  FileWatcher watcher(path, {}, &clock_);
  ASSERT_TRUE(watcher.ReadInitial().ok());

  // Same bytes rewritten (new mtime): no change.
  ASSERT_TRUE(test::WriteFile(path, "aaaa"));
  EXPECT_EQ(Next(watcher).event, Event::kUnchanged);
  // Other bytes of the same size with the old mtime put back: a change.
  ASSERT_TRUE(test::WriteFile(path, "bbbb"));
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  EXPECT_EQ(Next(watcher).event, Event::kSettling);
  EXPECT_EQ(Next(watcher).content, "bbbb");
}

TEST_F(FileWatcherTest, SeesTheConfigMapSymlinkSwap) {
  sp::testing::ConfigMapDir configmap(dir_.path());
  ASSERT_TRUE(configmap.Publish("first"));
  FileWatcher watcher(configmap.path(), {}, &clock_);
  auto initial = watcher.ReadInitial();
  ASSERT_TRUE(initial.ok()) << initial.status();
  EXPECT_EQ(*initial, "first");
  EXPECT_EQ(watcher.ResolvedPath(), dir_.File("..2026_11_26_1/policy.yaml"));

  ASSERT_TRUE(configmap.Publish("second"));
  EXPECT_EQ(Next(watcher).event, Event::kSettling);
  EXPECT_EQ(Next(watcher).content, "second");
  EXPECT_EQ(watcher.ResolvedPath(), dir_.File("..2026_11_26_2/policy.yaml"));
  ASSERT_TRUE(configmap.Publish("third"));
  EXPECT_EQ(Next(watcher).event, Event::kSettling);
  EXPECT_EQ(Next(watcher).content, "third");
}

TEST_F(FileWatcherTest, UnreadableFile) {
  const std::string path = dir_.File("p.yaml");
  FileWatcher missing(path, {}, &clock_);
  auto initial = missing.ReadInitial();
  ASSERT_FALSE(initial.ok());
  EXPECT_THAT(std::string(initial.status().message()), HasSubstr(path));

  ASSERT_TRUE(test::WriteFile(path, "one"));
  FileWatcher watcher(path, {}, &clock_);
  ASSERT_TRUE(watcher.ReadInitial().ok());
  ASSERT_EQ(std::remove(path.c_str()), 0);
  FileWatcher::Poll poll = Next(watcher);
  EXPECT_EQ(poll.event, Event::kUnreadable);
  EXPECT_THAT(poll.error, HasSubstr(path));
  EXPECT_EQ(Next(watcher).event, Event::kUnreadable);
  // Back with the same content: nothing changed.
  ASSERT_TRUE(test::WriteFile(path, "one"));
  EXPECT_EQ(Next(watcher).event, Event::kUnchanged);
}

TEST_F(FileWatcherTest, ForgetReportsTheSameContentAgain) {
  const std::string path = dir_.File("p.yaml");
  ASSERT_TRUE(test::WriteFile(path, "one"));
  FileWatcher watcher(path, {}, &clock_);
  ASSERT_TRUE(watcher.ReadInitial().ok());
  watcher.Forget();
  EXPECT_EQ(Next(watcher).event, Event::kSettling);
  EXPECT_EQ(Next(watcher).content, "one");
}

}  // namespace
}  // namespace mcpauth
