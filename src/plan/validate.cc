#include "plan/validate.h"

#include <algorithm>

#include "plan/detail/text.h"
#include "util/text.h"

namespace telsync {
namespace {

using plan_detail::AsciiLower;
using plan_detail::TrimView;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool IsControlOrSpace(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f || c == ' ';
}

// One '@', a non-empty local part, a domain with a dot that is neither its first nor its
// last character, and no blanks or control characters anywhere.
bool LooksLikeEmail(std::string_view s) {
  if (std::any_of(s.begin(), s.end(), IsControlOrSpace)) return false;
  const size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = s.substr(at + 1);
  const size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot != 0 && domain.back() != '.';
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Validator::Validator(const Profile& profile)
    : config_(profile.validation),
      phone_(profile.validation.phone_mode, profile.validation.default_region),
      keep_source_groups_(std::any_of(profile.rules.begin(), profile.rules.end(),
                                      [](const RuleConfig& r) { return r.field == "group"; })) {}

Result<DesiredUser> Validator::Validate(MappedUser mapped, std::vector<ExplainStep>* trace) const {
  FieldSet& f = mapped.fields;
  // The trace of `telsync explain`: nothing is recorded (or built) in a normal run.
  auto pass = [trace](const char* what, std::string detail) {
    if (trace != nullptr) trace->push_back({what, "pass", std::move(detail)});
  };
  auto fail = [trace](const char* what, std::string reason) {
    if (trace != nullptr) trace->push_back({what, "fail", reason});
    return Error::Invalid(std::move(reason));
  };
  // Nothing that is not text is stored: every output path (JSON, XLSX, the web page) would
  // have to guess what the bytes meant.
  for (size_t i = 0; i < kFieldCount; ++i) {
    const auto field = static_cast<Field>(i);
    if (const size_t at = FirstNonText(f.Get(field))) {
      return fail("utf-8", std::string(FieldName(field)) + " is not valid UTF-8 at byte " +
                               std::to_string(at));
    }
  }
  for (const auto& [key, value] : mapped.custom) {
    if (const size_t at = FirstNonText(value)) {
      return fail("utf-8", key + " is not valid UTF-8 at byte " + std::to_string(at));
    }
  }
  if (trace != nullptr) pass("utf-8", "every value is text");
  // Directory values often carry stray blanks; they are never meaningful in these fields.
  for (size_t i = 0; i < kFieldCount; ++i) {
    const auto field = static_cast<Field>(i);
    const std::string_view v = f.Get(field);
    const std::string_view t = TrimView(v);
    if (t.size() != v.size()) f.Set(field, std::string(t));
    if (f.Get(field).size() > kMaxFieldLength) {
      return fail("length", std::string(FieldName(field)) + " is longer than " +
                                std::to_string(kMaxFieldLength) + " bytes");
    }
  }
  if (trace != nullptr)
    pass("length", "every value is at most " + std::to_string(kMaxFieldLength) + " bytes");
  if (plan_detail::HasUpper(f.Get(Field::kEmail))) {
    f.Set(Field::kEmail, AsciiLower(f.Get(Field::kEmail)));
  }

  for (const std::string& name : config_.required) {
    if (name == "phone") {
      if (f.Get(Field::kLandline).empty() && f.Get(Field::kMobile).empty()) {
        return fail("required", "a landline or a mobile is required");
      }
      if (trace != nullptr) pass("required", "phone: a landline or a mobile is present");
      continue;
    }
    bool present = false;
    if (const auto field = FieldFromName(name)) {
      present = !f.Get(*field).empty();
    } else {
      for (const auto& [key, value] : mapped.custom) {
        if (key == name) present = !TrimView(value).empty();
      }
    }
    if (!present) return fail("required", name + " is required");
    if (trace != nullptr) pass("required", name + " is present");
  }

  const std::string_view email = f.Get(Field::kEmail);
  if (!email.empty() && !LooksLikeEmail(email)) {
    return fail("email", "email " + Quote(email) + " is not an e-mail address");
  }
  if (!email.empty() && trace != nullptr) pass("email", Quote(email) + " is an e-mail address");

  for (const Field field : {Field::kLandline, Field::kMobile}) {
    const std::string_view raw = f.Get(field);
    if (raw.empty()) continue;
    Result<std::string> e164 = phone_.Normalize(raw);
    if (!e164.ok()) {
      return fail("phone", std::string(FieldName(field)) + " " + e164.error().message);
    }
    if (trace != nullptr) {
      pass("phone", std::string(FieldName(field)) + " " + Quote(raw) +
                        " parsed by libphonenumber as " + *e164);
    }
    f.Set(field, *e164);
  }

  const std::string_view extension = f.Get(Field::kExtension);
  if (!extension.empty()) {
    if (!AllDigits(extension)) {
      return fail("extension", "extension " + Quote(extension) + " must be digits");
    }
    if (config_.extension_length > 0 &&
        extension.size() != static_cast<size_t>(config_.extension_length)) {
      return fail("extension", "extension " + Quote(extension) + " must have " +
                                   std::to_string(config_.extension_length) + " digits");
    }
    if (trace != nullptr)
      pass("extension", Quote(extension) + " is digits of the configured length");
  }

  // Every PBX user has a username: it is how people, the CLI and the targets name it.
  const std::string_view username = f.Get(Field::kUsername);
  if (username.empty()) {
    return fail(
        "username",
        "username is empty: the mapping gave no value (the source has none of the attributes "
        "it reads; map username to one it has)");
  }
  if (std::any_of(username.begin(), username.end(), IsControlOrSpace)) {
    return fail("username",
                "username " + Quote(username) + " must not contain spaces or control characters");
  }
  if (trace != nullptr) pass("username", Quote(username) + " has no spaces or control characters");

  if (f.Get(Field::kDisplayName).empty()) {
    const std::string_view first = f.Get(Field::kFirstName);
    const std::string_view last = f.Get(Field::kLastName);
    std::string display(first);
    if (!first.empty() && !last.empty()) display += ' ';
    display += last;
    f.Set(Field::kDisplayName, display);
  }

  DesiredUser desired;
  desired.user.fields = std::move(f);
  desired.user.source_key = std::move(mapped.source_key);
  desired.user.custom = std::move(mapped.custom);
  desired.user.searchable = mapped.enabled;
  desired.enabled = mapped.enabled;
  // The e-mail is a match key already; a UPN equal to it adds nothing but memory.
  if (!plan_detail::EqualsIgnoreCase(mapped.upn, desired.user.fields.Get(Field::kEmail))) {
    desired.set_upn(std::move(mapped.upn));
  }
  if (keep_source_groups_) desired.set_source_groups(std::move(mapped.source_groups));
  return desired;
}

}  // namespace telsync
