#include "services/common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include <boost/json.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mcpauth::log {
namespace {

std::mutex& OutputMutex() {
  static std::mutex mu;
  return mu;
}
std::string& ServiceName() {
  static std::string name = "mcpauth";
  return name;
}
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void SetService(std::string service) { ServiceName() = std::move(service); }
void SetLevel(Level level) { g_level = static_cast<int>(level); }

bool ParseLevel(std::string_view text, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == LevelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  boost::json::object line;
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = LevelName(level);
  line["service"] = ServiceName();
  line["msg"] = boost::json::string_view(message.data(), message.size());
  for (const Field& f : fields) line[boost::json::string_view(f.key.data(), f.key.size())] = f.value;
  std::string text = boost::json::serialize(line);
  text.push_back('\n');
  std::lock_guard<std::mutex> lock(OutputMutex());
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace mcpauth::log
