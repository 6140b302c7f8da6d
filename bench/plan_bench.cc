// plan_bench: the planner's hash join and policy on mapped users (SPEC P1).
//
// A resync of N users where version 2 of the directory changed 5% of them, 1% left and
// 1% joined, planned against a store holding version 1. Phone parsing is not part of
// this work (DESIGN §7: it is done once per raw value, before planning). Baseline: the
// simplest real join of the same data: an unordered_map on the immutable id and a
// whole-record comparison, no policy. Prints one JSON row.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "bench/lib/generator.h"
#include "plan/planner.h"

namespace {

using telsync::DesiredUser;
using telsync::Field;
using telsync::PbxUser;

PbxUser ToPbx(const telsync::bench::GenUser& g, size_t i) {
  PbxUser u;
  u.source_key = g.id;
  u.fields.Set(Field::kUsername, g.mail_nickname);
  u.fields.Set(Field::kFirstName, g.given_name);
  u.fields.Set(Field::kLastName, g.surname);
  u.fields.Set(Field::kDisplayName, g.display_name);
  std::string mail = g.mail;
  for (char& c : mail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  u.fields.Set(Field::kEmail, mail);
  // A provider-sized directory needs extensions longer than the generator's four digits.
  u.fields.Set(Field::kExtension, std::to_string(1000000 + i));
  u.fields.Set(Field::kLandline, g.business_e164);
  u.fields.Set(Field::kMobile, g.mobile_e164);
  u.fields.Set(Field::kDepartment, g.department);
  u.fields.Set(Field::kJobTitle, g.job_title);
  u.fields.Set(Field::kCity, g.city);
  u.fields.Set(Field::kCountry, g.country);
  u.searchable = g.enabled;
  return u;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  size_t users = argc > 1 ? std::stoull(argv[1]) : 100000;
  telsync::bench::GenOptions v1;
  v1.users = users;
  v1.seed = 42;
  v1.duplicate_email_rate = 0;
  telsync::bench::GenOptions v2 = v1;
  v2.version = 2;

  telsync::Profile profile;
  profile.tenant = "bench";
  profile.name = "main";
  profile.policy.max_deletes = -1;
  profile.policy.max_delete_percent = -1;
  profile.departments.enabled = true;
  profile.departments.ring_groups = {7000, 7999};

  telsync::StoreSnapshot stored;
  stored.users.reserve(users);
  const telsync::bench::DirectoryGenerator g1(v1);
  for (size_t i = 0; i < g1.End(); ++i) {
    if (!g1.Present(i)) continue;
    PbxUser u = ToPbx(g1.User(i), i);
    u.id = static_cast<int64_t>(i + 1);
    u.profile = profile.name;
    stored.users.push_back(std::move(u));
  }
  telsync::PlanInput input;
  input.complete = true;
  input.source = "bench";
  const telsync::bench::DirectoryGenerator g2(v2);
  input.desired.reserve(g2.End());
  for (size_t i = 0; i < g2.End(); ++i) {
    if (!g2.Present(i)) continue;
    const auto g = g2.User(i);
    DesiredUser d;
    d.user = ToPbx(g, i);
    d.user.profile = profile.name;
    d.enabled = g.enabled;
    d.set_upn(g.upn);
    input.desired.push_back(std::move(d));
  }

  // Each side runs three times; the median is reported, so one slow moment of a shared
  // machine does not decide the row.
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  size_t differing = 0;
  size_t missing = 0;
  std::vector<double> baseline_runs;
  for (int run = 0; run < 3; ++run) {
    // Baseline: the simplest join of the same data.
    const auto t0 = std::chrono::steady_clock::now();
    differing = 0;
    missing = 0;
    std::unordered_map<std::string_view, const PbxUser*> by_key;
    by_key.reserve(stored.users.size());
    for (const auto& u : stored.users) by_key.emplace(u.source_key, &u);
    for (const auto& d : input.desired) {
      auto it = by_key.find(d.user.source_key);
      if (it == by_key.end()) {
        ++missing;
      } else if (!(it->second->fields == d.user.fields)) {
        ++differing;
      }
    }
    baseline_runs.push_back(Seconds(t0));
  }
  const double baseline_s = median(baseline_runs);

  std::vector<double> plan_runs;
  telsync::Plan plan;
  for (int run = 0; run < 3; ++run) {
    plan = telsync::Plan{};
    const auto t0 = std::chrono::steady_clock::now();
    plan = telsync::MakePlan(input, stored, profile, 1'800'000'000);
    plan_runs.push_back(Seconds(t0));
  }
  const double wall_s = median(plan_runs);

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto counts = plan.Summary();
  nlohmann::ordered_json row;
  row["bench"] = "plan";
  row["size"] = users;
  row["wall_s"] = wall_s;  // median of 3
  row["peak_rss_mb"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
  row["baseline"] = "unordered_map join on id + record compare, no policy";
  row["baseline_wall_s"] = baseline_s;
  row["ratio"] = baseline_s > 0 ? wall_s / baseline_s : 0;
  std::string note = "resync of version 2 over version 1:";
  for (size_t a = 0; a < telsync::kActionCount; ++a) {
    if (counts[a] != 0) {
      note += " " + std::to_string(counts[a]) + " " +
              std::string(telsync::ActionName(static_cast<telsync::Action>(a)));
    }
  }
  note += "; baseline saw " + std::to_string(differing) + " differing, " + std::to_string(missing) +
          " new";
  row["note"] = note;
  std::cout << row.dump() << std::endl;
  return 0;
}
