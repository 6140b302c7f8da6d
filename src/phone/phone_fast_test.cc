// Differential tests of the phone fast path (phone_fast.cc): whenever FastNormalize
// answers, its answer is exactly what libphonenumber (SlowNormalize) answers, over
// libphonenumber's own example numbers of every region and type and many mutations of
// them; and it does answer for most of a generated directory's numbers.
#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bench/lib/generator.h"
#include "phone/phone.h"

namespace telsync {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// A small deterministic generator (the test must not depend on the standard library's
// distributions, which differ between implementations).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }
  char Digit() { return static_cast<char>('0' + Below(10)); }

 private:
  uint64_t state_;
};

struct Stats {
  size_t inputs = 0;
  size_t answered = 0;
  size_t mismatches = 0;
  double fast_s = 0;
  double slow_s = 0;
};

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string Show(const ParsedPhone& p) {
  return p.extension.empty() ? p.e164 : p.e164 + " ext " + p.extension;
}

// Checks one input: if the fast path answers, libphonenumber must accept the value
// with the same E.164 string and extension (in both modes: a '+' number ignores the
// mode).
void Check(PhoneMode mode, const std::string& region, const std::string& raw, Stats* stats) {
  ++stats->inputs;
  auto t0 = std::chrono::steady_clock::now();
  const std::optional<ParsedPhone> fast = detail::FastParse(mode, region, raw);
  stats->fast_s += Since(t0);
  if (!fast) return;
  ++stats->answered;
  t0 = std::chrono::steady_clock::now();
  const Result<ParsedPhone> slow = detail::SlowParse(mode, region, raw);
  stats->slow_s += Since(t0);
  if (!slow.ok() || *slow != *fast) {
    if (++stats->mismatches <= 20) {
      ADD_FAILURE() << "input \"" << raw << "\" (" << region << "): fast " << Show(*fast)
                    << ", libphonenumber " << (slow.ok() ? Show(*slow) : slow.error().message);
    }
  }
}

// An example number of libphonenumber: its region ("001" for non-geographic codes), its
// E.164 form and its national format ("08-123 456 78").
struct Example {
  std::string region;
  std::string e164;
  std::string national;
};

// The example numbers libphonenumber has for every region, type and non-geographic
// calling code, and its invalid example of every region.
std::vector<Example> ExampleNumbers() {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::vector<Example> out;
  auto add = [&](const std::string& region, const PhoneNumber& number) {
    Example e;
    e.region = region;
    util.Format(number, PhoneNumberUtil::E164, &e.e164);
    util.Format(number, PhoneNumberUtil::NATIONAL, &e.national);
    out.push_back(e);
  };
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  for (const std::string& region : regions) {
    std::set<PhoneNumberUtil::PhoneNumberType> types;
    util.GetSupportedTypesForRegion(region, &types);
    for (PhoneNumberUtil::PhoneNumberType type : types) {
      PhoneNumber number;
      if (util.GetExampleNumberForType(region, type, &number)) add(region, number);
    }
    PhoneNumber invalid;
    if (util.GetInvalidExampleNumber(region, &invalid)) add(region, invalid);
  }
  std::set<int> global;
  util.GetSupportedGlobalNetworkCallingCodes(&global);
  for (int code : global) {
    PhoneNumber number;
    if (util.GetExampleNumberForNonGeoEntity(code, &number)) add("001", number);
  }
  return out;
}

