// phone_bench: phone normalisation of a generated directory (F8, issue 8's first sync).
//
// Normalises the business and mobile phone values of N generated users (seed 7, strict
// mode, as a first sync does) with PhoneNormalizer (RE2 fast path, libphonenumber for
// the rest) and, in the same run, with libphonenumber alone (detail::SlowNormalize) as
// the baseline. Single thread. Both must give identical results (values and messages);
// the note says how many differed (0 expected). Prints one JSON row (DESIGN §7).
#include <sys/resource.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/lib/generator.h"
#include "phone/phone.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// A result as comparable text: the E.164 string or the error message.
std::string Text(const telsync::Result<std::string>& r) {
  return r.ok() ? *r : "error: " + r.error().message;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t users = argc > 1 ? std::stoull(argv[1]) : 100000;
  telsync::bench::GenOptions options;
  options.users = users;
  options.seed = 7;
  const telsync::bench::DirectoryGenerator gen(options);
  std::vector<std::string> values;
  values.reserve(users * 2);
  for (size_t i = 0; i < gen.End(); ++i) {
    if (!gen.Present(i)) continue;
    telsync::bench::GenUser u = gen.User(i);
    if (!u.business_phone.empty()) values.push_back(std::move(u.business_phone));
    if (!u.mobile_phone.empty()) values.push_back(std::move(u.mobile_phone));
  }

  const telsync::PhoneNormalizer normalizer(telsync::PhoneMode::kStrict, "SE");
  // Loads the metadata and compiles the regions' patterns outside the timing, as
  // libphonenumber's first call below does for its own metadata.
  (void)normalizer.Normalize("+46 8 123 456 78");
  (void)telsync::detail::SlowNormalize(telsync::PhoneMode::kStrict, "SE", "+46 8 123 456 78");

  std::vector<std::string> fast_out(values.size());
  auto t0 = std::chrono::steady_clock::now();
  size_t fast_answers = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    fast_out[i] = Text(normalizer.Normalize(values[i]));
  }
  const double wall_s = Seconds(t0);
  for (const std::string& v : values) {
    if (telsync::detail::FastNormalize(telsync::PhoneMode::kStrict, "SE", v)) ++fast_answers;
  }

  std::vector<std::string> slow_out(values.size());
  t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < values.size(); ++i) {
    slow_out[i] =
        Text(telsync::detail::SlowNormalize(telsync::PhoneMode::kStrict, "SE", values[i]));
  }
  const double baseline_s = Seconds(t0);

  size_t differing = 0;
  size_t accepted = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (fast_out[i] != slow_out[i]) ++differing;
    if (fast_out[i].rfind("error: ", 0) != 0) ++accepted;
  }

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  nlohmann::ordered_json row;
  row["bench"] = "phone";
  row["size"] = users;
  row["wall_s"] = wall_s;
  row["peak_rss_mb"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
  row["baseline"] = "libphonenumber 8.12 (ICU regex): Parse + IsValidNumber + Format E164";
  row["baseline_wall_s"] = baseline_s;
  row["ratio"] = baseline_s > 0 ? wall_s / baseline_s : 0;
  row["ops_per_s"] = wall_s > 0 ? static_cast<double>(values.size()) / wall_s : 0;
  row["baseline_ops_per_s"] = baseline_s > 0 ? static_cast<double>(values.size()) / baseline_s : 0;
  row["note"] = std::to_string(values.size()) + " phone values of " + std::to_string(users) +
                " users, strict mode, one thread; " + std::to_string(accepted) + " valid, " +
                std::to_string(fast_answers) + " answered by the RE2 fast path; " +
                std::to_string(differing) + " results differ from libphonenumber";
  std::cout << row.dump() << std::endl;
  return differing == 0 ? 0 : 1;
}
