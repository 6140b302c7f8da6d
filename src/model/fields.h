// FieldSet: the fixed telephony fields of a PBX user, stored compactly.
//
// A million users are a normal day (SPEC P1), and the planner holds the desired and the
// stored directory at once, so the fields of one user live in one string with 16-bit
// offsets: one heap allocation per user instead of one per field. Values are UTF-8; an
// empty value means "not set". All values of one user together hold at most kMaxBytes;
// Set cuts a value that would not fit (at a character boundary). Validation rejects any
// field over kMaxFieldLength long before that, so no accepted user is ever cut.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telsync {

// The fixed fields, in report order. Names (FieldName) are the config and report keys.
enum class Field : uint8_t {
  kUsername,
  kFirstName,
  kLastName,
  kDisplayName,
  kEmail,
  kExtension,
  kLandline,  // E.164 once validated
  kMobile,    // E.164 once validated
  kDepartment,
  kJobTitle,
  kCity,
  kCountry,
  kCallerId,
  kTemplate,
  kCount,
};

inline constexpr size_t kFieldCount = static_cast<size_t>(Field::kCount);

// The longest value validation accepts in one field, in bytes (F8: a clear reason instead
// of a value no telephony system displays).
inline constexpr size_t kMaxFieldLength = 1024;

// "username", "first_name", ... as used in YAML mapping keys, reports and the preview JSON.
std::string_view FieldName(Field f);
// The inverse of FieldName; nullopt for an unknown name (a custom field).
std::optional<Field> FieldFromName(std::string_view name);

class FieldSet {
 public:
  static constexpr size_t kMaxBytes = 65535;

  FieldSet() { ends_.fill(0); }

  std::string_view Get(Field f) const {
    const size_t i = static_cast<size_t>(f);
    const uint16_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(data_).substr(begin, ends_[i] - begin);
  }
  // Replaces one value. O(total size): fields are set a handful of times per user.
  void Set(Field f, std::string_view value);

  bool operator==(const FieldSet& o) const { return data_ == o.data_ && ends_ == o.ends_; }
  size_t ByteSize() const { return data_.size(); }

 private:
  std::string data_;
  std::array<uint16_t, kFieldCount> ends_;
};

}  // namespace telsync
