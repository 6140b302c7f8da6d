// The fast path of PhoneNormalizer (phone.h, detail::FastNormalize).
//
// libphonenumber 8.12 (Debian) matches every pattern with ICU regex: each match builds
// an ICU RegexMatcher and converts UTF-8 to UTF-16, which made phone parsing the
// largest CPU cost of a first sync. This file re-implements the few steps that
// PhoneNumberUtil::Parse("+...", "ZZ") followed by IsValidNumber and Format(E164) take for
// an ordinary international number, over the SAME compiled-in metadata
// (i18n::phonenumbers::metadata_get) and with RE2 in place of ICU. Each step mirrors the
// function of phonenumberutil.cc (v8.12.57) named in its comment. Whenever a step
// could differ from libphonenumber (unusual characters, an error, a non-geographic
// calling code, a pattern RE2 cannot compile, an unusual transform rule), the answer is
// "don't know" (nullopt) and the caller asks libphonenumber; only VALID numbers are
// answered here, so every error message still comes from the libphonenumber path.
// A value that is not plain ("+46 8 105 780 87 x1073", "tel:…;ext=…", a no-break space)
// first goes through PreparePhone (detail/phone_text.h), as on the libphonenumber path;
// its main number is then answered here and its extension is PreparePhone's, which the
// libphonenumber path checks against libphonenumber's own reading.
// The differential test (phone_fast_test.cc) and the fuzz target (phone_fuzz.cc) check
// that an answer given here (number and extension) equals libphonenumber's.
#include <phonenumbers/phonemetadata.pb.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "phone/detail/phone_text.h"
#include "phone/phone.h"

// Exported by libphonenumber (metadata.cc) but not declared in an installed header: the
// serialized PhoneMetadataCollection that PhoneNumberUtil itself loads.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace telsync::detail {
namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;

constexpr size_t kMinLengthForNsn = 2;   // PhoneNumberUtil::kMinLengthForNsn
constexpr size_t kMaxLengthForNsn = 17;  // PhoneNumberUtil::kMaxLengthForNsn
constexpr size_t kMaxLengthCountryCode = 3;
constexpr std::string_view kRegionCodeForNonGeoEntity = "001";
constexpr std::string_view kUnknownRegion = "ZZ";

// Compiles an ICU pattern of the metadata with RE2. The patterns use a common subset
// (classes, groups, alternation, counted repetition); a pattern outside it fails to
// compile and makes its region "ask libphonenumber".
std::unique_ptr<RE2> Compile(const std::string& pattern, bool* ok) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) *ok = false;
  return re;
}

// A PhoneNumberDesc with its pattern compiled. An empty pattern never matches
// (RegexBasedMatcher::MatchNationalNumber).
struct Desc {
  std::unique_ptr<RE2> pattern;  // null when the pattern is empty
  std::vector<int> lengths;      // possible_length
  std::vector<int> local_lengths;

  void Load(const PhoneNumberDesc& d, bool* ok) {
    if (!d.national_number_pattern().empty()) pattern = Compile(d.national_number_pattern(), ok);
    lengths.assign(d.possible_length().begin(), d.possible_length().end());
    local_lengths.assign(d.possible_length_local_only().begin(),
                         d.possible_length_local_only().end());
  }

  // IsMatch(matcher_api, number, desc): a full match of the pattern, lengths not checked.
  bool Matches(std::string_view number) const {
    return pattern != nullptr && RE2::FullMatch(number, *pattern);
  }

  // PhoneNumberUtil::IsNumberMatchingDesc.
  bool MatchesWithLength(std::string_view number) const {
    if (!lengths.empty() && std::find(lengths.begin(), lengths.end(),
                                      static_cast<int>(number.size())) == lengths.end()) {
      return false;
    }
    return Matches(number);
  }
};

// One region's metadata, compiled lazily (Compile() under once_).
struct Region {
  const PhoneMetadata* meta = nullptr;
  std::once_flag once;
  bool usable = true;
  Desc general, premium_rate, toll_free, shared_cost, voip, personal_number, pager, uan, voicemail,
      fixed_line, mobile;
  std::unique_ptr<RE2> leading_digits;           // null without leading_digits
  std::unique_ptr<RE2> national_prefix_parsing;  // null when national_prefix_for_parsing is empty
  std::unique_ptr<RE2> international_prefix;     // the IDD, e.g. "00" (may be empty)
  std::string transform_rule;