// One random mutation of an E.164 number.
std::string Mutate(const std::string& e164, Rng& rng) {
  std::string s = e164;
  const size_t kinds = 12;
  const size_t rounds = 1 + rng.Below(2);
  for (size_t r = 0; r < rounds; ++r) {
    const size_t pos = 1 + rng.Below(s.size() > 1 ? s.size() - 1 : 1);
    switch (rng.Below(kinds)) {
      case 0:  // a digit changed
        if (pos < s.size()) s[pos] = rng.Digit();
        break;
      case 1:  // a digit added
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(std::min(pos, s.size())), rng.Digit());
        break;
      case 2:  // a digit removed
        if (pos < s.size()) s.erase(pos, 1);
        break;
      case 3: {  // a separator
        static const char* const kSeparators[] = {" ", "-", ".", "/", "(", ")", "  ", " - "};
        s.insert(std::min(pos, s.size()), kSeparators[rng.Below(8)]);
        break;
      }
      case 4: {  // a national prefix after a calling code of 1 to 3 digits
        static const char* const kPrefixes[] = {"0", "1", "8", "00", "9", "06", "15", "0 "};
        const size_t cut = std::min<size_t>(1 + 1 + rng.Below(3), s.size());
        s.insert(cut, kPrefixes[rng.Below(8)]);
        break;
      }
      case 5:  // truncated
        s.resize(std::max<size_t>(1, pos));
        break;
      case 6:  // random digits appended
        for (size_t i = rng.Below(4); i > 0; --i) s.push_back(rng.Digit());
        break;
      case 7:  // the '+' dropped or doubled, or a leading zero
        if (rng.Below(3) == 0) {
          s.erase(0, 1);
        } else if (rng.Below(2) == 0) {
          s.insert(0, "+");
        } else {
          s.insert(1, "0");
        }
        break;
      case 8:  // area code in parentheses
        if (s.size() > 6) {
          s.insert(5, ")");
          s.insert(3, " (");
        }
        break;
      case 9:  // an unusual character the fast path must leave alone
      {
        static const char* const kOdd[] = {"#", ";ext=1", "~", ",", "*", "\t", "x", "\xEF\xBC\x91"};
        s.insert(std::min(pos, s.size()), kOdd[rng.Below(8)]);
        break;
      }
      case 10:  // blanks around
        s = " " + s + " ";
        break;
      default:  // several digits replaced at the end
        for (size_t i = pos; i < s.size(); ++i) s[i] = rng.Digit();
        break;
    }
  }
  return s;
}

TEST(PhoneFastTest, AgreesWithLibphonenumberOnExamplesAndMutations) {
  const std::vector<Example> examples = ExampleNumbers();
  ASSERT_GT(examples.size(), 1000u);
  Stats stats;
  Rng rng(20261124);
  for (const Example& e : examples) {
    Check(PhoneMode::kStrict, "SE", e.e164, &stats);
    for (int i = 0; i < 40; ++i) Check(PhoneMode::kStrict, "SE", Mutate(e.e164, rng), &stats);
  }
  EXPECT_EQ(stats.mismatches, 0u) << "of " << stats.answered << " answers";
  // The fast path must really answer: most example numbers are valid plain numbers.
  EXPECT_GT(stats.answered, stats.inputs / 5) << stats.answered << " of " << stats.inputs;
  std::cout << "[ info ] " << stats.inputs << " inputs, fast path answered " << stats.answered
            << " (fast " << stats.fast_s << " s, libphonenumber " << stats.slow_s << " s)\n";
}

// A number dressed as directories hold them: an extension with one of the labels in
// one of the spellings libphonenumber reads (or nearly: too many digits, no digits, a
// slash, a '-', a second label), "tel:", invisible characters, no-break spaces and
// fullwidth forms, each chosen at random, several at once.
std::string Decorate(const std::string& number, Rng& rng) {
  static const char* const kLabels[] = {
      " x",     "x",     " X",    " ext",  " ext.", " EXT. ", " extn ",  " xt",  " extension ",
      " #",     "#",     ";ext=", ";EXT=", ", x",   " x: ",   " x-",     " / x", "-x",
      " ext x", " int ", " ;",    ",,",    " x ",   "\t x",   " ext.: ", "  ",   " e",
  };
  static const char* const kInvisible[] = {
      "\xE2\x80\x8E", "\xE2\x80\x8F", "\xE2\x80\xAA", "\xE2\x80\xAC", "\xE2\x81\xA0",
      "\xC2\xA0",     "\xE2\x80\xAF", "\xEF\xBB\xBF", "\xE2\x80\x8B", "\xE2\x80\x91",
  };
  std::string s = number;
  if (rng.Below(3) != 0) {  // an extension of 0 to 12 digits
    s += kLabels[rng.Below(std::size(kLabels))];
    for (size_t n = rng.Below(13); n > 0; --n) s.push_back(rng.Digit());
    if (rng.Below(8) == 0) s += "#";
  }
  if (rng.Below(4) == 0) s = (rng.Below(2) == 0 ? "tel:" : "TEL:") + s;
  for (size_t n = rng.Below(3); n > 0; --n) {
    const size_t pos = rng.Below(s.size() + 1);
    s.insert(pos, kInvisible[rng.Below(std::size(kInvisible))]);
  }
  if (rng.Below(5) == 0) {  // fullwidth digits and plus (U+FF10..U+FF19, U+FF0B)
    std::string wide;
    for (char c : s) {
      if (c >= '0' && c <= '9' && rng.Below(2) == 0) {
        wide += "\xEF\xBC";
        wide.push_back(static_cast<char>(0x90 + (c - '0')));
      } else if (c == '+') {
        wide += "\xEF\xBC\x8B";
      } else {
        wide.push_back(c);
      }
    }
    s = std::move(wide);
  }
  return s;
}

