#include "targets/kamailio/kamailio_target.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/fields.h"
#include "phone/phone.h"
#include "targets/kamailio/kamailio_db.h"
#include "targets/sip_credentials.h"
#include "util/text.h"

namespace telsync {
namespace {

using json = nlohmann::json;
using ObjectId = std::pair<std::string, std::string>;  // (type, key)

constexpr const char* kSubscriber = "subscriber";
constexpr const char* kAlias = "alias";

// What the target needs of a user, from an event's payload or from the PBX directory.
struct UserView {
  int64_t id = 0;
  bool exists = false;  // false: deleted (the target must hold nothing of it)
  std::map<std::string, std::string> fields;
  bool enabled = true;  // active and searchable
};

UserView FromEvent(const OutboxEvent& event) {
  UserView view;
  view.id = event.user_id;
  if (event.kind == "user_deleted") return view;
  json payload = json::parse(event.payload, nullptr, false);
  if (payload.is_discarded() || !payload.contains("user") || !payload["user"].is_object()) {
    return view;
  }
  view.exists = true;
  bool searchable = true;
  bool active = true;
  for (const auto& [name, value] : payload["user"].items()) {
    if (value.is_string()) view.fields[name] = value.get<std::string>();
    if (name == "searchable" && value.is_boolean()) searchable = value.get<bool>();
  }
  active = view.fields["state"] != "pending_delete";
  view.enabled = searchable && active;
  return view;
}

UserView FromUser(const PbxUser& user) {
  UserView view;
  view.id = user.id;
  view.exists = true;
  for (size_t i = 0; i < kFieldCount; ++i) {
    const Field f = static_cast<Field>(i);
    if (!user.fields.Get(f).empty()) {
      view.fields[std::string(FieldName(f))] = std::string(user.fields.Get(f));
    }
  }
  view.enabled = user.searchable && user.state == UserState::kActive;
  return view;
}

// RFC 3261 "user" characters that need no escaping, minus the ones Kamailio's tables and
// phones handle badly: letters, digits and - _ . ! ~ * ' ( ) & = + $ , ; ? /
bool IsSipUser(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("-_.!~*'()&=+$,;?/").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

class KamailioTarget final : public Target {
 public:
  KamailioTarget(TargetConfig config, std::string tenant, TargetStateStore& store,
                 const SecretKey& key)
      : config_(std::move(config)), tenant_(std::move(tenant)), store_(store), key_(key) {}

  const TargetConfig& config() const override { return config_; }

  Result<std::vector<Status>> Publish(const std::vector<OutboxEvent>& events,
                                      int64_t now) override {
    if (Status s = Prepare(); !s.ok()) return s.error();
    if (Status s = db_->Begin(); !s.ok()) return Drop(s.error());
    passwords_.emplace(store_, key_, tenant_);
    std::vector<Status> results;
    results.reserve(events.size());
    for (const OutboxEvent& event : events) {
      if (event.user_id == 0) {  // departments: Kamailio has no place for them
        results.push_back(Ok());
        continue;
      }
      Result<Status> outcome = Sync(FromEvent(event), false, nullptr);
      if (!outcome.ok()) {
        db_->Rollback();
        return Drop(outcome.error());
      }
      results.push_back(*outcome);
    }
    if (Status s = Commit(now); !s.ok()) return s.error();
    return results;
  }

  Result<ReconcileReport> Reconcile(const std::vector<PbxUser>& users, bool dry_run,
                                    int64_t now) override {
    if (Status s = Prepare(); !s.ok()) return s.error();
    ReconcileReport report;
    if (!dry_run) {
      if (Status s = db_->Begin(); !s.ok()) return Drop(s.error());
    }
    // Every user is visited: read the tenant's passwords once.
    passwords_.emplace(store_, key_, tenant_);
    if (Status s = passwords_->LoadAll(); !s.ok()) {
      if (!dry_run) db_->Rollback();
      return s.error();
    }
    std::set<int64_t> seen;
    auto run = [&](const UserView& view) -> Status {
      Result<Status> outcome = Sync(view, dry_run, &report.steps);
      if (!outcome.ok()) return outcome.error();
      return Ok();  // a conflict is a step of the report, not a failure of the reconcile
    };
    for (const PbxUser& user : users) {
      seen.insert(user.id);
      if (Status s = run(FromUser(user)); !s.ok()) {
        if (!dry_run) db_->Rollback();
        return Drop(s.error());
      }
    }
    std::set<int64_t> gone;
    for (const auto& [user_id, objects] : by_user_) {
      if (!seen.count(user_id) && !objects.empty()) gone.insert(user_id);
    }
    for (const int64_t user_id : gone) {
      UserView view;
      view.id = user_id;
      if (Status s = run(view); !s.ok()) {
        if (!dry_run) db_->Rollback();
        return Drop(s.error());
      }
    }
    if (dry_run) {
      dirty_.clear();
      return report;
    }
    if (Status s = Commit(now); !s.ok()) return s.error();
    report.applied = true;
    return report;
  }

 private:
  // Opens the database (again after a failure), checks its schema and loads ownership.
  Status Prepare() {
    if (!db_) {
      Result<std::unique_ptr<KamailioDb>> opened = KamailioDb::Open(config_.db);
      if (!opened.ok()) return opened.error();
      db_ = std::move(*opened);
    }
    if (Status s = db_->CheckVersions(); !s.ok()) return Drop(s.error());
    Result<std::vector<TargetObject>> objects = store_.ListTargetObjects(tenant_, config_.name);
    if (!objects.ok()) return objects.error();
    owner_.clear();
    by_user_.clear();
    dirty_.clear();
    for (const TargetObject& o : *objects) Own({o.type, o.key}, o.user_id);
    return Ok();
  }

  Error Drop(Error error) {
    db_.reset();  // reopened next time: the database may have moved or come back
    return error;
  }

  void Own(const ObjectId& id, int64_t user_id) {
    auto it = owner_.find(id);
    if (it != owner_.end()) by_user_[it->second].erase(id);
    owner_[id] = user_id;
    by_user_[user_id].insert(id);
    dirty_.insert(id);
  }
  void Disown(const ObjectId& id) {
    auto it = owner_.find(id);
    if (it == owner_.end()) return;
    by_user_[it->second].erase(id);
    owner_.erase(it);
    dirty_.insert(id);
  }

  // Ends a publish: the new passwords are stored first (a digest in Kamailio of a password
  // telsync lost would be a phone that never registers), then Kamailio commits, then the
  // ownership of what was written is recorded, each in one transaction. A crash between the
  // last two leaves objects that match what telsync would write: the next reconcile adopts
  // them.
  Status Commit(int64_t now) {
    if (Status s = passwords_->Flush(now); !s.ok()) {
      db_->Rollback();
      return Drop(s.error());
    }
    if (Status s = db_->Commit(); !s.ok()) {
      db_->Rollback();
      return Drop(s.error());
    }
    return SaveOwnership();
  }

  Status SaveOwnership() {
    std::vector<TargetObject> put;
    std::vector<ObjectId> removed;
    for (const ObjectId& id : dirty_) {
      auto it = owner_.find(id);
      if (it == owner_.end()) {
        removed.push_back(id);
      } else {
        put.push_back({tenant_, config_.name, id.first, id.second, it->second});
      }
    }
    if (Status s = store_.SaveTargetObjects(tenant_, config_.name, put, removed); !s.ok()) return s;
    dirty_.clear();
    return Ok();
  }

  bool Routed(const UserView& view) const {
    auto it = view.fields.find(config_.rule.field);
    return RuleRoutes(config_.rule, it == view.fields.end() ? "" : it->second);
  }

  // Brings the target's objects of one user to what `view` says. The outer error aborts
  // the batch (the database failed); the inner Status is this user's outcome.
  Result<Status> Sync(const UserView& view, bool dry_run, std::vector<ReconcileStep>* steps) {
    const std::string& domain = config_.domain;
    auto step = [&](const char* action, const ObjectId& id, std::string detail) {
      if (steps != nullptr) steps->push_back({action, id.first, id.second, std::move(detail)});
    };
    std::string username;
    std::optional<KamailioSubscriber> want_subscriber;
    std::vector<KamailioAlias> want_aliases;
    if (view.exists && Routed(view)) {
      auto field = [&](const char* name) {
        auto it = view.fields.find(name);
        return it == view.fields.end() ? std::string() : it->second;
      };
      username = field("username");
      if (!username.empty() && !IsSipUser(username)) {
        const std::string who = "user " + username;
        step("conflict", {kSubscriber, username + "@" + domain}, "not a valid SIP user name");
        return Status(Error::Invalid(
            "username \"" + username +
                "\" is not a valid SIP user name (letters, digits and -_.!~*'()&=+$,;?/, at most "
                "64)",
            who));
      }
      if (!username.empty()) {
        if (view.enabled || config_.disabled_sip == DisabledSip::kKeep) {
          // A dry run makes no password: a user without one shows as created, no digest.
          std::optional<std::string> password;
          if (dry_run) {
            Result<std::optional<std::string>> found = passwords_->Find(view.id);
            if (!found.ok()) return found.error();
            password = std::move(*found);
          } else {
            Result<std::string> plain = passwords_->GetOrCreate(view.id);
            if (!plain.ok()) return plain.error();
            password = std::move(*plain);
          }
          KamailioSubscriber sub{username, domain, "", ""};
          if (password) {
            sub.ha1 = SipHa1(username, domain, *password);
            sub.ha1b = SipHa1b(username, domain, domain, *password);
          }
          want_subscriber = std::move(sub);
        }
        std::set<std::string> names;
        auto add_alias = [&](const std::string& alias) {
          if (alias.empty() || alias == username || !IsSipUser(alias)) return;
          if (names.insert(alias).second) {
            want_aliases.push_back({alias, domain, username, domain});
          }
        };
        add_alias(field("extension"));
        const std::string landline = field("landline");
        if (!landline.empty()) add_alias(RenderPhone(landline, config_.phone_render));
      }
    }

    std::set<ObjectId> want;
    if (want_subscriber) want.insert({kSubscriber, username + "@" + domain});
    for (const KamailioAlias& a : want_aliases)
      want.insert({kAlias, a.alias_username + "@" + domain});

    // Conflicts first, before anything of this user is written.
    std::vector<std::string> conflicts;
    std::optional<KamailioSubscriber> existing_subscriber;
    if (want_subscriber) {
      Result<std::optional<KamailioSubscriber>> got = db_->GetSubscriber(username, domain);
      if (!got.ok()) return got.error();
      existing_subscriber = *got;
      const ObjectId id{kSubscriber, username + "@" + domain};
      if (existing_subscriber && !owner_.count(id) && !want_subscriber->ha1.empty() &&
          existing_subscriber->ha1 != want_subscriber->ha1) {
        conflicts.push_back("subscriber " + id.second);
        step("conflict", id, "exists in Kamailio and was not created by telsync");
      }
    }
    std::vector<std::optional<KamailioAlias>> existing_aliases;
    for (const KamailioAlias& a : want_aliases) {
      Result<std::optional<KamailioAlias>> got = db_->GetAlias(a.alias_username, domain);
      if (!got.ok()) return got.error();
      const ObjectId id{kAlias, a.alias_username + "@" + domain};
      if (*got && !owner_.count(id) &&
          ((*got)->username != a.username || (*got)->domain != domain)) {
        conflicts.push_back("alias " + id.second + " (it points to " + (*got)->username + "@" +
                            (*got)->domain + ")");
        step("conflict", id, "exists in Kamailio and was not created by telsync");
      }
      existing_aliases.push_back(*got);
    }
    if (!conflicts.empty()) {
      std::string message;
      for (const std::string& c : conflicts) message += (message.empty() ? "" : ", ") + c;
      return Status(Error::Conflict(message + " exist" + (conflicts.size() == 1 ? "s" : "") +
                                        " in Kamailio and telsync did not create " +
                                        (conflicts.size() == 1 ? "it" : "them") + ": left alone",
                                    "user " + username));
    }

    // What telsync owns of this user and no longer wants: gone.
    std::vector<ObjectId> stale;
    if (auto it = by_user_.find(view.id); it != by_user_.end()) {
      for (const ObjectId& id : it->second) {
        if (!want.count(id)) stale.push_back(id);
      }
    }
    for (const ObjectId& id : stale) {
      const std::string name = id.second.substr(0, id.second.rfind('@'));
      const std::string dom = id.second.substr(id.second.rfind('@') + 1);
      if (id.first == kSubscriber) {
        Result<std::optional<KamailioSubscriber>> got = db_->GetSubscriber(name, dom);
        if (!got.ok()) return got.error();
        if (*got) step("delete", id, view.exists ? "no longer wanted" : "user deleted");
        if (!dry_run) {
          if (Status s = db_->DeleteSubscriber(name, dom); !s.ok()) return s.error();
        }
      } else {
        Result<std::optional<KamailioAlias>> got = db_->GetAlias(name, dom);
        if (!got.ok()) return got.error();
        if (*got) step("delete", id, view.exists ? "no longer wanted" : "user deleted");
        if (!dry_run) {
          if (Status s = db_->DeleteAlias(name, dom); !s.ok()) return s.error();
        }
      }
      Disown(id);
    }

    if (want_subscriber) {
      const ObjectId id{kSubscriber, username + "@" + domain};
      if (!existing_subscriber) {
        step("create", id, "");
      } else if (!want_subscriber->ha1.empty() &&
                 (existing_subscriber->ha1 != want_subscriber->ha1 ||
                  existing_subscriber->ha1b != want_subscriber->ha1b)) {
        step("update", id, "credentials differ");
      } else if (!owner_.count(id)) {
        step("adopt", id, "exists as telsync would write it");
      }
      const bool write = !existing_subscriber || existing_subscriber->ha1 != want_subscriber->ha1 ||
                         existing_subscriber->ha1b != want_subscriber->ha1b;
      if (!dry_run && write) {
        if (Status s = db_->PutSubscriber(*want_subscriber); !s.ok()) return s.error();
      }
      if (!owner_.count(id) || owner_[id] != view.id) Own(id, view.id);
    }
    for (size_t i = 0; i < want_aliases.size(); ++i) {
      const KamailioAlias& a = want_aliases[i];
      const std::optional<KamailioAlias>& existing = existing_aliases[i];
      const ObjectId id{kAlias, a.alias_username + "@" + domain};
      const bool same = existing && existing->username == a.username && existing->domain == domain;
      if (!existing) {
        step("create", id, "-> " + a.username + "@" + domain);
      } else if (!same) {
        step("update", id, "-> " + a.username + "@" + domain);
      } else if (!owner_.count(id)) {
        step("adopt", id, "exists as telsync would write it");
      }
      if (!dry_run && !same) {
        if (Status s = db_->PutAlias(a); !s.ok()) return s.error();
      }
      if (!owner_.count(id) || owner_[id] != view.id) Own(id, view.id);
    }
    return Status(Ok());
  }

  TargetConfig config_;
  std::string tenant_;
  TargetStateStore& store_;
  const SecretKey& key_;
  std::unique_ptr<KamailioDb> db_;
  std::map<ObjectId, int64_t> owner_;
  std::unordered_map<int64_t, std::set<ObjectId>> by_user_;
  std::set<ObjectId> dirty_;
  std::optional<SipPasswordBook> passwords_;  // of the publish under way
};

}  // namespace

std::unique_ptr<Target> MakeKamailioTarget(const TargetConfig& config, const std::string& tenant,
                                           TargetStateStore& store, const SecretKey& key) {
  return std::make_unique<KamailioTarget>(config, tenant, store, key);
}

}  // namespace telsync
