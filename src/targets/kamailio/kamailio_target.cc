#include "targets/kamailio/kamailio_target.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
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

constexpr const char* kSubscriber = "subscriber";
constexpr const char* kAlias = "alias";

// One object the target writes: a subscriber or an alias, keyed "name@domain". `type` is
// kSubscriber or kAlias (compared by address).
struct ObjectId {
  const char* type = kSubscriber;
  std::string key;
  bool operator==(const ObjectId& o) const { return type == o.type && key == o.key; }
};
struct ObjectIdHash {
  size_t operator()(const ObjectId& id) const {
    return std::hash<std::string>()(id.key) ^ (id.type == kAlias ? 0x9e3779b97f4a7c15ULL : 0);
  }
};
// By type name, then key: the order of the store's primary key.
bool ObjectIdLess(const ObjectId& a, const ObjectId& b) {
  const std::string_view x(a.type);
  const std::string_view y(b.type);
  return x != y ? x < y : a.key < b.key;
}
const char* ObjectType(const std::string& type) { return type == kAlias ? kAlias : kSubscriber; }

// What the target needs of a user, from an event's payload or from the PBX directory.
struct UserView {
  int64_t id = 0;
  bool exists = false;                 // false: deleted (the target must hold nothing of it)
  FieldSet own;                        // an event's fields
  const FieldSet* borrowed = nullptr;  // a stored user's fields (not copied)
  bool enabled = true;                 // active and searchable

  const FieldSet& fields() const { return borrowed != nullptr ? *borrowed : own; }
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
  UserState state = UserState::kActive;
  for (const auto& [name, value] : payload["user"].items()) {
    if (name == "searchable" && value.is_boolean()) searchable = value.get<bool>();
    if (name == "state" && value.is_string() && value.get<std::string>() == "pending_delete") {
      state = UserState::kPendingDelete;
    }
    if (!value.is_string()) continue;
    if (std::optional<Field> f = FieldFromName(name)) {
      view.own.Set(*f, value.get<std::string>());
    }
  }
  view.enabled = SipEnabled(searchable, state);
  return view;
}

UserView FromUser(const PbxUser& user) {
  UserView view;
  view.id = user.id;
  view.exists = true;
  view.borrowed = &user.fields;
  view.enabled = SipEnabled(user.searchable, user.state);
  return view;
}

// Compares as SQLite's lower(a) and lower(b) do (ASCII letters folded).
int CompareFolded(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y - 'A' + 'a');
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

class KamailioTarget final : public Target {
 public:
  KamailioTarget(TargetConfig config, std::string tenant, TargetStateStore& store,
                 const SecretKey& key)
      : config_(std::move(config)), tenant_(std::move(tenant)), store_(store), key_(key) {}

  const TargetConfig& config() const override { return config_; }

