#include "services/common/url_policy.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "services/common/strings.h"

namespace mcpauth {

bool IsLoopbackHost(std::string_view host) {
  if (EqualsIgnoreCase(host, "localhost")) return true;
  if (host == "::1" || host == "[::1]") return true;
  return host.starts_with("127.") &&
         host.find_first_not_of("0123456789.") == std::string_view::npos;
}

absl::StatusOr<boost::urls::url_view> ParseUri(std::string_view text) {
  auto parsed = boost::urls::parse_uri(boost::core::string_view(text.data(), text.size()));
  if (!parsed) return absl::InvalidArgumentError(StrCat("not an absolute URL: \"", text, "\""));
  const boost::core::string_view path = parsed->encoded_path();
  if (parsed->has_authority() && !path.empty() && path.front() != '/') {
    return absl::InvalidArgumentError(StrCat("malformed authority in URL: \"", text, "\""));
  }
  return *parsed;
}

namespace {

absl::Status CheckAbsoluteHttpUrl(std::string_view url, std::string_view what) {
  auto parsed = ParseUri(url);
  if (!parsed.ok()) return parsed.status();
  const boost::urls::url_view& u = *parsed;
  const std::string scheme = AsciiLower(std::string(u.scheme()));
  if (!u.has_authority() || u.host().empty()) {
    return absl::InvalidArgumentError(StrCat("URL has no host: \"", url, "\""));
  }
  if (u.has_userinfo()) {
    return absl::InvalidArgumentError(StrCat("URL must not carry credentials: \"", url, "\""));
  }
  if (scheme == "https") return absl::OkStatus();
  if (scheme == "http" && IsLoopbackHost(std::string(u.host()))) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat(what, " must use https (plain http is allowed only for loopback hosts): \"", url, "\""));
}

}  // namespace

absl::Status CheckFetchUrl(std::string_view url) { return CheckAbsoluteHttpUrl(url, "a fetched URL"); }

absl::Status CheckResourceUri(std::string_view uri) {
  if (absl::Status s = CheckAbsoluteHttpUrl(uri, "a resource URI"); !s.ok()) return s;
  if (uri.find('#') != std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat("a resource URI must not have a fragment: \"", uri, "\""));
  }
  return absl::OkStatus();
}

}  // namespace mcpauth
