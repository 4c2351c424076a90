// Noticing that a configuration file changed, by polling its content.
//
// Every read opens the configured path afresh, so symlinks are resolved each time:
// Kubernetes mounts a ConfigMap as `dir/name -> ..data/name` with `..data` itself a
// symlink that is replaced atomically (rename(2)) on update, and neither the path's
// own mtime nor an inotify watch on the file sees that. Changes are detected by a
// SHA-256 of the content, not by mtime (a swap can keep the old mtime; an editor
// can rewrite identical bytes).
//
// A change is reported only once the new content has been read twice in a row,
// one interval apart ("settled"): a file rewritten in place can be read half
// written, and a truncated policy may well parse — and silently drop rules.
// Time comes from an injected clock, so tests move it instead of sleeping.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"

namespace mcpauth {

struct FileWatcherOptions {
  absl::Duration interval = absl::Seconds(1);
  // Wait for the content to stay the same for one interval before reporting it.
  bool settle = true;
};

class FileWatcher {
 public:
  enum class Event {
    kNotDue,      // the interval has not passed since the last read; nothing read
    kUnchanged,   // same content as last reported
    kSettling,    // new content, not yet seen twice in a row
    kChanged,     // new content, settled: `content` holds it
    kUnreadable,  // the file could not be read: `error` says why
  };
  struct Poll {
    Event event = Event::kNotDue;
    std::string content;  // kChanged only
    std::string error;    // kUnreadable only
  };

  FileWatcher(std::string path, FileWatcherOptions options = {},
              const Clock* clock = SystemClock::Get());

  // Reads the file now, remembers its content as the current one (no settling:
  // this is the start-up load) and returns it.
  absl::StatusOr<std::string> ReadInitial();
  // Reads the file when the interval has passed since the last read (always on
  // the first call) and says whether the content changed.
  Poll PollIfDue();
  // Drops the remembered content: the next read reports the file as changed
  // (after settling) even when it is the same.
  void Forget();

  const std::string& path() const { return path_; }
  // The file the path resolves to right now (through every symlink), or the path
  // itself when it cannot be resolved. For log lines.
  std::string ResolvedPath() const;

 private:
  std::string path_;
  FileWatcherOptions options_;
  const Clock* clock_;
  absl::Time next_read_ = absl::InfinitePast();
  std::string current_hash_;  // of the content last reported (or loaded at start)
  std::string pending_hash_;  // of new content seen once, waiting to settle
};

// The whole file at `path` (following symlinks); an error naming the path and the
// reason when it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace mcpauth
