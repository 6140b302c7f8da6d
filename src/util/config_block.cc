#include "util/config_block.h"

namespace telsync {

std::vector<std::string> KeyNames(const std::vector<ConfigKey>& keys) {
  std::vector<std::string> names;
  names.reserve(keys.size());
  for (const ConfigKey& key : keys) names.emplace_back(key.name);
  return names;
}

std::string QuoteValue(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace telsync