TEST(PhoneFastTest, AgreesWithLibphonenumberOnDirectoryForms) {
  const std::vector<Example> examples = ExampleNumbers();
  Stats stats;
  Stats lenient;
  Rng rng(15);
  for (const Example& e : examples) {
    for (int i = 0; i < 12; ++i) {
      Check(PhoneMode::kStrict, "SE", Decorate(e.e164, rng), &stats);
      Check(PhoneMode::kStrict, "SE", Decorate(Mutate(e.e164, rng), rng), &stats);
      if (e.region != "001")
        Check(PhoneMode::kLenient, e.region, Decorate(e.national, rng), &lenient);
    }
  }
  EXPECT_EQ(stats.mismatches, 0u) << "of " << stats.answered << " answers";
  EXPECT_EQ(lenient.mismatches, 0u) << "of " << lenient.answered << " answers";
  // The fast path answers for these forms too, not only for plain numbers.
  EXPECT_GT(stats.answered, stats.inputs / 5) << stats.answered << " of " << stats.inputs;
  EXPECT_GT(lenient.answered, lenient.inputs / 10) << lenient.answered << " of " << lenient.inputs;
  std::cout << "[ info ] " << stats.inputs + lenient.inputs
            << " decorated inputs, fast path answered " << stats.answered + lenient.answered
            << "\n";
}

// Lenient mode: national formats with their own region as the default, the same digits
// without '+', behind an international prefix ("00", "011") or under another default
// region, and mutations of all of these.
TEST(PhoneFastTest, AgreesInLenientModeWithDefaultRegions) {
  const std::vector<Example> examples = ExampleNumbers();
  const char* const kOtherRegions[] = {"SE", "US", "GB", "DE", "RU", "IT", "AR", "MX", "ZZ", "se"};
  const char* const kIdd[] = {"00", "011", "810", "0011", "00 ", "(00)"};
  Stats stats;
  Rng rng(11);
  for (const Example& e : examples) {
    if (e.region == "001") continue;
    const std::string region = rng.Below(4) == 0 ? kOtherRegions[rng.Below(10)] : e.region;
    Check(PhoneMode::kLenient, region, e.national, &stats);
    for (int i = 0; i < 15; ++i) {
      Check(PhoneMode::kLenient, region, Mutate(e.national, rng), &stats);
    }
    const std::string digits = e.e164.substr(1);
    Check(PhoneMode::kLenient, region, digits, &stats);
    Check(PhoneMode::kLenient, region, kIdd[rng.Below(6)] + digits, &stats);
    for (int i = 0; i < 10; ++i) {
      Check(PhoneMode::kLenient, region, Mutate(kIdd[rng.Below(6)] + digits, rng), &stats);
      Check(PhoneMode::kLenient, region, Mutate(digits, rng), &stats);
    }
  }
  EXPECT_EQ(stats.mismatches, 0u) << "of " << stats.answered << " answers";
  EXPECT_GT(stats.answered, stats.inputs / 10) << stats.answered << " of " << stats.inputs;
  std::cout << "[ info ] " << stats.inputs << " lenient inputs, fast path answered "
            << stats.answered << "\n";
}

