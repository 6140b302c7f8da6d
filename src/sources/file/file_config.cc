#include "sources/file/file_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace telsync {

const std::vector<ConfigKey>& FileSourceConfig::Keys() {
  static const std::vector<ConfigKey> keys = {
      {"path", "(required)", "a JSON, CSV or LDIF export of the directory"},
      {"format", "from the extension", "json, csv or ldif"},
  };
  return keys;
}

void ReadFileSourceConfig(ConfigBlock& block, FileSourceConfig& config) {
  if (!block.Has("path")) {
    block.Problem("path",
                  "required key 'path' is missing for a file source (the directory export to "
                  "read, e.g. path: directory.json)");
  } else if (auto s = block.ServerPath("path", false)) {
    const bool blank =
        std::all_of(s->begin(), s->end(), [](char c) { return c == ' ' || c == '\t'; });
    if (blank) {
      block.Problem("path", "must name the directory export to read (got " + QuoteValue(*s) + ")");
    } else {
      config.path = *s;
    }
  }
  static const std::vector<std::string> kFormats = {"json", "csv", "ldif"};
  if (block.Has("format")) {
    if (auto e = block.Enum("format", kFormats)) config.format = kFormats[*e];
  } else if (!config.path.empty()) {
    std::string ext = std::filesystem::path(config.path).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext != ".json" && ext != ".csv" && ext != ".ldif") {
      block.Problem("path", "cannot tell the format from the extension " + QuoteValue(ext) +
                                "; set source.format to json, csv or ldif");
    }
  }
}

}  // namespace telsync
