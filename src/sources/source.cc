#include "sources/source.h"

#include <filesystem>

#include "sources/file/file_source.h"
#include "sources/graph/graph_source.h"
#include "sources/ldap/ldap_source.h"

namespace telsync {

Result<std::unique_ptr<Source>> MakeSource(const SourceConfig& config,
                                           const std::string& base_dir) {
  if (config.type == "file") {
    if (config.path.empty()) return Error::Invalid("a file source needs source.path");
    std::filesystem::path path(config.path);
    if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
    const std::string format = FileSource::FormatFor(config.path, config.format);
    if (format != "json" && format != "csv" && format != "ldif") {
      return Error::Invalid("cannot tell the format of " + config.path +
                            "; set source.format to json, csv or ldif");
    }
    return std::unique_ptr<Source>(
        std::make_unique<FileSource>(config.path, path.lexically_normal().string(), format));
  }
  if (config.type == "ldap") {
    if (config.urls.empty()) return Error::Invalid("an ldap source needs source.url");
    return std::unique_ptr<Source>(std::make_unique<LdapSource>(config));
  }
  if (config.type == "graph") return std::unique_ptr<Source>(std::make_unique<GraphSource>(config));
  if (config.type == "scim") {
    return Error::Invalid(
        "a scim source is pushed to, not read: Entra provisioning sends it to `telsync serve`, "
        "and sync plans on what it sent");
  }
  return Error::Invalid("unknown source type '" + config.type + "' (file, graph, ldap or scim)");
}

}  // namespace telsync