// Calling codes shared by several regions (+1, +7, +44 ...), where the region is picked
// by leading digits or by number type, with random national numbers of many lengths.
TEST(PhoneFastTest, AgreesOnSharedCallingCodesWithRandomNumbers) {
  const char* const kCodes[] = {"1",   "7",   "44",  "39",  "47", "61", "262", "590",
                                "599", "290", "212", "358", "49", "86", "55",  "33"};
  Stats stats;
  Rng rng(7);
  for (const char* code : kCodes) {
    for (int i = 0; i < 4000; ++i) {
      std::string s = std::string("+") + code;
      const size_t length = 2 + rng.Below(13);
      for (size_t d = 0; d < length; ++d) s.push_back(rng.Digit());
      Check(PhoneMode::kStrict, "SE", s, &stats);
    }
  }
  EXPECT_EQ(stats.mismatches, 0u) << "of " << stats.answered << " answers";
  EXPECT_GT(stats.answered, 1000u);
}

std::optional<std::string> Fast(std::string_view raw) {
  return detail::FastNormalize(PhoneMode::kStrict, "SE", raw);
}

std::optional<ParsedPhone> FastParsed(std::string_view raw) {
  return detail::FastParse(PhoneMode::kStrict, "SE", raw);
}

TEST(PhoneFastTest, AnswersOnlyPlainInternationalNumbers) {
  EXPECT_EQ(Fast("+46 8 123 456 78"), "+46812345678");
  EXPECT_EQ(Fast("  +1 (425) 555-0100 "), "+14255550100");
  EXPECT_EQ(Fast("+44 (20) 7285 8133"), "+442072858133");
  // Not answered: no '+', errors, odd characters; libphonenumber decides those.
  EXPECT_EQ(Fast("08-123 456 78"), std::nullopt);
  EXPECT_EQ(Fast("+46 70"), std::nullopt);
  EXPECT_EQ(Fast("+999 1234567"), std::nullopt);
  EXPECT_EQ(Fast("+46 8 123 456 78#"), std::nullopt);
  EXPECT_EQ(Fast("+46 8 123 456 78 / x12"), std::nullopt);
  EXPECT_EQ(Fast("+46 8 123 456 78;12"), std::nullopt);
  EXPECT_EQ(Fast("+46 8 123 456 78 \xD9\xA1"), std::nullopt);  // an Arabic-Indic digit
  EXPECT_EQ(Fast(""), std::nullopt);
  EXPECT_EQ(Fast("+"), std::nullopt);
  EXPECT_EQ(Fast("+0 46 8 123"), std::nullopt);
  // Non-geographic calling codes (+800) are left to libphonenumber.
  EXPECT_EQ(Fast("+800 1234 5678"), std::nullopt);
  // Lenient mode: national numbers with the default region, or after an IDD.
  EXPECT_EQ(detail::FastNormalize(PhoneMode::kLenient, "SE", "08-123 456 78"), "+46812345678");
  EXPECT_EQ(detail::FastNormalize(PhoneMode::kLenient, "DE", "030 0665 5362"), "+493006655362");
  EXPECT_EQ(detail::FastNormalize(PhoneMode::kLenient, "SE", "0049 30 06655362"), "+493006655362");
  EXPECT_EQ(detail::FastNormalize(PhoneMode::kLenient, "XX", "08-123 456 78"), std::nullopt);
}

