// Resource URIs as the policy compares them. A rule on "file:///secret/*" must
// govern every spelling of a URI under it ("FILE:///secret/x", "file:///%73ecret/x",
// "file:///public/../secret/x", "file://localhost/secret/x"), so targets and rule
// patterns are both brought to one normal form before matching:
//
//   RFC 3986 §6.2.2  scheme and host in lower case, percent-encoding of characters
//                    that need none decoded and hex digits upper-cased, dot
//                    segments removed (Boost.URL's normalize)
//   RFC 3986 §6.2.3  http/https/ws/wss: the default port dropped (and leading
//                    zeros of a port), an empty path is "/"; file (RFC 8089 §2):
//                    host "localhost" is the empty host
//
// Spellings that an upstream could still read as another resource, whatever this
// form says, are refused instead: an encoded '/', '\' or NUL in the path (a server
// that decodes before splitting would see other segments), an empty segment
// ("file:////secret", "a//b": many servers collapse it), and a ".." or "." left at
// the root. So is what the WHATWG URL parsers MCP SDKs use (TypeScript's `new URL`,
// pydantic's AnyUrl) read otherwise for file, http(s) and ws(s): no "//" authority
// ("file:/secret/x" and "file:secret/x" are file:///secret/x to them), user
// information, a numeric host not in dotted-quad form ("0x7f.1"), an IPv6 host not
// in RFC 5952 form, a port on a file URI. The path is otherwise case-sensitive, as
// RFC 3986 says; an upstream that folds case (a case-insensitive file system) is
// outside what this can see.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mcpauth::sp {

// The normal form of an absolute URI, or why it has none (a message for the caller).
absl::StatusOr<std::string> NormalizeResourceUri(std::string_view uri);

// A URI template (RFC 6570, as resources/templates/list and completion/complete
// name them) in the form rules are matched in: the text around its {expressions}
// normalised as a URI would be, the expressions kept; as written when that text
// has no normal form.
std::string NormalizeResourceTemplate(std::string_view uri_template);

// A resource rule's pattern in the form targets are matched in: a pattern that
// is an absolute URI ('*' is a character URIs allow) gets its normal form; one
// that is not ("*", "config*") is kept as written. An error when it is a URI
// without a normal form.
absl::StatusOr<std::string> NormalizeResourcePattern(std::string_view pattern);

}  // namespace mcpauth::sp
