#include "services/metadata/resource_metadata.h"

#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "services/common/json.h"
#include "services/common/log.h"
#include "services/common/strings.h"
#include "services/common/url_policy.h"

namespace mcpauth::metadata {
namespace {

// A resource URI split the way RFC 9728 §3.1 needs it.
struct ResourceParts {
  std::string origin;  // scheme://host[:port], normalized
  std::string path;    // "" for none or "/"
  std::string query;   // "?..." or ""
};

absl::StatusOr<ResourceParts> SplitResource(std::string_view resource) {
  auto parsed = ParseUri(resource);
  if (!parsed.ok()) return parsed.status();
  const boost::urls::url_view& u = *parsed;
  if (!u.has_authority() || u.encoded_host().empty()) {
    return absl::InvalidArgumentError(StrCat("resource has no host: \"", resource, "\""));
  }
  ResourceParts parts;
  const std::string scheme = AsciiLower(u.scheme());
  std::string port(u.port());
  if ((scheme == "https" && port == "443") || (scheme == "http" && port == "80")) port.clear();
  parts.origin = StrCat(scheme, "://", AsciiLower(u.encoded_host()), port.empty() ? "" : ":", port);
  parts.path = std::string(u.encoded_path());
  if (parts.path == "/") parts.path.clear();
  if (u.has_query()) parts.query = StrCat("?", u.encoded_query());
  return parts;
}

std::string_view WithoutTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
  return path;
}

std::string WellKnownPath(const ResourceParts& parts, std::string_view metadata_path) {
  if (parts.path.empty()) return std::string(metadata_path);
  return StrCat(WithoutTrailingSlashes(metadata_path), parts.path);
}

boost::json::array StringArray(const std::vector<std::string>& values) {
  boost::json::array out;
  for (const std::string& v : values) out.emplace_back(v);
  return out;
}

std::string DocumentJson(const ResourceMetadataSettings& settings, const std::string& resource) {
  boost::json::object doc;
  doc["resource"] = resource;
  if (!settings.authorization_servers.empty()) {
    doc["authorization_servers"] = StringArray(settings.authorization_servers);
  }
  std::vector<std::string> scopes;
  for (const std::string& s : settings.scopes_supported) {
    // offline_access asks the authorization server for a refresh token; it is not a
    // scope of this resource (MCP 2025-11-25).
    if (s != "offline_access") scopes.push_back(s);
  }
  if (!scopes.empty()) doc["scopes_supported"] = StringArray(scopes);
  doc["bearer_methods_supported"] = boost::json::array{"header"};
  if (!settings.resource_name.empty()) doc["resource_name"] = settings.resource_name;
  if (!settings.resource_documentation.empty()) doc["resource_documentation"] = settings.resource_documentation;
  if (settings.dpop_enabled) {
    if (!settings.dpop_algorithms.empty()) {
      doc["dpop_signing_alg_values_supported"] = StringArray(settings.dpop_algorithms);
    }
    doc["dpop_bound_access_tokens_required"] = settings.dpop_required;
  }
  return ToJson(doc);
}

}  // namespace

absl::StatusOr<std::string> WellKnownPathFor(std::string_view resource, std::string_view metadata_path) {
  auto parts = SplitResource(resource);
  if (!parts.ok()) return parts.status();
  return WellKnownPath(*parts, metadata_path);
}

absl::StatusOr<std::string> MetadataUrlFor(std::string_view resource, std::string_view metadata_path) {
  auto parts = SplitResource(resource);
  if (!parts.ok()) return parts.status();
  return StrCat(parts->origin, WellKnownPath(*parts, metadata_path), parts->query);
}

std::string CacheControlFor(absl::Duration cache_ttl) {
  return StrCat("public, max-age=", absl::ToInt64Seconds(cache_ttl));
}

absl::StatusOr<ProtectedResourceMetadata> ProtectedResourceMetadata::Build(const ResourceMetadataSettings& settings) {
  ProtectedResourceMetadata out;
  out.cache_control_ = CacheControlFor(settings.cache_ttl);
  std::optional<size_t> root_owner, top_level;
  for (const std::string& resource : settings.resources) {
    if (out.FindByResource(resource) != nullptr && !resource.empty()) continue;  // two routes, one resource
    auto parts = SplitResource(resource);
    if (!parts.ok()) {
      return absl::InvalidArgumentError(StrCat("resource \"", resource, "\": ", parts.status().message()));
    }
    ResourceDocument doc;
    doc.resource = resource;
    doc.document_json = DocumentJson(settings, resource);
    doc.metadata_url = StrCat(parts->origin, WellKnownPath(*parts, settings.metadata_path), parts->query);
    doc.well_known_paths.push_back(WellKnownPath(*parts, settings.metadata_path));
    if (parts->path.size() > 1 && parts->path.ends_with('/')) {
      ResourceParts trimmed = *parts;
      trimmed.path = std::string(WithoutTrailingSlashes(parts->path));
      doc.well_known_paths.push_back(WellKnownPath(trimmed, settings.metadata_path));
    }
    if (!root_owner && doc.well_known_paths.front() == settings.metadata_path) root_owner = out.documents_.size();
    if (!top_level && resource == settings.top_level_resource) top_level = out.documents_.size();
    out.documents_.push_back(std::move(doc));
  }
  out.default_index_ = root_owner.value_or(top_level.value_or(0));
  if (!out.documents_.empty()) {
    std::vector<std::string>& paths = out.documents_[out.default_index_].well_known_paths;
    if (std::find(paths.begin(), paths.end(), settings.metadata_path) == paths.end()) {
      paths.push_back(settings.metadata_path);
    }
  }
  out.Index();
  return out;
}

void ProtectedResourceMetadata::Index() {
  by_path_.clear();
  if (documents_.empty()) return;
  // The default document first, so the root path is always its; then
  // configuration order: a path two resources would share belongs to the first.
  auto add = [this](size_t index) {
    for (const std::string& path : documents_[index].well_known_paths) {
      auto [it, inserted] = by_path_.emplace(path, index);
      if (!inserted && it->second != index) {
        log::Warn(
            "two protected resources share a well-known metadata path; the first keeps it",
            {{"path", path}, {"served", documents_[it->second].resource}, {"not_served", documents_[index].resource}});
      }
    }
  };
  add(default_index_);
  for (size_t i = 0; i < documents_.size(); ++i) {
    if (i != default_index_) add(i);
  }
}

const ResourceDocument* ProtectedResourceMetadata::default_document() const {
  return documents_.empty() ? nullptr : &documents_[default_index_];
}

const ResourceDocument* ProtectedResourceMetadata::FindByResource(std::string_view resource) const {
  if (resource.empty()) return default_document();
  for (const ResourceDocument& doc : documents_) {
    if (doc.resource == resource) return &doc;
  }
  return nullptr;
}

const ResourceDocument* ProtectedResourceMetadata::FindByPath(std::string_view request_path) const {
  if (const size_t query = request_path.find('?'); query != std::string_view::npos) {
    request_path = request_path.substr(0, query);
  }
  auto it = by_path_.find(std::string(request_path));
  return it == by_path_.end() ? nullptr : &documents_[it->second];
}

}  // namespace mcpauth::metadata
