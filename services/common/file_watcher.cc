#include "services/common/file_watcher.h"
#include "services/common/sha256.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "services/common/strings.h"

namespace mcpauth {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat(path, ": cannot open: ", std::strerror(errno)));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(StrCat(path, ": read failed: ", std::strerror(errno)));
  return std::move(buffer).str();
}

FileWatcher::FileWatcher(std::string path, FileWatcherOptions options, const Clock* clock)
    : path_(std::move(path)), options_(options), clock_(clock) {}

absl::StatusOr<std::string> FileWatcher::ReadInitial() {
  next_read_ = clock_->Now() + options_.interval;
  absl::StatusOr<std::string> content = ReadWholeFile(path_);
  if (content.ok()) {
    current_hash_ = Sha256(*content);
    pending_hash_.clear();
  }
  return content;
}

FileWatcher::Poll FileWatcher::PollIfDue() {
  const absl::Time now = clock_->Now();
  if (now < next_read_) return {};
  next_read_ = now + options_.interval;
  absl::StatusOr<std::string> content = ReadWholeFile(path_);
  if (!content.ok()) {
    pending_hash_.clear();
    return Poll{.event = Event::kUnreadable, .error = std::string(content.status().message())};
  }
  std::string hash = Sha256(*content);
  if (hash == current_hash_) {
    pending_hash_.clear();
    return Poll{.event = Event::kUnchanged};
  }
  if (options_.settle && hash != pending_hash_) {
    pending_hash_ = std::move(hash);
    return Poll{.event = Event::kSettling};
  }
  current_hash_ = std::move(hash);
  pending_hash_.clear();
  return Poll{.event = Event::kChanged, .content = std::move(*content)};
}

void FileWatcher::Forget() {
  current_hash_.clear();
  pending_hash_.clear();
}

std::string FileWatcher::ResolvedPath() const {
  std::error_code error;
  std::filesystem::path resolved = std::filesystem::canonical(path_, error);
  return error ? path_ : resolved.string();
}

}  // namespace mcpauth
