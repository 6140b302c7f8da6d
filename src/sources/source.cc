#include "sources/source.h"

#include <filesystem>

#include "sources/file/file_source.h"
#include "sources/graph/graph_source.h"
#include "sources/ldap/ldap_source.h"

namespace telsync {

ReadResult& SendGone(ReadResult& result, const std::string& id, const ObjectSink& sink) {
  SourceObject object;
  object.id = id;
  object.deleted = true;
  ++result.objects;
  sink(std::move(object));
  result.complete = true;
  return result;
}

Result<std::unique_ptr<Source>> MakeSource(const SourceConfig& config,
                                           const std::string& base_dir) {
  if (const auto* file = config.As<FileSourceConfig>()) {
    if (file->path.empty()) return Error::Invalid("a file source needs source.path");
    std::filesystem::path path(file->path);
    if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
    const std::string format = FileSource::FormatFor(file->path, file->format);
    if (format != "json" && format != "csv" && format != "ldif") {
      return Error::Invalid("cannot tell the format of " + file->path +
                            "; set source.format to json, csv or ldif");
    }
    return std::unique_ptr<Source>(
        std::make_unique<FileSource>(file->path, path.lexically_normal().string(), format));
  }
  if (const auto* ldap = config.As<LdapSourceConfig>()) {
    if (ldap->urls.empty()) return Error::Invalid("an ldap source needs source.url");
    return std::unique_ptr<Source>(std::make_unique<LdapSource>(*ldap));
  }
  if (const auto* graph = config.As<GraphSourceConfig>()) {
    return std::unique_ptr<Source>(std::make_unique<GraphSource>(*graph));
  }
  if (config.As<ScimSourceConfig>()) {
    return Error::Invalid(
        "a scim source is pushed to, not read: Entra provisioning sends it to `telsync serve`, "
        "and sync plans on what it sent");
  }
  return Error::Invalid("the profile has no source (source.type: file, graph, ldap or scim)");
}

}  // namespace telsync
