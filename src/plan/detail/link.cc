#include "plan/detail/link.h"

namespace telsync::plan_detail {

Links::Links(const StoreSnapshot& stored, const std::vector<DesiredUser>& desired,
             const Profile& profile)
    : stored_(stored), desired_(desired), profile_(profile) {
  const size_t n = stored_.users.size();
  excluded_.assign(n, 0);
  adopted_by_.assign(n, kNone);
  adopter_.assign(n, kNone);
  linked_.Reserve(n);
  const std::string& exclusion = profile_.policy.exclusion_group;
  for (size_t s = 0; s < n; ++s) {
    const PbxUser& u = stored_.users[s];
    if (!exclusion.empty()) {
      for (const auto& g : u.groups) {
        if (EqualsIgnoreCase(g, exclusion)) excluded_[s] = 1;
      }
    }
    if (IsLinked(u)) {
      bool inserted = false;
      size_t& slot = linked_.FindOrInsert(u.source_key, &inserted);
      if (inserted) {
        slot = s;
        ++linked_count_;
      }
    } else if (IsAdoptable(u)) {
      const std::string_view email = u.fields.Get(Field::kEmail);
      if (!email.empty()) unlinked_email_.emplace(keys_.Key(kEmailIndex, email), s);
      const std::string_view username = u.fields.Get(Field::kUsername);
      if (!username.empty()) unlinked_username_.emplace(keys_.Key(kUsernameIndex, username), s);
    }
  }
}

void Links::FindRelinks(const std::vector<RejectedUser>& rejected,
                        const std::unordered_set<std::string>* scope,
                        const std::unordered_set<std::string>* gone) {
  std::vector<uint8_t> present(stored_.users.size(), 0);
  for (const DesiredUser& d : desired_) {
    if (const size_t* linked = linked_.Find(d.user.source_key)) present[*linked] = 1;
  }
  for (const RejectedUser& r : rejected) {
    if (const size_t* linked = linked_.Find(r.key)) present[*linked] = 1;
  }
  // Ambiguous cases (two gone users with one e-mail) are not relinked.
  std::unordered_map<std::string_view, int64_t> gone_by_email;  // kNone: ambiguous
  auto consider = [&](size_t s) {
    const PbxUser& u = stored_.users[s];
    if (!IsLinked(u) || present[s] || excluded_[s]) return;
    const std::string_view email = u.fields.Get(Field::kEmail);
    if (email.empty()) return;
    auto [it, fresh] =
        gone_by_email.emplace(keys_.Key(kEmailIndex, email), static_cast<int64_t>(s));
    if (!fresh) it->second = kNone;
  };
  if (scope == nullptr) {
    for (size_t s = 0; s < stored_.users.size(); ++s) consider(s);
  } else {
    // Only the scope's users and those named gone: the rest are still in the source.
    for (const std::string& key : *scope) {
      if (const size_t* linked = linked_.Find(key)) consider(*linked);
    }
    if (gone != nullptr) {
      for (const std::string& key : *gone) {
        if (scope->count(key)) continue;
        if (const size_t* linked = linked_.Find(key)) consider(*linked);
      }
    }
  }
  if (gone_by_email.empty()) return;
  std::unordered_map<size_t, size_t> by_stored;  // gone stored user -> its relinker
  for (size_t i = 0; i < desired_.size(); ++i) {
    const DesiredUser& d = desired_[i];
    if (linked_.Find(d.user.source_key) != nullptr) continue;
    if (!d.enabled && profile_.policy.disabled == DisabledAction::kDelete) continue;
    for (const std::string_view key : {d.user.fields.Get(Field::kEmail), d.upn()}) {
      if (key.empty()) continue;
      auto it = gone_by_email.find(keys_.Key(kEmailIndex, key));
      if (it == gone_by_email.end() || it->second == kNone) continue;
      auto [slot, fresh] = by_stored.emplace(static_cast<size_t>(it->second), i);
      if (!fresh && IdBefore(desired_, i, slot->second)) slot->second = i;
      break;
    }
  }
  for (const auto& [stored, desired] : by_stored) {
    relink_.emplace(static_cast<uint32_t>(desired), stored);
  }
}

std::optional<std::pair<size_t, std::string>> Links::FindCandidate(const DesiredUser& d) {
  if (unlinked_email_.empty() && unlinked_username_.empty()) return std::nullopt;
  auto lookup = [](const std::unordered_map<std::string_view, size_t>& index,
                   std::string_view key) -> std::optional<size_t> {
    if (key.empty()) return std::nullopt;
    const auto it = index.find(key);
    if (it == index.end()) return std::nullopt;
    return it->second;
  };
  const std::string_view email = d.user.fields.Get(Field::kEmail);
  if (auto s = lookup(unlinked_email_, keys_.Key(kEmailIndex, email)))
    return std::pair(*s, "e-mail " + Quote(email));
  if (auto s = lookup(unlinked_email_, keys_.Key(kEmailIndex, d.upn())))
    return std::pair(*s, "upn " + Quote(d.upn()));
  const std::string_view username = d.user.fields.Get(Field::kUsername);
  if (auto s = lookup(unlinked_username_, keys_.Key(kUsernameIndex, username))) {
    return std::pair(*s, "username " + Quote(username));
  }
  return std::nullopt;
}

std::vector<int32_t> Links::Matches() {
  std::vector<int32_t> match(desired_.size(), static_cast<int32_t>(kNone));
  for (size_t i = 0; i < desired_.size(); ++i) {
    const DesiredUser& d = desired_[i];
    if (const size_t* linked = linked_.Find(d.user.source_key)) {
      match[i] = static_cast<int32_t>(*linked);
    } else if (auto relink = Relink(i)) {
      match[i] = static_cast<int32_t>(*relink);
    } else if (auto candidate = FindCandidate(d)) {
      match[i] = static_cast<int32_t>(candidate->first);
    }
  }
  return match;
}

void Links::ChooseAdopters(const std::vector<int32_t>& match) {
  for (size_t i = 0; i < desired_.size(); ++i) {
    const int32_t s = match[i];
    if (s == kNone || IsLinked(stored_.users[static_cast<size_t>(s)])) continue;
    if (adopter_[s] == kNone || IdBefore(desired_, i, static_cast<size_t>(adopter_[s]))) {
      adopter_[s] = static_cast<int64_t>(i);
    }
  }
}

Links::Adoption Links::Adopt(size_t s, size_t i) {
  const int64_t adopter = adopter_[s] != kNone ? adopter_[s] : static_cast<int64_t>(i);
  if (adopted_by_[s] != kNone || adopter != static_cast<int64_t>(i)) return {false, adopter};
  adopted_by_[s] = static_cast<int64_t>(i);
  return {true, adopter};
}

}  // namespace telsync::plan_detail
