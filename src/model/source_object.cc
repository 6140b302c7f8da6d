#include "model/source_object.h"

#include <strings.h>

namespace telsync {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

const std::vector<std::string>* SourceObject::Find(std::string_view name) const {
  for (const auto& [key, values] : attributes) {
    if (EqualsNoCase(key, name)) return &values;
  }
  return nullptr;
}

std::string_view SourceObject::First(std::string_view name) const {
  const auto* values = Find(name);
  if (values == nullptr || values->empty()) return {};
  return values->front();
}

void SourceObject::Add(std::string_view name, std::string value) {
  for (auto& [key, values] : attributes) {
    if (EqualsNoCase(key, name)) {
      values.push_back(std::move(value));
      return;
    }
  }
  attributes.emplace_back(std::string(name), std::vector<std::string>{std::move(value)});
}

std::string CanonicalSourceId(std::string_view id) {
  std::string_view g = id;
  if (g.size() == 38 && g.front() == '{' && g.back() == '}') g = g.substr(1, 36);
  if (g.size() != 36) return std::string(id);
  std::string out(g);
  for (size_t i = 0; i < out.size(); ++i) {
    char& c = out[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return std::string(id);
    } else if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return std::string(id);
    }
  }
  return out;
}

}  // namespace telsync
