// Name patterns, checked against std::regex (an independent matcher: the pattern
// translated to a regular expression) on many generated patterns and names.
#include "services/scope_policy/pattern.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>

namespace mcpauth::sp {
namespace {

std::regex ToRegex(const std::string& pattern) {
  std::string re;
  for (char c : pattern) {
    if (c == '*') {
      re += ".*";
    } else if (std::string_view("\\^$.|?+()[]{}").find(c) != std::string_view::npos) {
      re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  return std::regex(re);
}

std::string RandomString(std::mt19937& rng, std::string_view alphabet, size_t max_length) {
  std::string s(std::uniform_int_distribution<size_t>(0, max_length)(rng), ' ');
  for (char& c : s) c = alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
  return s;
}

TEST(NamePatternTest, ExactNames) {
  NamePattern p("delete_file");
  EXPECT_TRUE(p.is_exact());
  EXPECT_EQ(p.literal_chars(), 11u);
  EXPECT_TRUE(p.Matches("delete_file"));
  EXPECT_FALSE(p.Matches("delete_file2"));
  EXPECT_FALSE(p.Matches("delete_fil"));
  EXPECT_FALSE(p.Matches(""));
}

TEST(NamePatternTest, Wildcards) {
  NamePattern admin("admin_*");
  EXPECT_FALSE(admin.is_exact());
  EXPECT_EQ(admin.literal_chars(), 6u);
  EXPECT_EQ(admin.literal_prefix(), "admin_");
  EXPECT_EQ(admin.literal_suffix(), "");
  EXPECT_TRUE(admin.Matches("admin_"));
  EXPECT_TRUE(admin.Matches("admin_users"));
  EXPECT_FALSE(admin.Matches("xadmin_users"));

  NamePattern secret("file:///secret/*");
  EXPECT_TRUE(secret.Matches("file:///secret/a/b.txt"));  // '*' crosses '/'
  EXPECT_FALSE(secret.Matches("file:///public/secret/x"));

  NamePattern middle("a*b*c");
  EXPECT_EQ(middle.literal_chars(), 3u);
  EXPECT_TRUE(middle.Matches("abc"));
  EXPECT_TRUE(middle.Matches("aXbYbZc"));
  EXPECT_FALSE(middle.Matches("acb"));
  EXPECT_FALSE(middle.Matches("ab"));
  // Prefix and suffix may not share characters.
  EXPECT_FALSE(NamePattern("ab*ba").Matches("aba"));
  EXPECT_TRUE(NamePattern("ab*ba").Matches("abba"));

  EXPECT_TRUE(NamePattern("*").Matches(""));
  EXPECT_TRUE(NamePattern("**").Matches("anything"));
  EXPECT_EQ(NamePattern("**").literal_chars(), 0u);
}

TEST(NamePatternTest, AgreesWithRegexOnGeneratedCases) {
  std::mt19937 rng(20261126);
  int matches = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string pattern = RandomString(rng, "ab*", 7);
    const std::regex re = ToRegex(pattern);
    const NamePattern p(pattern);
    for (int j = 0; j < 20; ++j) {
      const std::string name = RandomString(rng, "ab", 9);
      const bool expected = std::regex_match(name, re);
      ASSERT_EQ(p.Matches(name), expected) << "pattern " << pattern << " name " << name;
      matches += expected;
    }
  }
  EXPECT_GT(matches, 1000);  // the generator produces both answers
}

TEST(CommonMatchTest, FindsAShortestCommonName) {
  EXPECT_EQ(CommonMatch(NamePattern("admin_*"), NamePattern("*_admin")), "admin_admin");
  EXPECT_EQ(CommonMatch(NamePattern("a*"), NamePattern("*a")), "a");
  EXPECT_EQ(CommonMatch(NamePattern("*"), NamePattern("*")), "");
  EXPECT_EQ(CommonMatch(NamePattern("x*y"), NamePattern("x*y")), "xy");
  EXPECT_EQ(CommonMatch(NamePattern("file:///a/*"), NamePattern("file:///*/b")), "file:///a/b");
  EXPECT_EQ(CommonMatch(NamePattern("admin_*"), NamePattern("user_*")), std::nullopt);
  EXPECT_EQ(CommonMatch(NamePattern("*_read"), NamePattern("*_write")), std::nullopt);
  EXPECT_EQ(CommonMatch(NamePattern("a*b"), NamePattern("b*a")), std::nullopt);
}

// Brute force: every name over the patterns' alphabet up to the longest a
// shortest common name can be (each of its characters is a literal of one of the
// two patterns), each tested with std::regex.
std::optional<size_t> ShortestCommonByBruteForce(const std::string& a, const std::string& b) {
  const std::regex ra = ToRegex(a), rb = ToRegex(b);
  size_t literals = 0;
  for (char c : a + b) literals += c != '*';
  std::vector<std::string> level = {""};
  for (size_t length = 0; length <= literals; ++length) {
    for (const std::string& s : level) {
      if (std::regex_match(s, ra) && std::regex_match(s, rb)) return length;
    }
    std::vector<std::string> next;
    for (const std::string& s : level) {
      next.push_back(s + 'a');
      next.push_back(s + 'b');
    }
    level = std::move(next);
  }
  return std::nullopt;
}

TEST(CommonMatchTest, AgreesWithBruteForceOnGeneratedPairs) {
  std::mt19937 rng(7);
  int overlapping = 0, disjoint = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string a = RandomString(rng, "ab*", 5), b = RandomString(rng, "ab*", 5);
    const std::optional<size_t> expected = ShortestCommonByBruteForce(a, b);
    const std::optional<std::string> found = CommonMatch(NamePattern(a), NamePattern(b));
    ASSERT_EQ(found.has_value(), expected.has_value()) << a << " vs " << b;
    if (!found) {
      ++disjoint;
      continue;
    }
    ++overlapping;
    EXPECT_EQ(found->size(), *expected) << a << " vs " << b << " gave " << *found;
    EXPECT_TRUE(NamePattern(a).Matches(*found) && NamePattern(b).Matches(*found)) << a << " vs " << b;
  }
  EXPECT_GT(overlapping, 50);
  EXPECT_GT(disjoint, 50);
}

}  // namespace
}  // namespace mcpauth::sp
