#include "services/scope_policy/pattern.h"

#include <algorithm>
#include <deque>
#include <limits>

namespace mcpauth::sp {

NamePattern::NamePattern(std::string text) : text_(std::move(text)) {
  size_t start = 0;
  while (true) {
    const size_t star = text_.find('*', start);
    if (star == std::string::npos) {
      segments_.push_back(text_.substr(start));
      break;
    }
    segments_.push_back(text_.substr(start, star - start));
    start = star + 1;
  }
  for (const std::string& s : segments_) literal_chars_ += s.size();
}

bool NamePattern::Matches(std::string_view name) const {
  if (is_exact()) return name == segments_.front();
  const std::string& first = segments_.front();
  const std::string& last = segments_.back();
  if (name.size() < first.size() + last.size()) return false;
  if (name.substr(0, first.size()) != first) return false;
  if (name.substr(name.size() - last.size()) != last) return false;
  // The middle segments, in order, leftmost first, between the prefix and suffix:
  // taking each at its earliest position leaves the most room for the rest.
  std::string_view rest = name.substr(first.size(), name.size() - first.size() - last.size());
  for (size_t i = 1; i + 1 < segments_.size(); ++i) {
    const size_t at = rest.find(segments_[i]);
    if (at == std::string_view::npos) return false;
    rest.remove_prefix(at + segments_[i].size());
  }
  return true;
}

// A breadth-first search over pairs of positions (i in a, j in b) of the product
// of the two patterns' automata. Stepping past a '*' costs nothing; consuming one
// character of the name costs one, so the first path to (end, end) spells a
// shortest common name. (Two '*'s consuming a character together never shorten a
// path, so that move is left out.)
std::optional<std::string> CommonMatch(const NamePattern& a, const NamePattern& b) {
  const std::string& p = a.text();
  const std::string& q = b.text();
  const size_t width = q.size() + 1;
  const size_t states = (p.size() + 1) * width;
  constexpr size_t kUnseen = std::numeric_limits<size_t>::max();
  std::vector<size_t> distance(states, kUnseen);
  std::vector<size_t> parent(states, kUnseen);
  std::vector<char> emitted(states, '\0');  // the character consumed to reach a state, if any
  std::vector<bool> consumed(states, false);
  std::deque<size_t> queue;
  distance[0] = 0;
  queue.push_back(0);
  auto relax = [&](size_t from, size_t i, size_t j, bool consumes, char c) {
    const size_t to = i * width + j;
    const size_t d = distance[from] + (consumes ? 1 : 0);
    if (d >= distance[to]) return;
    distance[to] = d;
    parent[to] = from;
    consumed[to] = consumes;
    emitted[to] = c;
    if (consumes) {
      queue.push_back(to);
    } else {
      queue.push_front(to);
    }
  };
  const size_t goal = p.size() * width + q.size();
  while (!queue.empty()) {
    const size_t state = queue.front();
    queue.pop_front();
    if (state == goal) break;
    const size_t i = state / width;
    const size_t j = state % width;
    const bool p_star = i < p.size() && p[i] == '*';
    const bool q_star = j < q.size() && q[j] == '*';
    if (p_star) relax(state, i + 1, j, false, '\0');
    if (q_star) relax(state, i, j + 1, false, '\0');
    const bool p_char = i < p.size() && !p_star;
    const bool q_char = j < q.size() && !q_star;
    if (p_char && q_char && p[i] == q[j]) relax(state, i + 1, j + 1, true, p[i]);
    if (p_char && q_star) relax(state, i + 1, j, true, p[i]);
    if (p_star && q_char) relax(state, i, j + 1, true, q[j]);
  }
  if (distance[goal] == kUnseen) return std::nullopt;
  std::string name;
  for (size_t s = goal; s != 0; s = parent[s]) {
    if (consumed[s]) name.push_back(emitted[s]);
  }
  std::reverse(name.begin(), name.end());
  return name;
}

}  // namespace mcpauth::sp
