#include "plan/detail/claims.h"

#include <algorithm>
#include <unordered_set>

#include "plan/detail/deletions.h"

namespace telsync::plan_detail {

Claims::Claims(const StoreSnapshot& stored, const std::vector<DesiredUser>& desired)
    : stored_(stored), desired_(desired) {
  // In a steady state stored and desired users share their values, so each index is
  // sized for the larger side's count of values it really holds: a field nobody has
  // (extensions from a range, say) costs nothing (P1, memory at a million users).
  std::array<size_t, kUniqueFields.size()> in_store{};
  std::array<size_t, kUniqueFields.size()> in_source{};
  auto count = [](const FieldSet& f, std::array<size_t, kUniqueFields.size()>& counts) {
    for (size_t k = 0; k < kUniqueFields.size(); ++k) counts[k] += !f.Get(kUniqueFields[k]).empty();
  };
  for (const PbxUser& u : stored_.users) count(u.fields, in_store);
  for (const DesiredUser& d : desired_) count(d.user.fields, in_source);
  for (size_t k = 0; k < kUniqueFields.size(); ++k) {
    claims_[k].Reserve(std::max(in_store[k], in_source[k]));
  }
  for (size_t s = 0; s < stored_.users.size(); ++s) {
    const PbxUser& u = stored_.users[s];
    for (size_t k = 0; k < kUniqueFields.size(); ++k) {
      const std::string_view v = u.fields.Get(kUniqueFields[k]);
      if (v.empty()) continue;
      Claim& c = claims_[k].FindOrInsert(keys_.Key(k, v));
      if (c.owner == kNone) c.owner = static_cast<int32_t>(s);
    }
  }
}

void Claims::AddClaimants(const std::vector<int32_t>& match, const PolicyConfig& policy) {
  // The holder claims; among the others the smallest id. Decided by comparing, never by
  // the source's order. A repeated source id of the holder is a conflict of its own.
  auto holds = [&](int32_t i, const Claim& c) { return match[i] != kNone && c.owner == match[i]; };
  for (size_t i = 0; i < desired_.size(); ++i) {
    const DesiredUser& d = desired_[i];
    // What a disabled user that is not written holds in the store stays its own through
    // the owner.
    if (!IsWritten(d, policy)) continue;
    const FieldSet& f = d.user.fields;
    for (size_t k = 0; k < kUniqueFields.size(); ++k) {
      const std::string_view v = f.Get(kUniqueFields[k]);
      if (v.empty()) continue;
      Claim& c = claims_[k].FindOrInsert(keys_.Key(k, v));
      const auto self = static_cast<int32_t>(i);
      if (c.claimant == kNone) {
        c.claimant = self;
        continue;
      }
      const bool mine = holds(self, c);
      const bool theirs = holds(c.claimant, c);
      if ((mine && !theirs) ||
          (mine == theirs && IdBefore(desired_, i, static_cast<size_t>(c.claimant)))) {
        c.claimant = self;
      }
    }
  }
}

std::string Claims::OwnerName(int64_t owner) const {
  const auto n = static_cast<int64_t>(stored_.users.size());
  return owner < n ? StoredName(stored_.users[static_cast<size_t>(owner)])
                   : DesiredName(desired_[static_cast<size_t>(owner - n)].user);
}

std::optional<std::string> Claims::FindConflict(size_t i, int64_t self,
                                                const UniqueValues& new_values) {
  const FieldSet& f = desired_[i].user.fields;
  for (size_t u = 0; u < kUniqueFields.size(); ++u) {
    const std::string_view asked = f.Get(kUniqueFields[u]);
    const Claim* asked_claim = nullptr;
    if (!asked.empty()) {
      asked_claim = claims_[u].Find(keys_.Key(u, asked));
      if (asked_claim != nullptr && asked_claim->claimant != kNone &&
          asked_claim->claimant != static_cast<int64_t>(i)) {
        return std::string(FieldName(kUniqueFields[u])) + " " + Quote(asked) + " is also used by " +
               DesiredName(desired_[static_cast<size_t>(asked_claim->claimant)].user);
      }
    }
    const std::string_view v = new_values[u];
    if (v.empty()) continue;
    // Usually the target keeps the asked value: one lookup serves both checks (P1).
    const Claim* c = v == asked ? asked_claim : claims_[u].Find(keys_.Key(u, v));
    if (c != nullptr && c->owner != kNone && c->owner != self) {
      return std::string(FieldName(kUniqueFields[u])) + " " + Quote(v) + " is also used by " +
             OwnerName(c->owner);
    }
  }
  return std::nullopt;
}

std::vector<ExplainStep> Claims::Describe(size_t i, int64_t self, const UniqueValues& new_values) {
  std::vector<ExplainStep> out;
  for (size_t u = 0; u < kUniqueFields.size(); ++u) {
    const std::string_view v = new_values[u];
    if (v.empty()) continue;
    const std::string what = std::string(FieldName(kUniqueFields[u])) + " " + Quote(v);
    const Claim* c = claims_[u].Find(keys_.Key(u, v));
    std::string holder = "nobody holds it";
    if (c != nullptr && c->owner != kNone) {
      holder = c->owner == self ? "held by this user" : "held by " + OwnerName(c->owner);
    }
    std::string claim;
    if (c != nullptr && c->claimant != kNone && c->claimant != static_cast<int64_t>(i)) {
      claim = "; claimed by " + DesiredName(desired_[static_cast<size_t>(c->claimant)].user) +
              " (the holder, else the smallest source id)";
    }
    const bool free =
        c == nullptr || ((c->owner == kNone || c->owner == self) &&
                         (c->claimant == kNone || c->claimant == static_cast<int64_t>(i)));
    out.push_back({what, free ? "pass" : "conflict", holder + claim});
  }
  return out;
}

void Claims::Release(size_t s) {
  const PbxUser& u = stored_.users[s];
  for (size_t k = 0; k < kUniqueFields.size(); ++k) {
    const std::string_view v = u.fields.Get(kUniqueFields[k]);
    if (v.empty()) continue;
    Claim* c = claims_[k].Find(keys_.Key(k, v));
    if (c != nullptr && c->owner == static_cast<int32_t>(s)) c->owner = kNone;
  }
}

void Claims::Move(int64_t self, const UniqueValues& old_values, const UniqueValues& new_values) {
  for (size_t u = 0; u < kUniqueFields.size(); ++u) {
    if (old_values[u] == new_values[u]) continue;
    if (!old_values[u].empty()) {
      Claim* c = claims_[u].Find(keys_.Key(u, old_values[u]));
      if (c != nullptr && c->owner == self) c->owner = kNone;
    }
    if (!new_values[u].empty())
      claims_[u].FindOrInsert(keys_.Key(u, new_values[u])).owner = static_cast<int32_t>(self);
  }
}

std::optional<std::string_view> Claims::AllocateExtension(const RangeConfig& range) {
  if (next_extension_ < range.first) next_extension_ = range.first;
  for (; next_extension_ <= range.last; ++next_extension_) {
    std::string candidate = std::to_string(next_extension_);
    FlatIndex<Claim>& claims = claims_[kExtensionIndex];
    if (claims.Find(candidate) != nullptr) continue;
    const std::string_view v = keys_.Stable(std::move(candidate));
    claims.FindOrInsert(v);  // reserved: later desired users cannot get it
    ++next_extension_;
    return v;
  }
  return std::nullopt;
}

void Claims::PreallocateExtensions(const RangeConfig& range, const PolicyConfig& policy,
                                   Links& links) {
  if (range.empty()) return;
  std::vector<uint32_t> wanting;
  std::unordered_set<std::string_view> keys;  // a repeated source id: the first is planned
  for (size_t i = 0; i < desired_.size(); ++i) {
    const DesiredUser& d = desired_[i];
    if (!keys.insert(d.user.source_key).second) continue;
    if (!d.user.fields.Get(Field::kExtension).empty()) continue;
    if (!IsWritten(d, policy)) continue;
    int64_t m = kNone;
    if (const size_t* linked = links.Linked(d.user.source_key)) {
      m = static_cast<int64_t>(*linked);
    } else if (auto relink = links.Relink(i)) {
      m = static_cast<int64_t>(*relink);
    } else if (auto candidate = links.FindCandidate(d)) {
      if (links.Adopter(candidate->first) != static_cast<int64_t>(i)) continue;  // a conflict
      m = static_cast<int64_t>(candidate->first);
    }
    if (m != kNone &&
        (links.Excluded(static_cast<size_t>(m)) ||
         !stored_.users[static_cast<size_t>(m)].fields.Get(Field::kExtension).empty())) {
      continue;
    }
    // A user that will be a conflict gets no number: it would stay unused in this run. (A
    // user planned otherwise after all leaves its number unused; the next run gives it
    // out again.)
    const int64_t self = m != kNone ? m : static_cast<int64_t>(stored_.users.size() + i);
    if (FindConflict(i, self, UniqueValuesOf(d.user.fields))) continue;
    wanting.push_back(static_cast<uint32_t>(i));
  }
  std::sort(wanting.begin(), wanting.end(),
            [this](uint32_t a, uint32_t b) { return IdBefore(desired_, a, b); });
  for (const uint32_t i : wanting) {
    auto ext = AllocateExtension(range);
    preallocated_.emplace(i, ext ? *ext : std::string_view());
  }
}

}  // namespace telsync::plan_detail
