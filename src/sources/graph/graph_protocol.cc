#include "sources/graph/graph_protocol.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

namespace telsync::graph {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The user properties of Graph v1.0 an admin is likely to map (user resource type).
const std::vector<std::string> kProperties = {"accountEnabled",
                                              "businessPhones",
                                              "city",
                                              "companyName",
                                              "country",
                                              "department",
                                              "displayName",
                                              "employeeId",
                                              "employeeType",
                                              "faxNumber",
                                              "givenName",
                                              "id",
                                              "jobTitle",
                                              "mail",
                                              "mailNickname",
                                              "mobilePhone",
                                              "officeLocation",
                                              "onPremisesExtensionAttributes",
                                              "onPremisesSamAccountName",
                                              "otherMails",
                                              "postalCode",
                                              "preferredLanguage",
                                              "proxyAddresses",
                                              "state",
                                              "streetAddress",
                                              "surname",
                                              "usageLocation",
                                              "userPrincipalName",
                                              "userType"};

// Reads one JSON value into the user: scalars and arrays of scalars become attributes,
// objects "a.b" attributes. Group objects of memberOf become groups.
void AddValue(SourceObject& user, const std::string& name, simdjson::ondemand::value value);

void AddMemberOf(SourceObject& user, simdjson::ondemand::array groups) {
  for (auto element : groups) {
    simdjson::ondemand::object group = element.get_object();
    std::string type, display_name;
    for (auto field : group) {
      const std::string_view key = field.unescaped_key();
      if (key == "@odata.type") {
        type = std::string(std::string_view(field.value().get_string()));
      } else if (key == "displayName") {
        auto v = field.value();
        if (!v.is_null()) display_name = std::string(std::string_view(v.get_string()));
      }
    }
    // memberOf lists groups, directory roles and administrative units: only groups count.
    if (!display_name.empty() &&
        (type.empty() || type.find("microsoft.graph.group") != std::string::npos)) {
      user.groups.push_back(display_name);
      user.Add("memberOf", display_name);
    }
  }
}

void AddValue(SourceObject& user, const std::string& name, simdjson::ondemand::value value) {
  switch (value.type()) {
    case simdjson::ondemand::json_type::null:
      return;
    case simdjson::ondemand::json_type::string:
      user.Add(name, std::string(std::string_view(value.get_string())));
      return;
    case simdjson::ondemand::json_type::boolean:
      user.Add(name, bool(value.get_bool()) ? "true" : "false");
      return;
    case simdjson::ondemand::json_type::number: {
      std::string_view raw = value.raw_json_token();
      while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) {
        raw.remove_suffix(1);
      }
      user.Add(name, std::string(raw));
      return;
    }
    case simdjson::ondemand::json_type::array:
      for (auto element : value.get_array()) AddValue(user, name, element.value());
      return;
    case simdjson::ondemand::json_type::object:
      for (auto field : value.get_object()) {
        const std::string key(std::string_view(field.unescaped_key()));
        AddValue(user, name + "." + key, field.value());
      }
      return;
  }
}

}  // namespace

const std::vector<std::string>& OfferedProperties() { return kProperties; }

