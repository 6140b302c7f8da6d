// The outbox events Store::Apply writes (store/outbox.h), built the same way by the SQLite
// and the PostgreSQL store: which plan items and department changes become events, their
// kind, object key, payload, and the digest of the state that decides whether anything
// changed (a write that leaves the object as it was writes no event, P3).
#pragma once

#include <cstdint>
#include <string>

#include "model/plan.h"

namespace telsync::store_detail {

// An event about to be written; the store fills seq, tenant, user_id and created_at.
struct PendingEvent {
  std::string kind;
  std::string object_key;  // "user:<id>" ("" for a create until its id is known)
  std::string payload;     // OutboxEvent::payload
  std::string state_hash;  // 16 hex digits of the state's digest; "" for a deletion
};

// The event of a written user (create, update, restore, unsearchable, pending_delete,
// relink); `user_id` may be 0 for a create (the key is then completed by UserKey).
PendingEvent UserEvent(const PlanItem& item, int64_t user_id);
// The event of a deleted user.
PendingEvent UserDeletedEvent(const PlanItem& item);
// The event of a department written or deleted (`profile`: the plan's when the department
// names none).
PendingEvent DepartmentEvent(const DepartmentChange& change, const std::string& profile);

std::string UserKey(int64_t user_id);

// A user's state as the events carry it: its non-empty fields, profile, source_key,
// searchable, state, groups and custom fields, as compact JSON with sorted keys. Written
// by hand (an event per changed user: P4); byte for byte what nlohmann::json writes for the
// same object, so the digests of stored states stay valid (outbox_events_test.cc compares
// the two).
std::string UserStateText(const PbxUser& user);

}  // namespace telsync::store_detail
