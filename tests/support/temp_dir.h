// Scratch files for tests: a private directory removed with everything in it.
#pragma once

#include <string>
#include <string_view>

namespace mcpauth::test {

class TempDir {
 public:
  // Creates a fresh directory under $TMPDIR (default /tmp); aborts when it cannot.
  explicit TempDir(std::string_view prefix = "mcpauth-test");
  ~TempDir();  // removes the directory and its contents
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

// Writes `contents` to `path`, replacing the file; false when it cannot.
bool WriteFile(const std::string& path, std::string_view contents);
// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace mcpauth::test