  // What Sync and SipAccessOf read of a stored user: its name, extension and landline, and
  // the field of the target's rule.
  std::optional<std::vector<Field>> reconcile_fields() const override {
    std::vector<Field> fields = {Field::kUsername, Field::kExtension, Field::kLandline};
    if (std::optional<Field> f = FieldFromName(config_.rule.field)) {
      if (std::find(fields.begin(), fields.end(), *f) == fields.end()) fields.push_back(*f);
    }
    std::sort(fields.begin(), fields.end());  // FieldSet::Set appends in field order
    return fields;
  }

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
    auto fail = [&](Error error) -> Error {
      rows_.reset();
      if (!dry_run) db_->Rollback();
      return Drop(std::move(error));
    };
    // Every user is visited: read the tenant's passwords and the domain's rows in Kamailio
    // once, instead of a lookup per user (inside the transaction: nothing changes them
    // under it).
    passwords_.emplace(store_, key_, tenant_);
    if (Status s = passwords_->LoadAll(); !s.ok()) {
      if (!dry_run) db_->Rollback();
      return s.error();
    }
    if (Status s = LoadRows(); !s.ok()) return fail(s.error());
    std::unordered_set<int64_t> seen;
    seen.reserve(users.size());
    // A subscriber and about one alias per user: grown once, not rehashed as they fill.
    owner_.reserve(owner_.size() + users.size() * 2);
    by_user_.reserve(by_user_.size() + users.size());
    dirty_.reserve(users.size() * 2);
    auto run = [&](const UserView& view) -> Status {
      Result<Status> outcome = Sync(view, dry_run, &report.steps);
      if (!outcome.ok()) return outcome.error();
      return Ok();  // a conflict is a step of the report, not a failure of the reconcile
    };
    // In username order (ASCII case folded, then id: the order of Store::ListUsers, which
    // the report keeps), whatever order the store read them in: Kamailio's subscriber key
    // (username, domain) is then written front to back. Visited in id order, a first
    // publish of 100,000 users wrote it at random and took about 12% more CPU time.
    std::vector<const PbxUser*> order;
    order.reserve(users.size());
    for (const PbxUser& user : users) order.push_back(&user);
    std::sort(order.begin(), order.end(), [](const PbxUser* a, const PbxUser* b) {
      const int c = CompareFolded(a->fields.Get(Field::kUsername), b->fields.Get(Field::kUsername));
      return c != 0 ? c < 0 : a->id < b->id;
    });
    for (const PbxUser* user : order) {
      seen.insert(user->id);
      if (Status s = run(FromUser(*user)); !s.ok()) return fail(s.error());
    }
    std::vector<int64_t> gone;
    for (const auto& [user_id, objects] : by_user_) {
      if (!seen.count(user_id) && !objects.empty()) gone.push_back(user_id);
    }
    std::sort(gone.begin(), gone.end());  // the report lists them in a stable order
    for (const int64_t user_id : gone) {
      UserView view;
      view.id = user_id;
      if (Status s = run(view); !s.ok()) return fail(s.error());
    }
    rows_.reset();
    if (dry_run) {
      dirty_.clear();
      return report;
    }
    if (Status s = Commit(now); !s.ok()) return s.error();
    report.applied = true;
    return report;
  }

 private:
  // Kamailio's rows of the target's domain, read once by a full reconcile (LoadRows) and
  // kept in step with what it writes.
  struct Rows {
    std::unordered_map<std::string, KamailioSubscriber> subscribers;  // by username
    std::unordered_map<std::string, KamailioAlias> aliases;           // by alias_username
  };

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
    owner_.reserve(objects->size());
    for (TargetObject& o : *objects) {
      ObjectId id{ObjectType(o.type), std::move(o.key)};
      by_user_[o.user_id].push_back(id);
      owner_.emplace(std::move(id), o.user_id);
    }
    return Ok();
  }

  Status LoadRows() {
    rows_.emplace();
    Result<std::vector<KamailioSubscriber>> subscribers = db_->ListSubscribers(config_.domain);
    if (!subscribers.ok()) return subscribers.error();
    rows_->subscribers.reserve(subscribers->size());
    for (KamailioSubscriber& sub : *subscribers) {
      std::string name = sub.username;
      rows_->subscribers.emplace(std::move(name), std::move(sub));
    }
    Result<std::vector<KamailioAlias>> aliases = db_->ListAliases(config_.domain);
    if (!aliases.ok()) return aliases.error();
    rows_->aliases.reserve(aliases->size());
    for (KamailioAlias& alias : *aliases) {
      std::string name = alias.alias_username;
      rows_->aliases.emplace(std::move(name), std::move(alias));  // the first row by id wins
    }
    return Ok();
  }

  Result<std::optional<KamailioSubscriber>> FindSubscriber(const std::string& username,
                                                           const std::string& domain) {
    if (!rows_ || domain != config_.domain) return db_->GetSubscriber(username, domain);
    auto it = rows_->subscribers.find(username);
    if (it == rows_->subscribers.end()) return std::optional<KamailioSubscriber>();
    return std::optional<KamailioSubscriber>(it->second);
  }
  Result<std::optional<KamailioAlias>> FindAlias(const std::string& alias,
                                                 const std::string& domain) {
    if (!rows_ || domain != config_.domain) return db_->GetAlias(alias, domain);
    auto it = rows_->aliases.find(alias);
    if (it == rows_->aliases.end()) return std::optional<KamailioAlias>();
    return std::optional<KamailioAlias>(it->second);
  }

  Error Drop(Error error) {
    db_.reset();  // reopened next time: the database may have moved or come back
    return error;
  }

  bool Owned(const ObjectId& id) const { return owner_.count(id) != 0; }
  // `id` is taken (moved into the changed list): callers pass their last use of it.
  void Own(ObjectId id, int64_t user_id) {
    auto [it, inserted] = owner_.try_emplace(id, user_id);  // one lookup
    if (!inserted) {
      if (it->second == user_id) return;
      Unlist(it->second, id);
      it->second = user_id;
    }
    by_user_[user_id].push_back(id);
    dirty_.push_back(std::move(id));
  }
  void Disown(const ObjectId& id) {
    auto it = owner_.find(id);
    if (it == owner_.end()) return;
    Unlist(it->second, id);
    owner_.erase(it);
    dirty_.push_back(id);
  }
  void Unlist(int64_t user_id, const ObjectId& id) {
    auto it = by_user_.find(user_id);
    if (it == by_user_.end()) return;
    std::vector<ObjectId>& ids = it->second;
    auto found = std::find(ids.begin(), ids.end(), id);
    if (found == ids.end()) return;
    *found = std::move(ids.back());
    ids.pop_back();
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
    std::vector<std::pair<std::string, std::string>> removed;
    put.reserve(dirty_.size());
    // An object changed twice is in dirty_ twice: its current owner is written once.
    std::sort(dirty_.begin(), dirty_.end(), ObjectIdLess);
    dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
    for (ObjectId& id : dirty_) {  // cleared below: the keys are moved out
      auto it = owner_.find(id);
      if (it == owner_.end()) {
        removed.emplace_back(id.type, std::move(id.key));
      } else {
        put.push_back({tenant_, config_.name, id.type, std::move(id.key), it->second});
      }
    }
    // In key order (dirty_ is sorted): the store's primary key index is written front to
    // back, not at random.
    if (Status s = store_.SaveTargetObjects(tenant_, config_.name, put, removed); !s.ok()) return s;
    dirty_.clear();
    return Ok();
  }

  // Brings the target's objects of one user to what `view` says. The outer error aborts
  // the batch (the database failed); the inner Status is this user's outcome.
  Result<Status> Sync(const UserView& view, bool dry_run, std::vector<ReconcileStep>* steps) {
    const std::string& domain = config_.domain;
    auto step = [&](const char* action, const ObjectId& id, std::string detail) {
      if (steps != nullptr) steps->push_back({action, id.type, id.key, std::move(detail)});
    };
    std::string username;
    std::optional<KamailioSubscriber> want_subscriber;
    std::vector<KamailioAlias> want_aliases;
    const SipAccess access =
        view.exists ? SipAccessOf(config_, view.fields(), view.enabled) : SipAccess::kNotRouted;
    if (access != SipAccess::kNotRouted) {
      username = std::string(view.fields().Get(Field::kUsername));
      if (!username.empty() && !IsSipUserName(username)) {
        const std::string who = "user " + username;
        step("conflict", {kSubscriber, username + "@" + domain}, "not a valid SIP user name");
        return Status(Error::Invalid(
            "username \"" + username +
                "\" is not a valid SIP user name (letters, digits and -_.!~*'()&=+$,;?/, at most "
                "64)",
            who));
      }
      if (!username.empty()) {
        if (access == SipAccess::kAccount) {
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
        auto add_alias = [&](const std::string& alias) {
          if (alias.empty() || alias == username || !IsSipUserName(alias)) return;
          for (const KamailioAlias& a : want_aliases) {
            if (a.alias_username == alias) return;
          }
          want_aliases.push_back({alias, domain, username, domain});
        };
        add_alias(std::string(view.fields().Get(Field::kExtension)));
        const std::string_view landline = view.fields().Get(Field::kLandline);
        if (!landline.empty()) {
          add_alias(RenderPhone(std::string(landline), config_.phone_render));
        }
      }
    }

    std::vector<ObjectId> want;
    if (want_subscriber) want.push_back({kSubscriber, username + "@" + domain});
    for (const KamailioAlias& a : want_aliases)
      want.push_back({kAlias, a.alias_username + "@" + domain});
    const size_t first_alias = want_subscriber ? 1 : 0;

    // Conflicts first, before anything of this user is written.
    std::vector<std::string> conflicts;
    std::optional<KamailioSubscriber> existing_subscriber;
    if (want_subscriber) {
      Result<std::optional<KamailioSubscriber>> got = FindSubscriber(username, domain);
      if (!got.ok()) return got.error();
      existing_subscriber = std::move(*got);
      const ObjectId& id = want[0];
      if (existing_subscriber && !Owned(id) && !want_subscriber->ha1.empty() &&
          existing_subscriber->ha1 != want_subscriber->ha1) {
        conflicts.push_back("subscriber " + id.key);
        step("conflict", id, "exists in Kamailio and was not created by telsync");
      }
    }
    std::vector<std::optional<KamailioAlias>> existing_aliases;
    existing_aliases.reserve(want_aliases.size());
    for (size_t i = 0; i < want_aliases.size(); ++i) {
      const KamailioAlias& a = want_aliases[i];
      Result<std::optional<KamailioAlias>> got = FindAlias(a.alias_username, domain);
      if (!got.ok()) return got.error();
      const ObjectId& id = want[first_alias + i];
      if (*got && !Owned(id) && ((*got)->username != a.username || (*got)->domain != domain)) {
        conflicts.push_back("alias " + id.key + " (it points to " + (*got)->username + "@" +
                            (*got)->domain + ")");
        step("conflict", id, "exists in Kamailio and was not created by telsync");
      }
      existing_aliases.push_back(std::move(*got));
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
        if (std::find(want.begin(), want.end(), id) == want.end()) stale.push_back(id);
      }
    }
    std::sort(stale.begin(), stale.end(), ObjectIdLess);
    for (const ObjectId& id : stale) {
      const size_t at = id.key.rfind('@');
      const std::string name = id.key.substr(0, at);
      const std::string dom = at == std::string::npos ? std::string() : id.key.substr(at + 1);
      const bool here = rows_ && dom == config_.domain;
      if (id.type == kSubscriber) {
        Result<std::optional<KamailioSubscriber>> got = FindSubscriber(name, dom);
        if (!got.ok()) return got.error();
        if (*got) step("delete", id, view.exists ? "no longer wanted" : "user deleted");
        if (!dry_run) {
          if (Status s = db_->DeleteSubscriber(name, dom); !s.ok()) return s.error();
          if (here) rows_->subscribers.erase(name);
        }
      } else {
        Result<std::optional<KamailioAlias>> got = FindAlias(name, dom);
        if (!got.ok()) return got.error();
        if (*got) step("delete", id, view.exists ? "no longer wanted" : "user deleted");
        if (!dry_run) {
          if (Status s = db_->DeleteAlias(name, dom); !s.ok()) return s.error();
          if (here) rows_->aliases.erase(name);
        }
      }
      Disown(id);
    }

    if (want_subscriber) {
      const ObjectId& id = want[0];
      if (!existing_subscriber) {
        step("create", id, "");
      } else if (!want_subscriber->ha1.empty() &&
                 (existing_subscriber->ha1 != want_subscriber->ha1 ||
                  existing_subscriber->ha1b != want_subscriber->ha1b)) {
        step("update", id, "credentials differ");
      } else if (!Owned(id)) {
        step("adopt", id, "exists as telsync would write it");
      }
      const bool write = !existing_subscriber || existing_subscriber->ha1 != want_subscriber->ha1 ||
                         existing_subscriber->ha1b != want_subscriber->ha1b;
      if (!dry_run && write) {
        if (Status s = db_->PutSubscriber(*want_subscriber); !s.ok()) return s.error();
        if (rows_) rows_->subscribers[username] = *want_subscriber;
      }
      Own(std::move(want[0]), view.id);
    }
    for (size_t i = 0; i < want_aliases.size(); ++i) {
      const KamailioAlias& a = want_aliases[i];
      const std::optional<KamailioAlias>& existing = existing_aliases[i];
      const ObjectId& id = want[first_alias + i];
      const bool same = existing && existing->username == a.username && existing->domain == domain;
      if (!existing) {
        step("create", id, "-> " + a.username + "@" + domain);
      } else if (!same) {
        step("update", id, "-> " + a.username + "@" + domain);
      } else if (!Owned(id)) {
        step("adopt", id, "exists as telsync would write it");
      }
      if (!dry_run && !same) {
        // An alias with no row gets one; one with rows has them replaced.
        Status s = existing ? db_->PutAlias(a) : db_->AddAlias(a);
        if (!s.ok()) return s.error();
        if (rows_) rows_->aliases[a.alias_username] = a;
      }
      Own(std::move(want[first_alias + i]), view.id);
    }
    return Status(Ok());
  }

  TargetConfig config_;
  std::string tenant_;
  TargetStateStore& store_;
  const SecretKey& key_;
  std::unique_ptr<KamailioDb> db_;
  std::unordered_map<ObjectId, int64_t, ObjectIdHash> owner_;
  std::unordered_map<int64_t, std::vector<ObjectId>> by_user_;
  std::vector<ObjectId> dirty_;               // changed since the last save (maybe twice)
  std::optional<SipPasswordBook> passwords_;  // of the publish under way
  std::optional<Rows> rows_;                  // of the reconcile under way
};

}  // namespace

std::unique_ptr<Target> MakeKamailioTarget(const TargetConfig& config, const std::string& tenant,
                                           TargetStateStore& store, const SecretKey& key) {
  return std::make_unique<KamailioTarget>(config, tenant, store, key);
}

}  // namespace telsync
