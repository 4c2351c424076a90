// Name patterns of the policy's tools, resources and prompts.
//
// '*' matches any run of characters, including none and including '/' and ':';
// every other character matches itself. There is no escape: a '*' in a rule's key
// is always a wildcard. A key without '*' is an exact name.
//
// Specificity, used when several rules match one name: an exact name beats every
// pattern; among patterns, the one with more literal (non-'*') characters wins.
// Two patterns with the same number of literal characters that could both match
// one name are ambiguous, and the policy is refused (CommonMatch finds the name).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpauth::sp {

class NamePattern {
 public:
  explicit NamePattern(std::string text);

  const std::string& text() const { return text_; }
  bool is_exact() const { return segments_.size() == 1; }
  // The number of non-'*' characters: the pattern's specificity.
  size_t literal_chars() const { return literal_chars_; }
  // The literal text before the first '*' (the whole text when exact).
  std::string_view literal_prefix() const { return segments_.front(); }
  // The literal text after the last '*' (the whole text when exact).
  std::string_view literal_suffix() const { return segments_.back(); }

  bool Matches(std::string_view name) const;

 private:
  std::string text_;
  // The literal runs between the '*'s: "a*b*" → {"a", "b", ""}; exact → {text}.
  std::vector<std::string> segments_;
  size_t literal_chars_ = 0;
};

// A shortest name both patterns match, or nullopt when no name matches both.
std::optional<std::string> CommonMatch(const NamePattern& a, const NamePattern& b);

}  // namespace mcpauth::sp
