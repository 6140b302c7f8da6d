#include "mapping/user_mapping.h"

#include <algorithm>
#include <cctype>

namespace telsync {
namespace {

// One field of an explained user (UserMapping::Apply's trace): what the expression read
// and gave.
void Trace(std::string field, const Expression& expression, const SourceObject& object,
           const std::string& value, std::vector<ExplainMapping>& trace) {
  ExplainMapping m;
  m.field = std::move(field);
  m.expression = expression.text();
  m.value = value;
  bool any_input = false;
  for (const std::string& name : expression.Attributes()) {
    ExplainValues input;
    input.name = name;
    if (const auto* values = object.Find(name)) {
      input.values = *values;
    } else if (name == "memberof") {
      input.values = object.groups;  // {memberOf} reads the groups (expression.h)
    }
    for (const auto& v : input.values) any_input = any_input || !v.empty();
    m.inputs.push_back(std::move(input));
  }
  if (value.empty() && any_input) {
    std::string lower = m.expression;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    m.note = lower.find("e164(") != std::string::npos
                 ? "e164() gave no value: the input is not a valid phone number"
                 : "no value although its inputs have values: a function of the expression "
                   "gave none";
  }
  trace.push_back(std::move(m));
}

bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

// Custom fields become report columns, JSON keys and template variables: keep them to
// one simple spelling.
bool IsValidCustomName(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::map<std::string, std::string> UserMapping::Defaults(const std::string& source_type) {
  if (source_type == "graph") {
    return {
        {"username", R"(lower(coalesce({mailNickname}, replace({userPrincipalName}, "@.*$", ""), )"
                     R"(replace({mail}, "@.*$", ""))))"},
        {"first_name", "{givenName}"},
        {"last_name", "{surname}"},
        {"display_name", "{displayName}"},
        {"email", "lower(coalesce({mail}, {userPrincipalName}))"},
        {"landline", "first({businessPhones})"},
        {"mobile", "{mobilePhone}"},
        {"department", "{department}"},
        {"job_title", "{jobTitle}"},
        {"city", "{city}"},
        {"country", "{country}"},
    };
  }
  if (source_type == "ldap") {
    return {
        {"username", R"(lower(coalesce({sAMAccountName}, {uid}, )"
                     R"(replace({userPrincipalName}, "@.*$", ""), replace({mail}, "@.*$", ""))))"},
        {"first_name", "{givenName}"},
        {"last_name", "{sn}"},
        {"display_name", "coalesce({displayName}, {cn})"},
        {"email", "lower({mail})"},
        {"landline", "{telephoneNumber}"},
        {"mobile", "{mobile}"},
        {"extension", "{ipPhone}"},
        {"department", "{department}"},
        {"job_title", "{title}"},
        {"city", "{l}"},
        {"country", "coalesce({co}, {c})"},
    };
  }
  if (source_type == "file") {
    return {
        {"username", R"(lower(coalesce({sAMAccountName}, {uid}, {mailNickname}, )"
                     R"(replace({userPrincipalName}, "@.*$", ""), replace({mail}, "@.*$", ""))))"},
        {"first_name", "{givenName}"},
        {"last_name", "coalesce({surname}, {sn})"},
        {"display_name", "coalesce({displayName}, {cn})"},
        {"email", "lower(coalesce({mail}, {userPrincipalName}))"},
        {"landline", "coalesce(first({businessPhones}), {telephoneNumber})"},
        {"mobile", "coalesce({mobilePhone}, {mobile})"},
        {"extension", "coalesce({extension}, {ipPhone})"},
        {"department", "{department}"},
        {"job_title", "coalesce({jobTitle}, {title})"},
        {"city", "coalesce({city}, {l})"},
        {"country", "coalesce({country}, {co}, {c})"},
    };
  }
  if (source_type == "scim") {
    return {
        {"username", R"(lower(replace({userName}, "@.*$", "")))"},
        {"first_name", "{name.givenName}"},
        {"last_name", "{name.familyName}"},
        {"display_name", "coalesce({displayName}, {name.formatted})"},
        {"email", "lower(coalesce({emails.work}, {emails}))"},
        {"landline", "{phoneNumbers.work}"},
        {"mobile", "{phoneNumbers.mobile}"},
        {"department", "{urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department}"},
        {"job_title", "{title}"},
        {"city", "{addresses.work.locality}"},
        {"country", "{addresses.work.country}"},
    };
  }
  return {};
}

Result<UserMapping> UserMapping::Compile(const std::map<std::string, std::string>& mapping,
                                         const std::string& source_type) {
  std::map<std::string, std::string> merged = Defaults(source_type);
  for (const auto& [key, text] : mapping) {
    if (!FieldFromName(key).has_value() && !IsValidCustomName(key)) {
      return Error::Invalid("mapping." + key +
                            ": not a valid field name (custom fields match [a-z][a-z0-9_]*)");
    }
    if (IsBlank(text)) {
      merged.erase(key);  // "" unmaps a default
    } else {
      merged[key] = text;
    }
  }
  UserMapping result;
  for (const auto& [key, text] : merged) {
    auto expression = Expression::Parse(text);
    if (!expression.ok()) {
      return Error::Invalid("mapping." + key + ": " + expression.error().message);
    }
    if (const auto field = FieldFromName(key)) {
      result.fixed_.emplace_back(*field, std::move(expression).value());
    } else {
      result.custom_.emplace_back(key, std::move(expression).value());  // sorted: a map
    }
  }
  // Report order, so that Apply sets fields in a stable order.
  std::sort(result.fixed_.begin(), result.fixed_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return result;
}

MappedUser UserMapping::Apply(const SourceObject& object,
                              std::vector<ExplainMapping>* trace) const {
  MappedUser user;
  user.source_key = object.id;
  user.enabled = object.enabled;
  user.deleted = object.deleted;
  user.source_groups = object.groups;
  user.upn = std::string(object.First("userPrincipalName"));
  for (const auto& [field, expression] : fixed_) {
    const std::string value = expression.EvaluateScalar(object);
    if (trace != nullptr) Trace(std::string(FieldName(field)), expression, object, value, *trace);
    if (!value.empty()) user.fields.Set(field, value);
  }
  for (const auto& [name, expression] : custom_) {
    std::string value = expression.EvaluateScalar(object);
    if (trace != nullptr) Trace("custom." + name, expression, object, value, *trace);
    if (!value.empty()) user.custom.emplace_back(name, std::move(value));
  }
  return user;
}

std::vector<std::string> UserMapping::Attributes() const {
  std::vector<std::string> names = {"userprincipalname", "id"};
  for (const auto& [field, expression] : fixed_) {
    names.insert(names.end(), expression.Attributes().begin(), expression.Attributes().end());
  }
  for (const auto& [name, expression] : custom_) {
    names.insert(names.end(), expression.Attributes().begin(), expression.Attributes().end());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace telsync
