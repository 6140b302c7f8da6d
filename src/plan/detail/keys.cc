#include "plan/detail/keys.h"

namespace telsync::plan_detail {

std::string StoredName(const PbxUser& stored) {
  const std::string_view name = stored.fields.Get(Field::kUsername);
  if (!name.empty()) return std::string(name);
  return "user:" + std::to_string(stored.id);
}

std::string DesiredName(const PbxUser& desired) {
  const std::string_view name = desired.fields.Get(Field::kUsername);
  if (!name.empty()) return std::string(name);
  return desired.source_key;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace telsync::plan_detail
