// Column encodings shared by the SQLite and PostgreSQL stores: JSON text for the list and
// map columns (groups, custom fields, a change's fields, a run's summary) and for a mirror
// entry's attributes, so a store moves between backends unchanged. The parsers answer
// kInternal "store: corrupt <column> column" for text they did not write.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <optional>
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
// A stored user as JSON (run_items.removed_user: what `runs revert` restores), every
// column but the tenant; ParseUserRow reads it back. "" parses to std::nullopt.
std::string UserRowJson(const PbxUser& user);
Result<std::optional<PbxUser>> ParseUserRow(std::string_view text);
// A run_items row read back as a PlanItem: a deleted user's stored row is its target, else the
// target only keeps what identifies the user (id and username). kInternal for a corrupt row.
struct RunItemColumns {
  std::string_view action, key, username, changes, reason;
  int64_t user_id = 0;
  std::string_view removed_user;
};
Result<PlanItem> RunItemFromColumns(const RunItemColumns& row);
// Whether a needle (RunItemsQuery::needle) may be looked for in the row's columns as stored
// (username, key, reason and the changes' JSON text): not when JSON would escape one of its
// characters (a quote, a backslash, a control character).
bool NeedleFitsStoredText(std::string_view needle);
// Counts a kept item into `page` (matched; the item itself when it falls on the page).
void AddToPage(PlanItem&& item, const RunItemsQuery& query, RunItemsPage& page);
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

namespace telsync::store_detail {

// Every table a tenant owns and the statement that empties it of one tenant ($1), in the
// order DeleteTenant runs them (items before their runs). Both stores run this list, so
// a table added by a migration is added here once. The contract test checks that after
// DeleteTenant no table with a `tenant` column holds a row of the tenant.
struct TenantTable {
  const char* table;
  const char* delete_sql;
};
inline constexpr std::array<TenantTable, 22> kTenantTables = {{
    {"run_items", "DELETE FROM run_items WHERE run_id IN (SELECT id FROM runs WHERE tenant = $1)"},
    {"run_departments",
     "DELETE FROM run_departments WHERE run_id IN (SELECT id FROM runs WHERE tenant = $1)"},
    {"runs", "DELETE FROM runs WHERE tenant = $1"},
    {"users", "DELETE FROM users WHERE tenant = $1"},
    {"departments", "DELETE FROM departments WHERE tenant = $1"},
    {"mirror", "DELETE FROM mirror WHERE tenant = $1"},
    {"mirror_pending", "DELETE FROM mirror_pending WHERE tenant = $1"},
    {"cursors", "DELETE FROM cursors WHERE tenant = $1"},
    {"api_tokens", "DELETE FROM api_tokens WHERE tenant = $1"},
    {"notifications", "DELETE FROM notifications WHERE tenant = $1"},
    {"stored_profiles", "DELETE FROM stored_profiles WHERE tenant = $1"},
    {"jobs", "DELETE FROM jobs WHERE tenant = $1"},
    // The targets' outbox (issue 17, store/outbox.h).
    {"outbox", "DELETE FROM outbox WHERE tenant = $1"},
    {"outbox_state", "DELETE FROM outbox_state WHERE tenant = $1"},
    {"outbox_last", "DELETE FROM outbox_last WHERE tenant = $1"},
    {"target_cursors", "DELETE FROM target_cursors WHERE tenant = $1"},
    {"target_dead", "DELETE FROM target_dead WHERE tenant = $1"},
    {"target_objects", "DELETE FROM target_objects WHERE tenant = $1"},
    {"sip_credentials", "DELETE FROM sip_credentials WHERE tenant = $1"},
    {"profile_pauses", "DELETE FROM profile_pauses WHERE tenant = $1"},
    {"plan_waiting", "DELETE FROM plan_waiting WHERE tenant = $1"},  // issue 20 §1
    {"tenants", "DELETE FROM tenants WHERE name = $1"},
}};

// Adds `rows` removed from `table` to the deletion's count of that kind.
void CountDeleted(std::string_view table, int64_t rows, TenantDeletion& out);

}  // namespace telsync::store_detail
