#include "apply/explain.h"

#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

#include "apply/run_profile.h"

namespace telsync {
namespace {

// Events read per page while looking for the users' last delivered events.
constexpr size_t kOutboxPage = 1000;

// A stored user the plan leaves alone (no item): why.
void ExplainUnplanned(const Profile& profile, Explanation& e) {
  if (!e.identity.empty()) return;
  const bool unlinked = e.key.rfind("user:", 0) == 0;
  e.identity.push_back(
      {"link", unlinked ? "unlinked" : "other",
       unlinked ? "stored user " + e.username + " (id " + std::to_string(e.stored_id) +
                      ") has no source id: the plan leaves it alone until a source user with "
                      "its e-mail, UPN or username adopts it"
                : "stored user " + e.username + " (id " + std::to_string(e.stored_id) +
                      ") is not linked to profile " + profile.name +
                      " (another profile's user): this profile never changes or deletes it"});
}

// Targets that record the objects they create (TargetStateStore ownership, issue 17).
bool KeepsObjects(const std::string& type) { return type == "kamailio" || type == "scim"; }

// What each target would receive and what it last delivered, for every explained user.
Status ExplainTargets(const Profile& profile, Store& store, const Plan& plan,
                      const std::vector<TargetRoute>& routes, std::vector<Explanation>& users) {
  if (routes.empty()) return Ok();
  std::unordered_map<std::string_view, const PlanItem*> items;
  for (const PlanItem& item : plan.items) items.emplace(item.key, &item);  // first one speaks

  // The newest event of each explained stored user, per seq (targets differ in cursor).
  std::unordered_map<int64_t, std::vector<OutboxEvent>> events;
  for (const Explanation& e : users) {
    if (e.stored_id != 0) events[e.stored_id];
  }
  int64_t newest_cursor = 0;
  std::vector<std::optional<TargetCursor>> cursors;
  // What each target holds: the objects it created, per user (TargetStateStore, kept by the
  // target as it publishes, so right after outbox compaction too). A target that keeps no
  // such state (webhook, phonebook) has none: its last delivered event says what it got.
  std::vector<std::unordered_map<int64_t, std::vector<const TargetObject*>>> owned(routes.size());
  std::vector<std::vector<TargetObject>> objects(routes.size());
  for (size_t r = 0; r < routes.size(); ++r) {
    const TargetRoute& route = routes[r];
    auto cursor = store.GetTargetCursor(profile.tenant, route.name);
    if (!cursor.ok()) return cursor.error();
    if (*cursor) newest_cursor = std::max(newest_cursor, (*cursor)->last_seq);
    cursors.push_back(std::move(*cursor));
    auto listed = store.ListTargetObjects(profile.tenant, route.name);
    if (!listed.ok()) return listed.error();
    objects[r] = std::move(*listed);
    for (const TargetObject& object : objects[r]) owned[r][object.user_id].push_back(&object);
  }
  if (!events.empty() && newest_cursor > 0) {
    for (int64_t after = 0; after < newest_cursor;) {
      auto page = store.ListOutbox(profile.tenant, after, kOutboxPage);
      if (!page.ok()) return page.error();
      if (page->empty()) break;
      for (OutboxEvent& event : *page) {
        after = event.seq;
        if (event.seq > newest_cursor) break;
        if (auto it = events.find(event.user_id); it != events.end() && event.user_id != 0) {
          it->second.push_back(std::move(event));
        }
      }
    }
  }

  for (Explanation& e : users) {
    const auto found = items.find(e.key);
    const PlanItem* item = found == items.end() ? nullptr : found->second;
    for (size_t r = 0; r < routes.size(); ++r) {
      const TargetRoute& route = routes[r];
      ExplainTarget t;
      t.name = route.name;
      t.type = route.type;
      t.rule = RuleText(route.rule);
      if (item != nullptr) t.steps = TargetSteps(*item, {route});
      if (const auto& cursor = cursors[r]) {
        t.cursor_seq = cursor->last_seq;
        t.last_error = cursor->last_error;
      }
      const OutboxEvent* last = nullptr;
      if (auto it = events.find(e.stored_id); it != events.end()) {
        for (const OutboxEvent& event : it->second) {
          if (event.seq <= t.cursor_seq) last = &event;
        }
      }
      if (last != nullptr) {
        t.last_event = last->kind + " (seq " + std::to_string(last->seq) + ")";
      }
      if (KeepsObjects(route.type) || !objects[r].empty()) {
        // The target's own record of what it created for the user.
        const auto it = e.stored_id == 0 ? owned[r].end() : owned[r].find(e.stored_id);
        if (it != owned[r].end()) {
          for (const TargetObject* object : it->second) {
            t.holds += (t.holds.empty() ? "" : ", ") + object->type + " " + object->key;
          }
        } else {
          t.holds = t.cursor_seq == 0 ? "nothing yet: the target never published"
                                      : "nothing: the target keeps no object of this user";
        }
      } else if (last == nullptr) {
        t.holds = t.cursor_seq == 0 ? "nothing yet: the target never published"
                                    : "no delivered event of this user is kept (none, or "
                                      "compacted): this target keeps no state in telsync";
      } else {
        const nlohmann::json payload =
            nlohmann::json::parse(last->payload, nullptr, /*allow_exceptions=*/false);
        if (last->kind == "user_deleted") {
          t.holds = "nothing: the user was deleted";
        } else if (payload.is_object() && payload.contains("user")) {
          t.holds = payload["user"].dump();
        } else {
          t.holds = last->payload;
        }
      }
      e.targets.push_back(std::move(t));
    }
  }
  return Ok();
}

}  // namespace

Result<std::vector<Explanation>> ExplainUsers(const Profile& profile, Store& store,
                                              const std::vector<std::string>& users,
                                              const ExplainOptions& options) {
  ExplainSet set(users);
  auto prepared = PreparedRun::Make(profile, options.base_dir);
  if (!prepared.ok()) return prepared.error();
  EngineOptions engine;
  engine.kind = RunKind::kPreview;
  engine.trigger = "explain";
  engine.now = options.now;
  engine.lock_wait_seconds = options.lock_wait_seconds;
  engine.threads = options.threads;
  engine.targets = options.targets;
  engine.explain = &set;
  engine.explain_fresh = options.fresh;
  auto outcome = prepared->Run(store, engine);
  if (!outcome.ok()) return outcome.error();

  std::vector<Explanation>& out = set.users();
  for (Explanation& e : out) {
    if (!e.in_source && !e.in_store && !e.out_of_scope) {
      return Error::NotFound("no user " + e.query + " in the source or the PBX directory of " +
                             profile.tenant + "/" + profile.name +
                             " (matched by username, e-mail, UPN, source id or user:<id>)");
    }
    if (!e.planned && e.in_store) ExplainUnplanned(profile, e);
    // The scope's other half, decided by the planner (Policy, step 7): named here too.
    for (const ExplainStep& step : e.policy) {
      if (step.what == "disabled handling" || step.what == "exclusion group") {
        e.scope.push_back({step.what, step.outcome, step.detail + " (Policy, step 7)"});
      }
    }
  }
  if (Status s = ExplainTargets(profile, store, outcome->plan, options.targets, out); !s.ok()) {
    return s.error();
  }
  return std::move(out);
}

Result<Explanation> ExplainUser(const Profile& profile, Store& store, const std::string& user,
                                const ExplainOptions& options) {
  auto all = ExplainUsers(profile, store, {user}, options);
  if (!all.ok()) return all.error();
  return std::move(all->front());
}

}  // namespace telsync