  void Compile() {
    bool ok = true;
    const PhoneMetadata& m = *meta;
    general.Load(m.general_desc(), &ok);
    premium_rate.Load(m.premium_rate(), &ok);
    toll_free.Load(m.toll_free(), &ok);
    shared_cost.Load(m.shared_cost(), &ok);
    voip.Load(m.voip(), &ok);
    personal_number.Load(m.personal_number(), &ok);
    pager.Load(m.pager(), &ok);
    uan.Load(m.uan(), &ok);
    voicemail.Load(m.voicemail(), &ok);
    fixed_line.Load(m.fixed_line(), &ok);
    mobile.Load(m.mobile(), &ok);
    if (m.has_leading_digits()) leading_digits = telsync::detail::Compile(m.leading_digits(), &ok);
    if (!m.national_prefix_for_parsing().empty()) {
      national_prefix_parsing = telsync::detail::Compile(m.national_prefix_for_parsing(), &ok);
    }
    international_prefix = telsync::detail::Compile(m.international_prefix(), &ok);
    transform_rule = m.national_prefix_transform_rule();
    // TestNumberLength reads the first and last possible length of the general desc.
    if (general.lengths.empty()) ok = false;
    if (ok && !transform_rule.empty() && !TransformRuleIsSimple()) ok = false;
    usable = ok;
  }

