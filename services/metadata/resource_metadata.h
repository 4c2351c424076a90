// RFC 9728 protected resource metadata: one document per protected resource, the
// well-known request paths that serve it, and the absolute metadata URL that
// challenges point clients to.
//
// Canonical forms. A document's `resource` is the configured URI exactly (no slash
// added or removed: clients compare it byte for byte, RFC 9728 §3.3). URLs are
// built from the resource's own scheme and authority — never from a Host header —
// with scheme and host lower-cased and a default port dropped (RFC 3986 §6.2.2.1,
// §6.2.3). The well-known path inserts `metadata_path` before the resource's path
// (RFC 9728 §3.1): https://h/mcp → /.well-known/oauth-protected-resource/mcp,
// https://h/a/b → …/a/b, and https://h or https://h/ → the root path itself. A
// resource path with a trailing slash (https://h/mcp/) is served at …/mcp/ (RFC 9728
// literally) and at …/mcp (what clients that strip it, like the TypeScript SDK, ask
// for). A query in the resource goes after the inserted path in the URL (RFC 9728
// §3.1); request paths are matched without their query.
//
// The root metadata path serves one document, the default: the resource whose own
// well-known URL is the root (a resource without a path), else the top-level
// `resource` when it is one of the protected resources, else the first one in
// configuration order (the first gateway route).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mcpauth::metadata {

// What the documents are made of (resource, authorization and metadata sections).
struct ResourceMetadataSettings {
  std::vector<std::string> resources;  // canonical URIs, configuration order; duplicates collapse
  std::string top_level_resource;      // preferred as the default document when listed above
  std::vector<std::string> authorization_servers;
  std::vector<std::string> scopes_supported;  // offline_access is never advertised
  std::string resource_name;                  // empty: omitted
  std::string resource_documentation;         // empty: omitted
  std::string metadata_path = "/.well-known/oauth-protected-resource";
  absl::Duration cache_ttl = absl::Seconds(300);
  // DPoP (RFC 9449 §5.1): both fields are advertised only when dpop_enabled.
  bool dpop_enabled = false;
  bool dpop_required = false;
  std::vector<std::string> dpop_algorithms;
};

struct ResourceDocument {
  std::string resource;       // exactly as configured
  std::string document_json;  // the RFC 9728 document as served
  std::string metadata_url;   // absolute; resource_metadata in challenges
  // Every request path that serves this document, the RFC 9728 one first.
  std::vector<std::string> well_known_paths;

  bool operator==(const ResourceDocument&) const = default;
};

// The RFC 9728 §3.1 metadata URL of `resource` (see the canonical forms above).
absl::StatusOr<std::string> MetadataUrlFor(std::string_view resource, std::string_view metadata_path);
// The request path part of MetadataUrlFor (no query).
absl::StatusOr<std::string> WellKnownPathFor(std::string_view resource, std::string_view metadata_path);
// "public, max-age=<seconds>": the documents are public and change rarely.
std::string CacheControlFor(absl::Duration cache_ttl);

class ProtectedResourceMetadata {
 public:
  ProtectedResourceMetadata() = default;  // no resources

  // InvalidArgument naming the resource when one is not an absolute URI.
  static absl::StatusOr<ProtectedResourceMetadata> Build(const ResourceMetadataSettings& settings);
  // Configuration order.
  const std::vector<ResourceDocument>& documents() const { return documents_; }
  // The document served at the root metadata path; nullptr without resources.
  const ResourceDocument* default_document() const;
  // `resource` exactly as configured; empty: the default document. nullptr when unknown.
  const ResourceDocument* FindByResource(std::string_view resource) const;
  // The document a request path (a query is ignored) serves; nullptr for none.
  const ResourceDocument* FindByPath(std::string_view request_path) const;
  // The Cache-Control value every document is served with.
  const std::string& cache_control() const { return cache_control_; }

 private:
  void Index();

  std::vector<ResourceDocument> documents_;
  size_t default_index_ = 0;
  std::string cache_control_;
  absl::flat_hash_map<std::string, size_t> by_path_;
};

}  // namespace mcpauth::metadata
