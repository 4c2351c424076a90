// A directory laid out the way the kubelet mounts a ConfigMap, for tests of hot
// reload:
//   dir/policy.yaml -> ..data/policy.yaml
//   dir/..data      -> ..2026_11_26_<n>          (a symlink, swapped atomically)
//   dir/..2026_11_26_<n>/policy.yaml             (the real file)
// An update writes a new timestamped directory, points a new symlink at it and
// rename(2)s that symlink over ..data, then deletes the old directory — so the
// path's own inode, and any watch on it, never changes.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "services/common/strings.h"
#include "tests/support/temp_dir.h"

namespace mcpauth::sp::testing {

class ConfigMapDir {
 public:
  ConfigMapDir(std::string dir, std::string key = "policy.yaml") : dir_(std::move(dir)), key_(std::move(key)) {}

  // The path a service is configured with.
  std::string path() const { return StrCat(dir_, "/", key_); }

  // Publishes `content` as the kubelet does; false (with errno set) on failure.
  bool Publish(std::string_view content) {
    const std::string generation = StrCat("..2026_11_26_", ++generation_);
    if (::mkdir(StrCat(dir_, "/", generation).c_str(), 0755) != 0) return false;
    if (!test::WriteFile(StrCat(dir_, "/", generation, "/", key_), content)) return false;
    const std::string tmp_link = StrCat(dir_, "/..data_tmp");
    if (::symlink(generation.c_str(), tmp_link.c_str()) != 0) return false;
    if (::rename(tmp_link.c_str(), StrCat(dir_, "/..data").c_str()) != 0) return false;
    if (generation_ == 1) {
      if (::symlink(StrCat("..data/", key_).c_str(), path().c_str()) != 0) return false;
    } else {
      std::error_code ignored;
      std::filesystem::remove_all(StrCat(dir_, "/..2026_11_26_", generation_ - 1), ignored);
    }
    return true;
  }

 private:
  std::string dir_, key_;
  int generation_ = 0;
};

}  // namespace mcpauth::sp::testing