  // The transform rules of the metadata are digits and "$n"; ICU's replacement syntax
  // has more ("\" escapes, "${name}", "$nn" for 10+ groups) that we don't re-implement.
  bool TransformRuleIsSimple() const {
    const int groups =
        national_prefix_parsing ? national_prefix_parsing->NumberOfCapturingGroups() : 0;
    if (groups >= 10) return false;
    for (size_t i = 0; i < transform_rule.size(); ++i) {
      const char c = transform_rule[i];
      if (c == '$') {
        if (i + 1 >= transform_rule.size()) return false;
        const char d = transform_rule[i + 1];
        if (d < '0' || d > '9' || d - '0' > groups) return false;
        ++i;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  // PhoneNumberUtil::GetNumberTypeHelper(...) != UNKNOWN.
  bool HasKnownType(std::string_view nsn) const {
    if (!general.MatchesWithLength(nsn)) return false;
    if (premium_rate.MatchesWithLength(nsn) || toll_free.MatchesWithLength(nsn) ||
        shared_cost.MatchesWithLength(nsn) || voip.MatchesWithLength(nsn) ||
        personal_number.MatchesWithLength(nsn) || pager.MatchesWithLength(nsn) ||
        uan.MatchesWithLength(nsn) || voicemail.MatchesWithLength(nsn)) {
      return true;
    }
    if (fixed_line.MatchesWithLength(nsn)) return true;
    return !meta->same_mobile_and_fixed_line_pattern() && mobile.MatchesWithLength(nsn);
  }

  enum class Length { kPossible, kTooShort, kTooLong, kInvalid, kLocalOnly };

  // TestNumberLength(number, metadata) (type UNKNOWN: the general desc's lengths).
  Length TestNumberLength(std::string_view number) const {
    const int actual = static_cast<int>(number.size());
    if (general.lengths.front() == -1) return Length::kInvalid;
    if (std::find(general.local_lengths.begin(), general.local_lengths.end(), actual) !=
        general.local_lengths.end()) {
      return Length::kLocalOnly;
    }
    const int minimum = general.lengths.front();
    if (minimum == actual) return Length::kPossible;
    if (minimum > actual) return Length::kTooShort;
    if (general.lengths.back() < actual) return Length::kTooLong;
    return std::find(general.lengths.begin() + 1, general.lengths.end(), actual) !=
                   general.lengths.end()
               ? Length::kPossible
               : Length::kInvalid;
  }

  // PhoneNumberUtil::MaybeStripNationalPrefixAndCarrierCode (the carrier code is not
  // needed: Parse does not keep it).
  void MaybeStripNationalPrefix(std::string* number) const {
    if (number->empty() || national_prefix_parsing == nullptr) return;
    const RE2& re = *national_prefix_parsing;
    const int groups = re.NumberOfCapturingGroups();
    std::array<re2::StringPiece, 10> sub;  // [0] whole match, then the groups
    const int nsub = std::min(groups, 9) + 1;
    // Consume(): a match anchored at the start (ICU lookingAt); RE2 picks the same
    // match and groups as a backtracking engine (leftmost-first).
    if (!re.Match(*number, 0, number->size(), RE2::ANCHOR_START, sub.data(), nsub)) return;
    const bool viable_original = general.Matches(*number);
    // The ICU adapter's Consume fails when asked for more groups than the pattern has:
    // with 2+ groups the "captured part" is group 2, with 1 group it is group 1.
    std::string_view captured;
    if (groups >= 2) {
      captured = std::string_view(sub[2].data(), sub[2].size());
    } else if (groups == 1) {
      captured = std::string_view(sub[1].data(), sub[1].size());
    }
    if (!transform_rule.empty() && groups >= 1 && !captured.empty()) {
      // Replace(number, transform_rule): the first match (the one at the start) replaced.
      std::string transformed;
      for (size_t i = 0; i < transform_rule.size(); ++i) {
        if (transform_rule[i] == '$') {
          const re2::StringPiece& g = sub[transform_rule[i + 1] - '0'];
          transformed.append(g.data(), g.size());
          ++i;
        } else {
          transformed.push_back(transform_rule[i]);
        }
      }
      transformed.append(*number, sub[0].size(), std::string::npos);
      if (viable_original && !general.Matches(transformed)) return;
      *number = std::move(transformed);
      return;
    }
    std::string rest = number->substr(sub[0].size());
    if (viable_original && !general.Matches(rest)) return;
    *number = std::move(rest);
  }
};

// All regions sharing one calling code, in libphonenumber's order (main country first).
struct CallingCode {
  std::vector<Region*> regions;
  bool non_geographic = false;
  std::once_flag once;
  bool usable = false;

  void Prepare() {
    std::call_once(once, [this] {
      bool ok = !non_geographic && !regions.empty();
      for (Region* r : regions) {
        std::call_once(r->once, [r] { r->Compile(); });
        ok = ok && r->usable;
      }
      usable = ok;
    });
  }
};

// The compiled-in metadata, parsed once per process; immutable afterwards apart from the
// once-guarded lazy compilation, so any number of threads may use it.
class Tables {
 public:
  static const Tables& Get() {
    static const Tables* tables = new Tables();  // never destroyed: used until exit
    return *tables;
  }

  // The calling code (1 to 3 digits) at the start of `digits`, as ExtractCountryCode.
  CallingCode* Find(std::string_view digits, size_t* length) const {
    if (digits.empty() || digits[0] == '0') return nullptr;
    int code = 0;
    for (size_t i = 1; i <= kMaxLengthCountryCode && i <= digits.size(); ++i) {
      code = code * 10 + (digits[i - 1] - '0');
      const auto it = codes_.find(code);
      if (it != codes_.end()) {
        *length = i;
        return it->second.get();
      }
    }
    return nullptr;
  }

  // The region of a region code and the calling code it belongs to; null when the code is
  // not a region libphonenumber knows (PhoneNumberUtil::IsValidRegionCode).
  const Region* FindRegion(std::string_view id, CallingCode** code) const {
    const auto it = by_id_.find(std::string(id));
    if (it == by_id_.end()) return nullptr;
    *code = codes_.at(it->second->meta->country_code()).get();
    return it->second;
  }

  CallingCode* FindCode(int code) const {
    const auto it = codes_.find(code);
    return it == codes_.end() ? nullptr : it->second.get();
  }

  bool loaded() const { return loaded_; }

 private:
  Tables() {
    loaded_ = collection_.ParseFromArray(i18n::phonenumbers::metadata_get(),
                                         i18n::phonenumbers::metadata_size());
    if (!loaded_) return;
    // As PhoneNumberUtil's constructor: the first metadata of a region id wins, the
    // main country of a shared code goes to the front of its list.
    std::map<std::string, Region*>& by_id = by_id_;
    std::map<int, std::list<std::string>> lists;
    std::map<int, const PhoneMetadata*> non_geo;
    for (const PhoneMetadata& m : collection_.metadata()) {
      const std::string& id = m.id();
      if (id == kUnknownRegion) continue;
      if (id == kRegionCodeForNonGeoEntity) {
        non_geo.emplace(m.country_code(), &m);
      } else if (by_id.find(id) == by_id.end()) {
        auto region = std::make_unique<Region>();
        region->meta = &m;
        by_id[id] = region.get();
        regions_.push_back(std::move(region));
      }
      auto it = lists.find(m.country_code());
      if (it == lists.end()) {
        lists[m.country_code()].push_back(id);
      } else if (m.main_country_for_code()) {
        it->second.push_front(id);
      } else {
        it->second.push_back(id);
      }
    }
    for (const auto& [code, ids] : lists) {
      auto cc = std::make_unique<CallingCode>();
      for (const std::string& id : ids) {
        if (id == kRegionCodeForNonGeoEntity) {
          cc->non_geographic = true;
        } else {
          cc->regions.push_back(by_id.at(id));
        }
      }
      codes_.emplace(code, std::move(cc));
    }
  }

  PhoneMetadataCollection collection_;
  bool loaded_ = false;
  std::vector<std::unique_ptr<Region>> regions_;
  std::map<std::string, Region*> by_id_;
  std::map<int, std::unique_ptr<CallingCode>> codes_;
};

// The digits of a raw value made of ASCII digits and the separators " -.()/" only (after
// an optional leading '+', reported in *plus), or nullopt for anything else. For such a
// value libphonenumber's ExtractPossibleNumber, IsViablePhoneNumber (given 3+ digits),
// MaybeStripExtension and Normalize keep exactly the digits: the separators are all
// "valid punctuation", and there is no letter, '#', ';', ',' or '~' that could start an
// extension or an RFC 3966 parameter.
std::optional<std::string> PlainDigits(std::string_view raw, bool* plus) {
  *plus = !raw.empty() && raw.front() == '+';
  std::string digits;
  digits.reserve(raw.size());
  for (size_t i = *plus ? 1 : 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '/') {
      return std::nullopt;
    }
  }
  // Fewer than 3 digits: not a viable number or TOO_SHORT_AFTER_IDD, an error (or, for
  // exactly two digits, a case not worth a fast path).
  if (digits.size() <= kMinLengthForNsn) return std::nullopt;
  return digits;
}

// The rest of ParseHelper once the calling code is known, then IsValidNumber and Format:
// `parse_region` is the metadata ParseHelper strips the national prefix with.
std::optional<std::string> Finish(const CallingCode& code, int calling_code,
                                  const Region& parse_region, std::string national) {
  if (national.size() < kMinLengthForNsn) return std::nullopt;  // TOO_SHORT_NSN
  std::string potential = national;
  parse_region.MaybeStripNationalPrefix(&potential);
  const Region::Length length = parse_region.TestNumberLength(potential);
  if (length != Region::Length::kTooShort && length != Region::Length::kLocalOnly &&
      length != Region::Length::kInvalid) {
    national = std::move(potential);
  }
  if (national.size() < kMinLengthForNsn || national.size() > kMaxLengthForNsn) {
    return std::nullopt;
  }
  // The national number is stored as an integer plus "Italian leading zeros";
  // GetNationalSignificantNumber gives back exactly these digits, so `national` is the
  // national significant number.
  // GetRegionCodeForNumberFromRegionList, then IsValidNumberForRegion.
  const Region* region = nullptr;
  if (code.regions.size() == 1) {
    region = code.regions.front();
  } else {
    for (const Region* r : code.regions) {
      if (r->meta->has_leading_digits()) {
        // Consume(): a match anchored at the start only.
        if (r->leading_digits->Match(national, 0, national.size(), RE2::ANCHOR_START, nullptr, 0)) {
          region = r;
          break;
        }
      } else if (r->HasKnownType(national)) {
        region = r;
        break;
      }
    }
  }
  if (region == nullptr || !region->HasKnownType(national)) return std::nullopt;
  return "+" + std::to_string(calling_code) + national;
}

// A number after its '+' or IDD: ExtractCountryCode, then the main region of the code.
std::optional<std::string> FinishInternational(const Tables& tables, const std::string& digits) {
  // MaybeExtractCountryCode: TOO_SHORT_AFTER_IDD.
  if (digits.size() <= kMinLengthForNsn) return std::nullopt;
  size_t code_length = 0;
  CallingCode* code = tables.Find(digits, &code_length);
  if (code == nullptr) return std::nullopt;  // INVALID_COUNTRY_CODE_ERROR
  code->Prepare();
  if (!code->usable) return std::nullopt;
  const int calling_code = code->regions.front()->meta->country_code();
  return Finish(*code, calling_code, *code->regions.front(), digits.substr(code_length));
}

// Lenient mode, a number without '+': ParseHelper with a default region.
std::optional<std::string> FinishNational(const Tables& tables, std::string_view default_region,
                                          std::string digits) {
  CallingCode* home_code = nullptr;
  const Region* home = tables.FindRegion(default_region, &home_code);
  if (home == nullptr) return std::nullopt;  // not a region: libphonenumber's error
  home_code->Prepare();
  if (!home_code->usable) return std::nullopt;
  // MaybeStripInternationalPrefixAndNormalize / ParsePrefixAsIdd: the region's IDD at
  // the start, unless a 0 follows it (calling codes don't start with 0).
  re2::StringPiece idd;
  if (home->international_prefix->Match(digits, 0, digits.size(), RE2::ANCHOR_START, &idd, 1)) {
    const std::string_view after = std::string_view(digits).substr(idd.size());
    if (after.empty() || after.front() != '0') {
      return FinishInternational(tables, std::string(after));
    }
  }
  // MaybeExtractCountryCode: the default region's calling code written without '+'.
  const int home_calling_code = home->meta->country_code();
  const std::string home_code_text = std::to_string(home_calling_code);
  if (digits.compare(0, home_code_text.size(), home_code_text) == 0) {
    std::string potential = digits.substr(home_code_text.size());
    home->MaybeStripNationalPrefix(&potential);
    if ((!home->general.Matches(digits) && home->general.Matches(potential)) ||
        home->TestNumberLength(digits) == Region::Length::kTooLong) {
      // ParseHelper then parses with the metadata of the code's main region.
      return Finish(*home_code, home_calling_code, *home_code->regions.front(),
                    std::move(potential));
    }
  }
  return Finish(*home_code, home_calling_code, *home, std::move(digits));
}

}  // namespace

std::optional<ParsedPhone> FastParse(PhoneMode mode, std::string_view default_region,
                                     std::string_view raw) {
  // Normalize() trims blanks the same way before either path.
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front()))) {
    raw.remove_prefix(1);
  }
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) {
    raw.remove_suffix(1);
  }
  bool plus = false;
  std::optional<std::string> digits = PlainDigits(raw, &plus);
  ParsedPhone out;
  if (!digits) {
    // Not a plain number: an extension, "tel:" or a character CleanPhoneText reads may
    // make it one. Only such values pay for PreparePhone's pass and its copies.
    Result<PreparedPhone> prepared = PreparePhone(raw);
    if (!prepared.ok()) return std::nullopt;
    // MaybeStripExtension strips what its pattern matches at the end. Ending the number
    // in a digit keeps out what libphonenumber reads otherwise: "… / x12" is two numbers
    // to ExtractPossibleNumber, "…-x12" keeps the '-'.
    if (!prepared->extension.empty() &&
        (prepared->main.empty() || prepared->main.back() < '0' || prepared->main.back() > '9')) {
      return std::nullopt;
    }
    digits = PlainDigits(prepared->main, &plus);
    if (!digits) return std::nullopt;
    out.extension = std::move(prepared->extension);
  }
  // Strict mode rejects a number without '+' before parsing.
  if (!plus && mode != PhoneMode::kLenient) return std::nullopt;
  const Tables& tables = Tables::Get();
  if (!tables.loaded()) return std::nullopt;
  // A '+' number is parsed with region "ZZ" in both modes.
  std::optional<std::string> e164 =
      plus ? FinishInternational(tables, *digits)
           : FinishNational(tables, default_region, std::move(*digits));
  if (!e164) return std::nullopt;
  out.e164 = std::move(*e164);
  return out;
}

}  // namespace telsync::detail
