#include "model/fields.h"

namespace telsync {
namespace {

constexpr std::array<std::string_view, kFieldCount> kNames = {
    "username", "first_name", "last_name", "display_name", "email",   "extension", "landline",
    "mobile",   "department", "job_title", "city",         "country", "caller_id", "template",
};

}  // namespace

std::string_view FieldName(Field f) { return kNames[static_cast<size_t>(f)]; }

std::optional<Field> FieldFromName(std::string_view name) {
  for (size_t i = 0; i < kFieldCount; ++i) {
    if (kNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

void FieldSet::Set(Field f, std::string_view value) {
  const size_t i = static_cast<size_t>(f);
  const size_t begin = i == 0 ? 0 : ends_[i - 1];
  const size_t old_len = ends_[i] - begin;
  const size_t room = kMaxBytes - (data_.size() - old_len);
  if (value.size() > room) {
    size_t cut = room;
    // Back up over UTF-8 continuation bytes so the cut value stays valid text.
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    value = value.substr(0, cut);
  }
  data_.replace(begin, old_len, value);
  const int64_t delta = static_cast<int64_t>(value.size()) - static_cast<int64_t>(old_len);
  for (size_t j = i; j < kFieldCount; ++j) {
    ends_[j] = static_cast<uint16_t>(static_cast<int64_t>(ends_[j]) + delta);
  }
}

}  // namespace telsync
