#include "gateway/sse.h"

#include "services/common/strings.h"

namespace mcpauth::gw {
namespace {

// Position just past the blank line ending the first event in `text`, or npos.
// Lines end with CRLF, LF or CR (HTML Living Standard, event-stream interpretation).
size_t EventEnd(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    size_t next = i + 1;
    if (text[i] == '\r' && next < text.size() && text[next] == '\n') ++next;
    if (next >= text.size()) return std::string_view::npos;
    if (text[next] == '\n') return next + 1;
    if (text[next] == '\r') {
      if (next + 1 < text.size() && text[next + 1] == '\n') return next + 2;
      if (next + 1 >= text.size()) return std::string_view::npos;  // CR at the end: wait for a possible LF
      return next + 1;
    }
  }
  return std::string_view::npos;
}

std::vector<std::string_view> Lines(std::string_view event) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < event.size(); ++i) {
    if (event[i] != '\n' && event[i] != '\r') continue;
    lines.push_back(event.substr(start, i - start));
    if (event[i] == '\r' && i + 1 < event.size() && event[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < event.size()) lines.push_back(event.substr(start));
  return lines;
}

}  // namespace

std::vector<std::string> SseEventSplitter::Feed(std::string_view bytes) {
  pending_.append(bytes);
  std::vector<std::string> events;
  size_t consumed = 0;
  for (;;) {
    const size_t end = EventEnd(std::string_view(pending_).substr(consumed));
    if (end == std::string_view::npos) break;
    events.emplace_back(pending_.substr(consumed, end));
    consumed += end;
  }
  pending_.erase(0, consumed);
  return events;
}

std::string RewriteSseEvent(std::string_view event,
                            const std::function<std::optional<std::string>(std::string_view)>& transform) {
  std::string data;
  bool has_data = false;
  for (std::string_view line : Lines(event)) {
    if (line.starts_with("data")) {
      std::string_view value = line.substr(4);
      if (!value.empty() && value[0] != ':') continue;  // a field named e.g. "database"
      if (!value.empty()) value.remove_prefix(1);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      if (has_data) data.push_back('\n');
      data.append(value);
      has_data = true;
    }
  }
  if (!has_data) return std::string(event);
  std::optional<std::string> replaced = transform(data);
  if (!replaced) return std::string(event);
  std::string out;
  bool data_written = false;
  for (std::string_view line : Lines(event)) {
    if (line.empty()) continue;
    if (line.starts_with("data:") || line == "data") {
      if (!data_written) StrAppend(out, "data: ", *replaced, "\n");
      data_written = true;
      continue;
    }
    StrAppend(out, line, "\n");
  }
  out.push_back('\n');
  return out;
}

std::string SseMessageEvent(std::string_view data) { return StrCat("event: message\ndata: ", data, "\n\n"); }

}  // namespace mcpauth::gw
