#include "services/common/json.h"

#include <cmath>

#include <boost/json/basic_parser_impl.hpp>

#include "absl/container/flat_hash_set.h"

namespace mcpauth {
namespace {

// Feeds Boost.JSON's value_stack (as boost::json::parser does) while tracking the
// member names of each open object, so one pass both builds the value and finds
// duplicates.
class DuplicateCheckingHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit DuplicateCheckingHandler(boost::json::storage_ptr sp) : stack_(std::move(sp)) {}

  boost::json::value_stack& stack() { return stack_; }
  bool found_duplicate() const { return found_duplicate_; }

  bool on_document_begin(boost::json::error_code&) {
    stack_.reset();
    return true;
  }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, boost::json::error_code&) {
    keys_.pop_back();
    stack_.push_object(n);
    return true;
  }
  bool on_array_begin(boost::json::error_code&) { return true; }
  bool on_array_end(std::size_t n, boost::json::error_code&) {
    stack_.push_array(n);
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    key_.append(s.data(), s.size());
    stack_.push_chars(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code& ec) {
    key_.append(s.data(), s.size());
    if (!keys_.back().insert(std::move(key_)).second) {
      found_duplicate_ = true;
      ec = boost::json::error::syntax;
      return false;
    }
    key_.clear();
    stack_.push_key(s);
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    stack_.push_string(s);
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_int64(std::int64_t i, boost::json::string_view, boost::json::error_code&) {
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, boost::json::string_view, boost::json::error_code&) {
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double d, boost::json::string_view, boost::json::error_code&) {
    stack_.push_double(d);
    return true;
  }
  bool on_bool(bool b, boost::json::error_code&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(boost::json::error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  boost::json::value_stack stack_;
  std::vector<absl::flat_hash_set<std::string>> keys_;
  std::string key_;
  bool found_duplicate_ = false;
};

}  // namespace

JsonParseError ParseStrictJson(std::string_view text, boost::json::value& out,
                               const StrictJsonOptions& options) {
  boost::json::parse_options parse_options;
  parse_options.max_depth = options.max_depth;
  boost::json::basic_parser<DuplicateCheckingHandler> parser(parse_options,
                                                            boost::json::storage_ptr());
  boost::json::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().found_duplicate()) return JsonParseError::kDuplicateMember;
  if (ec || used != text.size() || !parser.done()) return JsonParseError::kSyntax;
  out = parser.handler().stack().release();
  return JsonParseError::kNone;
}

const boost::json::value* FindMember(const boost::json::object& object, std::string_view name) {
  return object.if_contains(boost::json::string_view(name.data(), name.size()));
}

std::optional<std::string> StringMember(const boost::json::object& object, std::string_view name) {
  const boost::json::value* v = FindMember(object, name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<double> NumberValue(const boost::json::value& value) {
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  if (value.is_double()) return value.get_double();
  return std::nullopt;
}

std::optional<absl::Time> UnixMillisMember(const boost::json::object& object, std::string_view name) {
  const boost::json::value* member = FindMember(object, name);
  if (member == nullptr) return std::nullopt;
  std::optional<double> ms = NumberValue(*member);
  // Beyond ±2^62 ms (or NaN) is no time anyone wrote: refused, not converted (UB).
  if (!ms || !(std::abs(*ms) < 4.6e18)) return std::nullopt;
  return absl::FromUnixMillis(static_cast<int64_t>(*ms));
}

std::string ToJson(const boost::json::value& value) { return boost::json::serialize(value); }

}  // namespace mcpauth