// The forms of issue 15: the fast path answers them (a directory has many), with the
// extension PreparePhone reads.
TEST(PhoneFastTest, AnswersNumbersWithExtensionsAndInvisibleCharacters) {
  const ParsedPhone sthlm{"+46810578087", "1073"};
  const ParsedPhone redmond{"+14255550122", "1023"};
  EXPECT_EQ(FastParsed("+46 8 105 780 87 x1073"), sthlm);
  EXPECT_EQ(FastParsed("+46 8 105 780 87 X1073"), sthlm);
  EXPECT_EQ(FastParsed("+46 8 105 780 87 ext. 1073"), sthlm);
  EXPECT_EQ(FastParsed("+46 8 105 780 87, ext 1073"), sthlm);
  EXPECT_EQ(FastParsed("+46 8 105 780 87 #1073"), sthlm);
  EXPECT_EQ(FastParsed("+1 425 555 0122 x1023"), redmond);
  EXPECT_EQ(FastParsed("+1 425 555 0122;ext=1023"), redmond);
  EXPECT_EQ(FastParsed("tel:+1-425-555-0122;ext=1023"), redmond);
  EXPECT_EQ(FastParsed("\xE2\x80\x8E+46 8 105 780 87\xE2\x80\x8E"),
            (ParsedPhone{"+46810578087", ""}));
  EXPECT_EQ(FastParsed("+46\xC2\xA0"
                       "8\xE2\x80\xAF"
                       "105 780 87"),
            (ParsedPhone{"+46810578087", ""}));
  EXPECT_EQ(FastParsed("\xEF\xBC\x8B\xEF\xBC\x94\xEF\xBC\x96 8 105 780 87"),
            (ParsedPhone{"+46810578087", ""}));
  EXPECT_EQ(detail::FastParse(PhoneMode::kLenient, "SE", "08-105 780 87 x1073"), sthlm);
  // Strict mode still wants '+': left to libphonenumber's path, which says so.
  EXPECT_EQ(FastParsed("08-105 780 87 x1073"), std::nullopt);
  EXPECT_EQ(FastParsed("+46 8 105 780 87 x1234567890"), std::nullopt);  // too long
}

// Normalize keeps libphonenumber's messages: rejected values never come from the fast
// path.
TEST(PhoneFastTest, NormalizeKeepsTheMessagesOfRejectedValues) {
  const PhoneNormalizer strict(PhoneMode::kStrict, "SE");
  for (const char* raw : {"+46 70", "+999 1234567", "+46 70 CALL ME", "+44 20 7285 81330000",
                          "+1 555", "+12", "+46 8 123 456 78 9"}) {
    const Result<std::string> got = strict.Normalize(raw);
    const Result<std::string> want = detail::SlowNormalize(PhoneMode::kStrict, "SE", raw);
    ASSERT_EQ(got.ok(), want.ok()) << raw;
    if (!got.ok()) {
      EXPECT_EQ(got.error().message, want.error().message) << raw;
    } else {
      EXPECT_EQ(*got, *want) << raw;
    }
  }
}

TEST(PhoneFastTest, AnswersForMostOfAGeneratedDirectory) {
  bench::GenOptions options;
  options.users = 10000;
  options.seed = 7;
  const bench::DirectoryGenerator gen(options);
  Stats stats;
  Stats lenient;
  size_t accepted = 0;
  for (size_t i = 0; i < gen.End(); ++i) {
    if (!gen.Present(i)) continue;
    const bench::GenUser u = gen.User(i);
    for (const std::string& raw : {u.business_phone, u.mobile_phone}) {
      if (raw.empty()) continue;
      ++stats.inputs;
      // Lenient mode too, with the default region of a German directory.
      Check(PhoneMode::kLenient, "DE", raw, &lenient);
      const std::optional<std::string> fast = detail::FastNormalize(PhoneMode::kStrict, "SE", raw);
      const Result<std::string> slow = detail::SlowNormalize(PhoneMode::kStrict, "SE", raw);
      if (slow.ok()) ++accepted;
      if (!fast) continue;
      ++stats.answered;
      if (!slow.ok() || *slow != *fast) {
        ++stats.mismatches;
        ADD_FAILURE() << raw << ": fast " << *fast << ", libphonenumber "
                      << (slow.ok() ? *slow : slow.error().message);
      }
    }
  }
  EXPECT_EQ(stats.mismatches, 0u);
  EXPECT_EQ(lenient.mismatches, 0u);
  ASSERT_GT(stats.inputs, 10000u);
  // The fast path answers for more than 80% of all values and nearly all valid ones.
  EXPECT_GT(stats.answered * 10, stats.inputs * 8) << stats.answered << " of " << stats.inputs;
  EXPECT_GT(stats.answered * 100, accepted * 95) << stats.answered << " of " << accepted;
}

}  // namespace
}  // namespace telsync
