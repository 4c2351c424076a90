// JSON-lines logging to stdout: one object per line, so operators can ship and
// query logs without parsing prose.
//   {"ts":"2026-11-26T13:04:17.123Z","level":"warn","service":"token-validation",
//    "msg":"jwks fetch failed","uri":"https://...","error":"..."}
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/json/value.hpp>

namespace mcpauth::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(boost::json::string_view(v.data(), v.size())) {}
  Field(std::string_view k, const std::string& v) : Field(k, std::string_view(v)) {}
  Field(std::string_view k, const char* v) : Field(k, std::string_view(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  template <typename T>
    requires std::is_integral_v<T>
  Field(std::string_view k, T v) : key(k), value(static_cast<int64_t>(v)) {}

  std::string_view key;
  boost::json::value value;
};

// Process-wide settings, set once at start-up.
void SetService(std::string service);
void SetLevel(Level level);
// Parses "debug" | "info" | "warn" | "error".
bool ParseLevel(std::string_view text, Level* out);

void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kError, m, f); }

}  // namespace mcpauth::log
