// Column encodings shared by the SQLite and PostgreSQL stores: JSON text for the list and
// map columns (groups, custom fields, a change's fields, a run's summary) and for a mirror
// entry's attributes, so a store moves between backends unchanged. The parsers answer
// kInternal "store: corrupt <column> column" for text they did not write.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/plan.h"
#include "model/source_object.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::store_detail {

// Compact JSON; invalid UTF-8 is replaced, never thrown on.
std::string Dump(const nlohmann::json& value);
std::string GroupsJson(const std::vector<std::string>& groups);
std::string CustomJson(const std::vector<std::pair<std::string, std::string>>& custom);
std::string ChangesJson(const std::vector<FieldChange>& changes);
bool IsEmptyJson(std::string_view text);
Result<std::vector<std::string>> ParseStringArray(std::string_view text, std::string_view what);
Result<std::vector<std::pair<std::string, std::string>>> ParseCustom(std::string_view text);
Result<std::vector<FieldChange>> ParseChanges(std::string_view text);
std::string SummaryJson(const std::array<size_t, kActionCount>& summary);
std::array<size_t, kActionCount> ParseSummary(std::string_view text);

// A mirror entry's data column: {"a": [[name, [values...]], ...], "g": [groups...]}, the
// attribute order kept.
std::string EncodeMirrorData(const SourceObject& object);
Result<SourceObject> DecodeMirrorData(std::string_view data);
// The mirror's hash column: FNV-1a over everything a Put may change (the encoded data,
// name, external id, payload, enabled), so an unchanged resync writes nothing.
int64_t EntryHash(const MirrorEntry& entry, std::string_view data);

}  // namespace telsync::store_detail