std::vector<std::string> SelectFor(const std::vector<std::string>& attributes) {
  std::vector<std::string> out = {"id", "accountEnabled", "userType"};
  if (attributes.empty()) {
    out = kProperties;
  }
  for (const std::string& attribute : attributes) {
    std::string name = attribute.substr(0, attribute.find('.'));
    if (name.empty() || Lower(name) == "memberof") continue;
    const std::string lower = Lower(name);
    for (const auto& known : kProperties) {
      if (Lower(known) == lower) {
        name = known;
        break;
      }
    }
    out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void ReservePadding(std::string& body) { body.reserve(body.size() + simdjson::SIMDJSON_PADDING); }

Result<PageInfo> ParseUsersPage(std::string& body,
                                const std::function<void(SourceObject&&)>& on_user,
                                const std::function<void(const std::string&)>& on_bad) {
  ReservePadding(body);
  PageInfo info;
  // One parser per thread: it keeps its buffers between pages.
  thread_local simdjson::ondemand::parser parser;
  try {
    simdjson::ondemand::document doc =
        parser.iterate(simdjson::padded_string_view(body.data(), body.size(), body.capacity()));
    simdjson::ondemand::object root = doc.get_object();
    bool saw_value = false;
    for (auto field : root) {
      const std::string_view key = field.unescaped_key();
      if (key == "@odata.nextLink") {
        info.next_link = std::string(std::string_view(field.value().get_string()));
      } else if (key == "@odata.deltaLink") {
        info.delta_link = std::string(std::string_view(field.value().get_string()));
      } else if (key == "value") {
        saw_value = true;
        size_t index = 0;
        for (auto element : field.value().get_array()) {
          ++index;
          simdjson::ondemand::object object = element.get_object();
          SourceObject user;
          bool any_property = false;  // a property besides id and annotations
          for (auto f : object) {
            const std::string name(std::string_view(f.unescaped_key()));
            simdjson::ondemand::value value = f.value();
            if (name == "id") {
              user.id = CanonicalSourceId(std::string_view(value.get_string()));
            } else if (name == "@removed") {
              user.deleted = true;
            } else if (name == "memberOf") {
              AddMemberOf(user, value.get_array());
            } else if (!name.empty() && name[0] == '@') {
              continue;  // @odata.type and other annotations
            } else {
              any_property = true;
              if (name == "accountEnabled" &&
                  value.type() == simdjson::ondemand::json_type::boolean) {
                const bool enabled = value.get_bool();
                user.enabled = enabled;
                user.Add(name, enabled ? "true" : "false");
                continue;
              }
              AddValue(user, name, value);
            }
          }
          if (user.id.empty()) {
            ++info.bad;
            on_bad("user " + std::to_string(index) + " of the page has no id");
            continue;
          }
          // Properties, and every one null (a null is no attribute): limited information.
          if (any_property && user.attributes.empty() && user.groups.empty() && !user.deleted) {
            ++info.limited;
            continue;
          }
          ++info.users;
          on_user(std::move(user));
        }
      }
    }
    if (!saw_value) return Error::Unavailable("Graph answered a page without a \"value\" list");
  } catch (const simdjson::simdjson_error& e) {
    return Error::Unavailable(std::string("Graph answered a page that is not valid JSON (") +
                              e.what() + ")");
  }
  return info;
}

std::string StringMember(const nlohmann::json& json, const char* key, std::string fallback) {
  if (!json.is_object()) return fallback;
  const auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : fallback;
}

Result<Token> ParseTokenAnswer(long status, const std::string& body,  // NOLINT(runtime/int)
                               const std::string& tenant, const std::string& client_id) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (status == 200 && json.is_object() && json.contains("access_token") &&
      json["access_token"].is_string()) {
    Token token;
    token.access_token = json["access_token"].get<std::string>();
    const nlohmann::json e =
        json.contains("expires_in") ? json["expires_in"] : nlohmann::json(3599);
    token.expires_in = e.is_number()   ? e.get<double>()
                       : e.is_string() ? std::atof(e.get<std::string>().c_str())
                                       : 3599;
    if (token.expires_in <= 0) token.expires_in = 60;
    return token;
  }
  if (!json.is_object()) {
    return Error{ErrorCode::kAuth,
                 "the sign-in endpoint answered HTTP " + std::to_string(status) +
                     " without an OAuth error body; check source.authority",
                 ""};
  }
  int64_t code = 0;
  if (json.contains("error_codes") && json["error_codes"].is_array() &&
      !json["error_codes"].empty() && json["error_codes"][0].is_number_integer()) {
    code = json["error_codes"][0].get<int64_t>();
  }
  std::string description = StringMember(json, "error_description");
  // The first sentence is the reason; the rest is Trace ID / Correlation ID / Timestamp.
  const size_t cut = description.find_first_of("\r\n");
  if (cut != std::string::npos) description.resize(cut);
  const std::string trace = StringMember(json, "trace_id");
  const std::string suffix =
      " (" + (description.empty() ? StringMember(json, "error", "error") : description) +
      (trace.empty() ? "" : "; trace id " + trace) + ")";
  std::string message;
  switch (code) {
    case 90002:
    case 900023:
      message = "tenant " + tenant +
                " does not exist: check tenant_id (Entra admin center > Overview > Tenant ID)";
      break;
    case 700016:
      message = "application " + client_id + " is not registered in tenant " + tenant +
                ": check client_id (App registrations > Application (client) ID) and the tenant";
      break;
    case 7000215:
      message =
          "the client secret is wrong: use the secret's Value (not its Secret ID) from App "
          "registrations > Certificates & secrets";
      break;
    case 7000222:
      message =
          "the client secret has expired: create a new one under App registrations > "
          "Certificates & secrets and update client_secret";
      break;
    default:
      message = "sign-in to Entra ID failed (HTTP " + std::to_string(status) + ")";
  }
  return Error{ErrorCode::kAuth, message + suffix, ""};
}

std::string GraphErrorCode(const std::string& body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_object()) {
    return StringMember(json["error"], "code");
  }
  return "";
}

