// How the planner's stages number, key and name users (a detail of plan/planner.cc).
//
// Users are numbered, not pointed to: a stored user by its index in StoreSnapshot::users,
// a desired user by its index in PlanInput::desired and, where one number covers both (the
// holder of a unique value), desired user i as stored.size() + i. kNone is no user.
// Case-insensitive keys (e-mail, username) are folded to ASCII lower case; KeyFolder keeps
// the folded copies alive for the views the indexes hold. KeyFolder is not thread-safe; the
// free functions are pure.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/pbx.h"
#include "plan/detail/text.h"
#include "plan/validate.h"

namespace telsync::plan_detail {

inline constexpr int64_t kNone = -1;

// Fields that must be unique across the tenant (F8). E-mail and username compare
// case-insensitively; numbers are E.164 and extensions digits, so they compare exactly.
inline constexpr std::array<Field, 5> kUniqueFields = {
    Field::kEmail, Field::kUsername, Field::kExtension, Field::kLandline, Field::kMobile};
inline constexpr size_t kEmailIndex = 0;
inline constexpr size_t kUsernameIndex = 1;
inline constexpr size_t kExtensionIndex = 2;
constexpr bool FoldsCase(size_t u) { return u < 2; }

// A user's values of the unique fields, in kUniqueFields order; empty: none.
using UniqueValues = std::array<std::string_view, kUniqueFields.size()>;

// The position of `f` in kUniqueFields, or nullopt for a field that need not be unique.
inline std::optional<size_t> UniqueIndex(Field f) {
  for (size_t u = 0; u < kUniqueFields.size(); ++u) {
    if (kUniqueFields[u] == f) return u;
  }
  return std::nullopt;
}

inline UniqueValues UniqueValuesOf(const FieldSet& fields) {
  UniqueValues values{};
  for (size_t u = 0; u < kUniqueFields.size(); ++u) values[u] = fields.Get(kUniqueFields[u]);
  return values;
}

class KeyFolder {
 public:
  // The key of value `v` of unique field `u`: lower-cased for e-mail and username. The view
  // lives as long as `v` or this folder.
  std::string_view Key(size_t u, std::string_view v) {
    if (FoldsCase(u) && HasUpper(v)) return Stable(AsciiLower(v));
    return v;
  }
  // `s`, kept alive for this folder's lifetime.
  std::string_view Stable(std::string s) { return arena_.emplace_back(std::move(s)); }

 private:
  std::deque<std::string> arena_;
};

// True when desired user a comes before b in the order that decides ties: by source id
// (byte order), then by source position for a repeated id. Never the order the source
// returned them in (issue 14 item 5), so a delta read and a full read decide alike.
inline bool IdBefore(const std::vector<DesiredUser>& desired, size_t a, size_t b) {
  const int c = desired[a].user.source_key.compare(desired[b].user.source_key);
  return c != 0 ? c < 0 : a < b;
}

// Names in reasons: the username, else "user:<id>" for a stored user and the source id
// for a desired one.
std::string StoredName(const PbxUser& stored);
std::string DesiredName(const PbxUser& desired);

std::string Quote(std::string_view s);

}  // namespace telsync::plan_detail