Error GraphError(long status, const std::string& body, const std::string& what,  // NOLINT
                 const std::string& permission) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  std::string code, message, request_id;
  if (json.is_object() && json.contains("error") && json["error"].is_object()) {
    const auto& error = json["error"];
    code = StringMember(error, "code");
    message = StringMember(error, "message");
    for (const char* inner : {"innerError", "innererror"}) {
      if (error.contains(inner) && error[inner].is_object()) {
        request_id = StringMember(error[inner], "request-id");
      }
    }
  }
  std::string detail = code.empty() ? "HTTP " + std::to_string(status) : code;
  if (!message.empty()) detail += ": " + message;
  if (!request_id.empty()) detail += "; request-id " + request_id;
  if (status == 403) {
    return Error{ErrorCode::kAuth,
                 what +
                     " is not allowed: grant the app the Microsoft Graph application "
                     "permission " +
                     permission + " and an admin's consent (" + detail + ")",
                 ""};
  }
  if (status == 401) {
    return Error{ErrorCode::kAuth, what + ": Graph rejected the access token (" + detail + ")", ""};
  }
  if (status == 404) return Error::NotFound(what + ": not found (" + detail + ")");
  if (status == 429) return Error{ErrorCode::kThrottled, what + ": throttled (" + detail + ")", ""};
  if (status >= 500) return Error::Unavailable(what + ": Graph is unavailable (" + detail + ")");
  return Error::Invalid(what + ": Graph rejected the request (" + detail + ")");
}

double RetryDelay(int attempt, std::optional<double> retry_after, double unit) {
  if (retry_after) return std::min(*retry_after, 300.0);
  const double whole = std::min(60.0, std::ldexp(1.0, std::min(attempt, 10)));
  return whole / 2 + unit * whole / 2;
}

std::string EncodeCursor(const Cursor& cursor) {
  return nlohmann::json{{"graph", 1},
                        {"users", cursor.users},
                        {"groups", cursor.groups},
                        {"full_read_at", cursor.full_read_at}}
      .dump();
}

std::optional<Cursor> DecodeCursor(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("graph") || json["graph"] != 1) return std::nullopt;
  Cursor cursor;
  if (!json.contains("users") || !json["users"].is_string()) return std::nullopt;
  cursor.users = json["users"].get<std::string>();
  if (json.contains("groups") && json["groups"].is_string()) {
    cursor.groups = json["groups"].get<std::string>();
  }
  if (json.contains("full_read_at") && json["full_read_at"].is_number_integer()) {
    cursor.full_read_at = json["full_read_at"].get<int64_t>();
  }
  if (cursor.users.empty()) return std::nullopt;
  return cursor;
}

std::string ODataQuote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

bool LooksLikeGuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace telsync::graph
