#include "sources/ldap/ldap_source.h"

#include <ldap.h>
#include <strings.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sources/file/file_formats.h"
#include "sources/ldap/ldap_query.h"

namespace telsync {
namespace {

using ldap::ServerKind;

constexpr int kNetworkTimeoutSeconds = 10;
constexpr int kOperationTimeoutSeconds = 120;  // AD's MaxQueryDuration
constexpr int kMaxGroupDepth = 32;             // nested groups deeper than this are ignored
constexpr int kMaxRangeStep = 1000;            // below AD's MaxValRange (1500)

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// libldap (GnuTLS on Debian) says why a TLS handshake failed only in its debug log
// ("TLS: peer cert untrusted or revoked (0x42)"); the result code is just "can't contact".
// So its log lines of level "any" are captured (never printed) and the TLS ones quoted.
thread_local std::string tls_log;

void CaptureLog(const char* line) {
  if (line == nullptr) return;
  std::string text(line);
  if (text.rfind("TLS:", 0) != 0) return;
  while (!text.empty() && (text.back() == '\n' || text.back() == '.')) text.pop_back();
  if (text.find("(unknown error code)") != std::string::npos) return;
  if (tls_log.size() < 512) tls_log += (tls_log.empty() ? "" : "; ") + text;
}

void InstallLogCapture() {
  static const bool installed = [] {
    ber_set_option(nullptr, LBER_OPT_LOG_PRINT_FN, reinterpret_cast<void*>(&CaptureLog));
    return true;
  }();
  (void)installed;
}

// Turns libldap's debug log on while connecting (the TLS reasons are logged at trace
// level) and off again: logging every operation of a read would cost time.
class ConnectLog {
 public:
  ConnectLog() {
    InstallLogCapture();
    tls_log.clear();
    int level = -1;
    ldap_set_option(nullptr, LDAP_OPT_DEBUG_LEVEL, &level);
  }
  ~ConnectLog() {
    int level = 0;
    ldap_set_option(nullptr, LDAP_OPT_DEBUG_LEVEL, &level);
  }
};

// One entry as read, binary values kept as bytes.
struct Entry {
  std::string dn;
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes;

  const std::vector<std::string>* Find(std::string_view name) const {
    for (const auto& [n, v] : attributes) {
      if (EqualsNoCase(n, name)) return &v;
    }
    return nullptr;
  }
  std::string First(std::string_view name) const {
    const auto* v = Find(name);
    return v == nullptr || v->empty() ? std::string() : v->front();
  }
};

// The outcome of one LDAP operation: rc 0 or the failure in words.
struct OpError {
  int code = 0;
  std::string message;
};

// What an LDAP result code means for the read (sources/source.h, ReadResult::error).
ErrorCode ReadErrorCode(int ldap_code) {
  switch (ldap_code) {
    case LDAP_INVALID_CREDENTIALS:
      return ErrorCode::kAuth;
    case LDAP_INSUFFICIENT_ACCESS:
      return ErrorCode::kForbidden;
    case LDAP_NO_SUCH_OBJECT:
      return ErrorCode::kNotFound;
    case LDAP_FILTER_ERROR:
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_PROTOCOL_ERROR:
      return ErrorCode::kInvalid;
    default:
      return ErrorCode::kUnavailable;  // down, busy, timed out, limits: a later read may pass
  }
}

Error ReadError(const OpError& e, const std::string& message) {
  return Error{ReadErrorCode(e.code), message, ""};
}

// A bound connection; unbinds on destruction.
class Connection {
 public:
  Connection(LDAP* ld, std::string url) : ld_(ld), url_(std::move(url)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (ld_ != nullptr) ldap_unbind_ext_s(ld_, nullptr, nullptr);
  }
  LDAP* ld() const { return ld_; }
  const std::string& url() const { return url_; }

  std::string Diagnostic() const {
    char* message = nullptr;
    ldap_get_option(ld_, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message);
    std::string out = message != nullptr ? message : "";
    if (!tls_log.empty() && (out.empty() || out == "(unknown error code)")) out = tls_log;
    if (message != nullptr) ldap_memfree(message);
    return out;
  }

 private:
  LDAP* ld_;
  std::string url_;
};

std::string Describe(int rc) { return ldap_err2string(rc); }

// Words for a failed search: the ones an admin can act on get their own sentence.
std::string ExplainSearchError(int rc, const std::string& diagnostic, const std::string& base,
                               const std::string& filter, const std::string& url) {
  switch (rc) {
    case LDAP_NO_SUCH_OBJECT:
      return "search DN not found: " + base + " does not exist on " + url +
             " (or the service account may not read it)";
    case LDAP_FILTER_ERROR:
      return "filter syntax error: " + filter + " is not a valid LDAP filter (check source.filter)";
    case LDAP_SIZELIMIT_EXCEEDED:
      return "the server stopped the search at its size limit (paging was refused)";
    case LDAP_TIMELIMIT_EXCEEDED:
    case LDAP_TIMEOUT:
      return "the search timed out on " + url;
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
      return "the connection to " + url + " was lost: " + Describe(rc);
    case LDAP_INSUFFICIENT_ACCESS:
      return "the service account may not search " + base;
    default:
      return "search of " + base + " failed on " + url + ": " + Describe(rc) +
             (diagnostic.empty() ? "" : " (" + diagnostic + ")");
  }
}

Entry ParseEntry(LDAP* ld, LDAPMessage* message) {
  // The BER-walking calls (as ldapsearch uses them) hand out views into the message, so an
  // entry costs one copy of each value and no allocation per attribute name.
  Entry entry;
  BerElement* ber = nullptr;
  berval name{0, nullptr};
  if (ldap_get_dn_ber(ld, message, &ber, &name) != LDAP_SUCCESS) {
    if (ber != nullptr) ber_free(ber, 0);
    return entry;
  }
  entry.dn.assign(name.bv_val, name.bv_len);
  berval* values = nullptr;
  while (ldap_get_attribute_ber(ld, message, ber, &name, &values) == LDAP_SUCCESS &&
         name.bv_val != nullptr) {
    std::vector<std::string> out;
    if (values != nullptr) {
      for (int i = 0; values[i].bv_val != nullptr; ++i) {
        out.emplace_back(values[i].bv_val, values[i].bv_len);
      }
      ber_memfree(values);
      values = nullptr;
    }
    entry.attributes.emplace_back(std::string(name.bv_val, name.bv_len), std::move(out));
  }
  if (ber != nullptr) ber_free(ber, 0);
  return entry;
}

// Builds a NULL-terminated char* array over `attrs` (which must outlive it).
std::vector<char*> AttrArray(const std::vector<std::string>& attrs) {
  std::vector<char*> out;
  for (const auto& a : attrs) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// A search with Simple Paged Results (RFC 2696) for subtree and one-level scopes. Entries
// are handed to `on_entry` as they arrive; `on_entry` may run other operations on the same
// connection (range retrieval). Returns the failure, or code 0.
OpError Search(Connection& conn, const std::string& base, int scope, const std::string& filter,
               const std::vector<std::string>& attrs, int page_size,
               const std::function<void(Entry&&)>& on_entry,
               const std::vector<LDAPControl*>& extra_controls = {}) {
  LDAP* ld = conn.ld();
  std::vector<char*> attr_array = AttrArray(attrs);
  berval* cookie = nullptr;
  const bool paged = scope != LDAP_SCOPE_BASE && page_size > 0;
  OpError result;
  while (true) {
    LDAPControl* page_control = nullptr;
    std::vector<LDAPControl*> controls = extra_controls;
    if (paged) {
      const int rc = ldap_create_page_control(ld, page_size, cookie, 1, &page_control);
      if (rc != LDAP_SUCCESS) {
        result = {rc, "cannot build the paged-results control: " + Describe(rc)};
        break;
      }
      controls.push_back(page_control);
    }
    controls.push_back(nullptr);
    timeval timeout{kOperationTimeoutSeconds, 0};
    int msgid = 0;
    int rc = ldap_search_ext(ld, base.c_str(), scope, filter.c_str(),
                             attrs.empty() ? nullptr : attr_array.data(), 0, controls.data(),
                             nullptr, &timeout, LDAP_NO_LIMIT, &msgid);
    if (page_control != nullptr) ldap_control_free(page_control);
    if (rc != LDAP_SUCCESS) {
      result = {rc, ExplainSearchError(rc, conn.Diagnostic(), base, filter, conn.url())};
      break;
    }
    bool done = false;
    bool more_pages = false;
    while (!done) {
      LDAPMessage* message = nullptr;
      timeval wait{kOperationTimeoutSeconds, 0};
      const int type = ldap_result(ld, msgid, LDAP_MSG_ONE, &wait, &message);
      if (type <= 0) {
        if (message != nullptr) ldap_msgfree(message);
        int code = LDAP_TIMEOUT;
        if (type < 0) ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &code);
        if (code == LDAP_SUCCESS) code = LDAP_SERVER_DOWN;
        result = {code, ExplainSearchError(code, conn.Diagnostic(), base, filter, conn.url())};
        ber_bvfree(cookie);
        return result;
      }
      if (type == LDAP_RES_SEARCH_ENTRY) {
        Entry entry = ParseEntry(ld, message);
        ldap_msgfree(message);
        on_entry(std::move(entry));
        continue;
      }
      if (type == LDAP_RES_SEARCH_REFERENCE) {  // referrals to other partitions: not followed
        ldap_msgfree(message);
        continue;
      }
      if (type != LDAP_RES_SEARCH_RESULT) {
        ldap_msgfree(message);
        continue;
      }
      int code = LDAP_SUCCESS;
      char* matched = nullptr;
      char* error_text = nullptr;
      LDAPControl** response_controls = nullptr;
      rc = ldap_parse_result(ld, message, &code, &matched, &error_text, nullptr, &response_controls,
                             1);
      const std::string diagnostic = error_text != nullptr ? error_text : "";
      if (matched != nullptr) ldap_memfree(matched);
      if (error_text != nullptr) ldap_memfree(error_text);
      if (rc != LDAP_SUCCESS) code = rc;
      if (code != LDAP_SUCCESS) {
        if (response_controls != nullptr) ldap_controls_free(response_controls);
        result = {code, ExplainSearchError(code, diagnostic, base, filter, conn.url())};
        ber_bvfree(cookie);
        return result;
      }
      if (paged) {
        ber_bvfree(cookie);
        cookie = nullptr;
        LDAPControl* response =
            response_controls != nullptr
                ? ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, response_controls, nullptr)
                : nullptr;
        if (response != nullptr) {
          ber_int_t estimate = 0;
          berval next{0, nullptr};
          if (ldap_parse_pageresponse_control(ld, response, &estimate, &next) == LDAP_SUCCESS &&
              next.bv_len > 0) {
            cookie = ber_bvdup(&next);
            more_pages = true;
          }
          if (next.bv_val != nullptr) ber_memfree(next.bv_val);
        }
      }
      if (response_controls != nullptr) ldap_controls_free(response_controls);
      done = true;
    }
    if (!more_pages) break;
  }
  ber_bvfree(cookie);
  return result;
}

// One entry by DN, or nullopt-like empty dn when it does not exist or does not match.
OpError ReadBase(Connection& conn, const std::string& dn, const std::string& filter,
                 const std::vector<std::string>& attrs, Entry& out,
                 const std::vector<LDAPControl*>& controls = {}) {
  out = Entry();
  return Search(
      conn, dn, LDAP_SCOPE_BASE, filter, attrs, 0, [&](Entry&& e) { out = std::move(e); },
      controls);
}

// Completes every attribute an entry returned with a range option ("member;range=0-999")
// by asking for the next ranges until the server says "*" (AD's MaxValRange).
OpError CompleteRanges(Connection& conn, Entry& entry) {
  for (auto& [name, values] : entry.attributes) {
    auto range = ldap::ParseRange(name);
    if (!range) continue;
    const std::string attribute = range->attribute;
    while (!range->last) {
      const uint64_t low = range->high + 1;
      const std::vector<std::string> attrs = {attribute + ";range=" + std::to_string(low) + "-*"};
      Entry more;
      OpError e = ReadBase(conn, entry.dn, "(objectClass=*)", attrs, more);
      if (e.code != 0) return e;
      std::optional<ldap::RangeOption> next;
      for (auto& [n, v] : more.attributes) {
        auto r = ldap::ParseRange(n);
        if (!r || !EqualsNoCase(r->attribute, attribute)) continue;
        next = r;
        for (auto& value : v) values.push_back(std::move(value));
      }
      if (!next || next->low != low) {
        return {LDAP_OTHER, "range retrieval of " + attribute + " on " + entry.dn +
                                " did not continue at " + std::to_string(low)};
      }
      range = next;
    }
    name = attribute;
  }
  return {};
}

// Groups of the directory: name and direct members, and the inverse.
class GroupCatalog {
 public:
  struct Group {
    std::string dn;
    std::string name;
    std::vector<std::string> members;  // normalised DNs
  };

  void Add(const Entry& entry) {
    Group g;
    g.dn = entry.dn;
    g.name = entry.First("cn");
    if (g.name.empty()) g.name = file_formats::FirstRdnValue(entry.dn);
    const std::string key = ldap::NormalizeDn(entry.dn);
    for (const char* attr : {"member", "uniqueMember"}) {
      if (const auto* values = entry.Find(attr)) {
        for (const auto& v : *values) {
          std::string member = ldap::NormalizeDn(v);
          // uniqueMember may carry "#'0101'B" after the DN (RFC 4517 NameAndOptionalUID).
          const size_t hash = member.rfind("#'");
          if (hash != std::string::npos) member.resize(hash);
          parents_[member].push_back(key);
          g.members.push_back(std::move(member));
        }
      }
    }
    groups_[key] = std::move(g);
  }

  bool IsGroup(const std::string& ndn) const { return groups_.count(ndn) != 0; }
  const Group* Find(const std::string& ndn) const {
    auto it = groups_.find(ndn);
    return it == groups_.end() ? nullptr : &it->second;
  }
  size_t size() const { return groups_.size(); }

  // Every group holding `ndn`, directly or through nested groups (bounded depth, cycles
  // cut), as normalised DNs.
  std::vector<std::string> GroupsOf(const std::string& ndn) const {
    std::vector<std::string> out;
    if (parents_.find(ndn) == parents_.end()) return out;  // most users: no group at all
    std::unordered_set<std::string> seen;
    std::vector<std::pair<std::string, int>> stack = {{ndn, 0}};
    while (!stack.empty()) {
      auto [current, depth] = std::move(stack.back());
      stack.pop_back();
      auto it = parents_.find(current);
      if (it == parents_.end() || depth >= kMaxGroupDepth) continue;
      for (const auto& parent : it->second) {
        if (seen.insert(parent).second) {
          out.push_back(parent);
          stack.emplace_back(parent, depth + 1);
        }
      }
    }
    return out;
  }

  // `explain`: the names of the groups from `ndn` up to `group_ndn` (its direct group
  // first, that group last), a shortest chain over direct memberships; empty when `ndn` is
  // not in it (bounded depth, cycles cut).
  std::vector<std::string> PathTo(const std::string& ndn, const std::string& group_ndn) const {
    std::unordered_map<std::string, std::string> child_of = {{ndn, ""}};
    std::vector<std::string> level = {ndn};
    for (int depth = 0; depth < kMaxGroupDepth && !level.empty(); ++depth) {
      std::vector<std::string> next;
      for (const auto& current : level) {
        auto it = parents_.find(current);
        if (it == parents_.end()) continue;
        for (const auto& parent : it->second) {
          if (!child_of.emplace(parent, current).second) continue;
          if (parent == group_ndn) {
            std::vector<std::string> path;
            for (std::string g = parent; g != ndn; g = child_of[g]) {
              const Group* found = Find(g);
              path.insert(path.begin(), found != nullptr ? found->name : g);
            }
            return path;
          }
          next.push_back(parent);
        }
      }
      level = std::move(next);
    }
    return {};
  }

  // The non-group members of `group_ndn`, nested groups followed (bounded walk).
  std::unordered_set<std::string> MembersOf(const std::string& group_ndn) const {
    std::unordered_set<std::string> users;
    std::unordered_set<std::string> seen = {group_ndn};
    std::vector<std::pair<std::string, int>> stack = {{group_ndn, 0}};
    while (!stack.empty()) {
      auto [current, depth] = std::move(stack.back());
      stack.pop_back();
      const Group* g = Find(current);
      if (g == nullptr) continue;
      for (const auto& m : g->members) {
        if (IsGroup(m)) {
          if (depth + 1 < kMaxGroupDepth && seen.insert(m).second) stack.emplace_back(m, depth + 1);
        } else {
          users.insert(m);
        }
      }
    }
    return users;
  }

  // `group_ndn` and every group nested in it.
  std::unordered_set<std::string> NestedGroups(const std::string& group_ndn) const {
    std::unordered_set<std::string> seen = {group_ndn};
    std::vector<std::pair<std::string, int>> stack = {{group_ndn, 0}};
    while (!stack.empty()) {
      auto [current, depth] = std::move(stack.back());
      stack.pop_back();
      const Group* g = Find(current);
      if (g == nullptr) continue;
      for (const auto& m : g->members) {
        if (IsGroup(m) && depth + 1 < kMaxGroupDepth && seen.insert(m).second) {
          stack.emplace_back(m, depth + 1);
        }
      }
    }
    return seen;
  }

 private:
  std::unordered_map<std::string, Group> groups_;
  std::unordered_map<std::string, std::vector<std::string>> parents_;
};

struct Department {
  std::string ndn;
  std::string name;
  bool is_ou = false;
};

struct RootInfo {
  ServerKind kind = ServerKind::kOther;
  std::string root;  // the naming context the groups are searched in
  uint64_t highest_usn = 0;
  std::string invocation_id;
};

int PageSize(const LdapSourceConfig& config) {
  return config.page_size > 0 ? config.page_size : 1000;
}

std::string GroupFilter(ServerKind kind) {
  return kind == ServerKind::kActiveDirectory
             ? "(objectClass=group)"
             : "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))";
}

bool IsGroupEntry(const Entry& entry) {
  if (const auto* classes = entry.Find("objectClass")) {
    for (const auto& c : *classes) {
      if (EqualsNoCase(c, "group") || EqualsNoCase(c, "groupOfNames") ||
          EqualsNoCase(c, "groupOfUniqueNames")) {
        return true;
      }
    }
  }
  return false;
}

// Everything one read needs to know before it reads users.
struct ReadContext {
  RootInfo info;
  bool group_scope = false;
  std::string scope_dn;
  std::string scope_ndn;
  std::string user_base;  // where users are searched
  GroupCatalog catalog;
  std::unordered_set<std::string> scope_members;  // group scope, non-AD
  std::vector<Department> departments;
  std::string newest_timestamp;  // OpenLDAP watermark
};

class Reader {
 public:
  Reader(const LdapSourceConfig& config) : config_(config) {}

  // Connects to the URLs in turn (or only `only_url`); the first that binds wins.
  Result<std::unique_ptr<Connection>> Connect(const std::string& only_url = "") {
    std::vector<std::string> failures;
    for (const std::string& url : config_.urls) {
      ConnectLog log;
      if (!only_url.empty() && url != only_url) continue;
      LDAP* ld = nullptr;
      int rc = ldap_initialize(&ld, url.c_str());
      if (rc != LDAP_SUCCESS || ld == nullptr) {
        failures.push_back("cannot use " + url + ": " + Describe(rc));
        continue;
      }
      auto conn = std::make_unique<Connection>(ld, url);
      const int version = LDAP_VERSION3;
      ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
      ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
      timeval network{kNetworkTimeoutSeconds, 0};
      ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &network);
      timeval op{kOperationTimeoutSeconds, 0};
      ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op);
      const int require = config_.tls_verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
      ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require);
      if (!config_.ca_file.empty()) {
        ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, config_.ca_file.c_str());
      }
      const int new_context = 0;  // per-handle TLS options take effect with a new context
      ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &new_context);
      const bool ldaps = url.rfind("ldaps://", 0) == 0;
      if (config_.start_tls && !ldaps) {
        rc = ldap_start_tls_s(ld, nullptr, nullptr);
        if (rc != LDAP_SUCCESS) {
          failures.push_back(ldap::ExplainConnectError(rc, conn->Diagnostic(), url, true));
          continue;
        }
      }
      berval credentials{0, nullptr};
      const std::string& password = config_.bind_password.Reveal();
      if (!config_.bind_dn.empty()) {
        credentials.bv_len = password.size();
        credentials.bv_val = const_cast<char*>(password.data());
      }
      rc = ldap_sasl_bind_s(ld, config_.bind_dn.c_str(), LDAP_SASL_SIMPLE, &credentials, nullptr,
                            nullptr, nullptr);
      if (rc == LDAP_SUCCESS) return conn;
      const std::string diagnostic = conn->Diagnostic();
      if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT) {
        failures.push_back(ldap::ExplainConnectError(rc, diagnostic, url, ldaps));
        continue;
      }
      // The same account fails on every server: say why now.
      Error error{ErrorCode::kAuth, ldap::ExplainBindError(rc, diagnostic, url), ""};
      if (rc == LDAP_STRONG_AUTH_REQUIRED || rc == LDAP_CONFIDENTIALITY_REQUIRED) {
        error.code = ErrorCode::kInvalid;
      }
      return error;
    }
    if (failures.empty()) return Error::Unavailable("no LDAP server configured");
    std::string message;
    for (const auto& f : failures) message += (message.empty() ? "" : "; ") + f;
    return Error::Unavailable(message);
  }

  OpError ReadRoot(Connection& conn, RootInfo& info) {
    Entry root;
    OpError e = ReadBase(conn, "", "(objectClass=*)",
                         {"supportedCapabilities", "defaultNamingContext", "namingContexts",
                          "highestCommittedUSN", "dsServiceName"},
                         root);
    if (e.code != 0) return e;
    info = RootInfo();
    if (const auto* caps = root.Find("supportedCapabilities")) {
      for (const auto& c : *caps) {
        if (c == "1.2.840.113556.1.4.800") info.kind = ServerKind::kActiveDirectory;
      }
    }
    if (info.kind == ServerKind::kActiveDirectory) {
      info.root = root.First("defaultNamingContext");
      info.highest_usn = std::strtoull(root.First("highestCommittedUSN").c_str(), nullptr, 10);
      const std::string service = root.First("dsServiceName");
      if (!service.empty()) {
        Entry ntds;
        OpError n = ReadBase(conn, service, "(objectClass=*)", {"invocationId"}, ntds);
        if (n.code == 0) {
          auto guid = file_formats::GuidFromBytes(ntds.First("invocationId"));
          if (guid) info.invocation_id = *guid;
        }
      }
    } else if (const auto* contexts = root.Find("namingContexts")) {
      for (const auto& c : *contexts) {
        if (ldap::IsAtOrBelow(config_.user_search_dn, c)) info.root = c;
      }
    }
    if (info.root.empty()) {
      // No naming context readable: groups are searched from the user search DN's parent.
      std::string parent = ldap::ParentDn(ldap::NormalizeDn(config_.user_search_dn));
      info.root = parent.empty() ? config_.user_search_dn : parent;
    }
    return {};
  }

  // Root, scope, group catalog and departments.
  OpError Prepare(Connection& conn, ReadContext& ctx) {
    OpError e = ReadRoot(conn, ctx.info);
    if (e.code != 0) return e;
    Entry scope;
    e = ReadBase(conn, config_.user_search_dn, "(objectClass=*)", {"objectClass"}, scope);
    if (e.code != 0) return e;
    if (scope.dn.empty()) {
      return {LDAP_NO_SUCH_OBJECT, "search DN not found: " + config_.user_search_dn};
    }
    ctx.group_scope = IsGroupEntry(scope);
    // The server's spelling of the DN (it may escape what the admin wrote plainly, such as
    // '=' in a value), so that it compares equal to the member values it returns.
    ctx.scope_dn = scope.dn;
    ctx.scope_ndn = ldap::NormalizeDn(scope.dn);
    ctx.user_base = ctx.group_scope ? ctx.info.root : config_.user_search_dn;
    const bool ad = ctx.info.kind == ServerKind::kActiveDirectory;
    std::vector<std::string> attrs = {"cn"};
    if (ad) {
      attrs.push_back("member;range=0-" + std::to_string(RangeStep() - 1));
    } else {
      attrs.insert(attrs.end(), {"member", "uniqueMember", "entryCSN"});
    }
    OpError inner;
    e = Search(conn, ctx.info.root, LDAP_SCOPE_SUBTREE, GroupFilter(ctx.info.kind), attrs,
               PageSize(config_), [&](Entry&& group) {
                 if (inner.code != 0) return;
                 inner = CompleteRanges(conn, group);
                 ctx.newest_timestamp =
                     ldap::LaterTimestamp(ctx.newest_timestamp, group.First("entryCSN"));
                 ctx.catalog.Add(group);
               });
    if (e.code == 0) e = inner;
    if (e.code != 0) return e;
    if (ctx.group_scope && !ad) ctx.scope_members = ctx.catalog.MembersOf(ctx.scope_ndn);
    if (!config_.department_search_dn.empty()) {
      e = Search(conn, config_.department_search_dn, LDAP_SCOPE_ONELEVEL,
                 "(|(objectClass=organizationalUnit)" + GroupFilter(ctx.info.kind) + ")",
                 {"objectClass", "ou", "cn"}, PageSize(config_), [&](Entry&& d) {
                   Department dept;
                   dept.ndn = ldap::NormalizeDn(d.dn);
                   dept.is_ou = !IsGroupEntry(d);
                   dept.name = dept.is_ou ? d.First("ou") : d.First("cn");
                   if (dept.name.empty()) dept.name = file_formats::FirstRdnValue(d.dn);
                   ctx.departments.push_back(std::move(dept));
                 });
      if (e.code == LDAP_NO_SUCH_OBJECT) {
        e.message = "department search DN not found: " + config_.department_search_dn;
      }
      if (e.code != 0) return e;
      std::sort(ctx.departments.begin(), ctx.departments.end(),
                [](const Department& a, const Department& b) { return a.name < b.name; });
    }
    return {};
  }

  int RangeStep() const { return std::min(PageSize(config_), kMaxRangeStep); }

  // The attributes asked for users: the mapped ones, the id, userAccountControl.
  std::vector<std::string> UserAttributes(const ReadRequest& request, ServerKind kind) const {
    std::vector<std::string> attrs;
    if (request.attributes.empty()) {
      attrs.push_back("*");
    } else {
      for (const auto& a : request.attributes) {
        if (a == "dn" || a == "department") continue;
        attrs.push_back(a);
      }
      if (!config_.department_search_dn.empty()) {
        // The department comes from the department search DN, not from the entry.
      } else if (std::find(request.attributes.begin(), request.attributes.end(), "department") !=
                 request.attributes.end()) {
        attrs.push_back("department");
      }
    }
    if (kind == ServerKind::kActiveDirectory) {
      attrs.insert(attrs.end(), {"objectGUID", "userAccountControl"});
    } else {
      attrs.insert(attrs.end(), {"entryUUID", "entryCSN", "userAccountControl"});
    }
    return attrs;
  }

  // Turns an entry into a SourceObject; "" id = a bad record (reported by the caller).
  SourceObject ToObject(Entry&& entry, const ReadRequest& request, const ReadContext& ctx) const {
    SourceObject user;
    const bool want_all = request.attributes.empty();
    auto wanted = [&](const std::string& name) {
      if (want_all) return true;
      for (const auto& a : request.attributes) {
        if (EqualsNoCase(a, name)) return true;
      }
      return false;
    };
    if (want_all || wanted("dn") || wanted("distinguishedName")) user.Add("dn", entry.dn);
    for (auto& [name, values] : entry.attributes) {
      if (EqualsNoCase(name, "objectGUID")) {
        if (!values.empty()) {
          auto guid = file_formats::GuidFromBytes(values.front());
          if (guid) user.id = *guid;
        }
        if (wanted(name) && !user.id.empty()) user.Add(name, user.id);
        continue;
      }
      if (EqualsNoCase(name, "entryUUID")) {
        if (user.id.empty() && !values.empty()) user.id = CanonicalSourceId(values.front());
        if (wanted(name) && !values.empty()) user.Add(name, values.front());
        continue;
      }
      if (EqualsNoCase(name, "userAccountControl") && !values.empty()) {
        char* stop = nullptr;
        const long long uac = std::strtoll(values.front().c_str(), &stop, 10);
        if (stop != values.front().c_str() && (uac & 0x2) != 0) user.enabled = false;
      }
      if (EqualsNoCase(name, "department") && !config_.department_search_dn.empty()) continue;
      if (!wanted(name)) continue;  // asked only for the id, the state or the watermark
      for (auto& v : values) {
        if (!ldap::IsValidUtf8(v)) continue;  // photos, SIDs: not text
        user.Add(name, std::move(v));
      }
    }
    const std::string ndn = ldap::NormalizeDn(entry.dn);
    const std::vector<std::string> group_dns = ctx.catalog.GroupsOf(ndn);
    std::set<std::string> names;
    for (const auto& g : group_dns) {
      if (const auto* group = ctx.catalog.Find(g)) names.insert(group->name);
    }
    user.groups.assign(names.begin(), names.end());
    if (!config_.department_search_dn.empty()) {
      std::unordered_set<std::string> in(group_dns.begin(), group_dns.end());
      for (const auto& d : ctx.departments) {
        if (d.is_ou ? ldap::IsAtOrBelow(ndn, d.ndn) : in.count(d.ndn) != 0) {
          user.Add("department", d.name);
          break;
        }
      }
    }
    return user;
  }

  // `explain`: notes why the entry of a full read is in the scope or out of it, from the
  // decisions the read makes (the search base, the server's filter, the group scope).
  void NoteScope(const SourceObject& user, const std::string& ndn, bool in, const ReadContext& ctx,
                 ScopeTrace& trace) const {
    const bool ad = ctx.info.kind == ServerKind::kActiveDirectory;
    if (!ctx.group_scope) {
      trace.Note(user, {"search base", "in", "below source.user_search_dn " + ctx.user_base});
    }
    if (!config_.ldap_filter.empty()) {
      trace.Note(user,
                 {"filter", "in",
                  "matched source.filter " + config_.ldap_filter + " (evaluated by the server)"});
    }
    if (!ctx.group_scope) return;
    const std::string group = "scope group \"" + ctx.scope_dn + "\" (source.user_search_dn)";
    if (!in) {
      trace.Note(user, {"group", "out",
                        "not a member of " + group +
                            ", directly or through nested groups: read with the directory and "
                            "left out"});
      return;
    }
    const std::vector<std::string> path = ctx.catalog.PathTo(ndn, ctx.scope_ndn);
    std::string detail = "member of " + group;
    if (path.size() == 1) {
      detail += ": a direct member";
    } else if (path.empty()) {
      detail += " through nested groups (no chain found in the groups read)";
    } else {
      detail += " through nested groups: user";
      for (const auto& name : path) detail += " -> \"" + name + "\"";
    }
    if (ad) detail += " (LDAP_MATCHING_RULE_IN_CHAIN, evaluated by the server)";
    trace.Note(user, {"group", "in", detail});
  }

  // `explain --fresh` (ReadOne): notes why the entry found by its id is not in the scope,
  // when the server's user filter of a full read does not return it. Each part of that
  // filter is asked of the server on the entry alone, so the note names the part that
  // leaves it out. Returns the failure of a server request, or code 0.
  OpError NoteServerOut(Connection& conn, const SourceObject& user, const std::string& dn,
                        const ReadContext& ctx, ScopeTrace& trace) const {
    const bool ad = ctx.info.kind == ServerKind::kActiveDirectory;
    bool noted = false;
    auto matches = [&](const std::string& filter, bool& out) {
      Entry found;
      OpError e = ReadBase(conn, dn, filter, {"1.1"}, found);
      out = !found.dn.empty();
      return e;
    };
    bool ok = false;
    ldap::UserFilterParts kind_only;
    kind_only.kind = ctx.info.kind;
    OpError e = matches(ldap::BuildUserFilter(kind_only), ok);
    if (e.code != 0) return e;
    if (!ok) {
      trace.Note(user,
                 {"object class", "out",
                  std::string("not a user entry: it does not match ") +
                      (ad ? "(objectCategory=person)(objectClass=user)" : "(objectClass=person)")});
      noted = true;
    }
    if (ctx.group_scope && ad) {
      ldap::UserFilterParts in_chain = kind_only;
      in_chain.in_chain_group_dn = ctx.scope_dn;
      e = matches(ldap::BuildUserFilter(in_chain), ok);
      if (e.code != 0) return e;
      if (!ok) {
        trace.Note(user, {"group", "out",
                          "not a member of scope group \"" + ctx.scope_dn +
                              "\" (source.user_search_dn), directly or through nested groups "
                              "(LDAP_MATCHING_RULE_IN_CHAIN, evaluated by the server)"});
        noted = true;
      }
    }
    if (!config_.ldap_filter.empty()) {
      e = matches(config_.ldap_filter, ok);
      if (e.code != 0) return e;
      if (!ok) {
        trace.Note(user, {"filter", "out",
                          "left out by the source filter: does not match source.filter " +
                              config_.ldap_filter + " (evaluated by the server)"});
        noted = true;
      }
    }
    if (!noted) {
      trace.Note(user, {"filter", "out",
                        "does not match the user filter of a read " + UserFilter(ctx, "") +
                            " (evaluated by the server)"});
    }
    return {};
  }

  // True when the (normalised) user DN is in the configured scope, as far as the client
  // checks it (group scope on non-AD servers; the server filter does the rest).
  static bool InClientScope(const std::string& ndn, const ReadContext& ctx) {
    if (!ctx.group_scope || ctx.info.kind == ServerKind::kActiveDirectory) return true;
    return ctx.scope_members.count(ndn) != 0;
  }

  std::string UserFilter(const ReadContext& ctx, const std::string& changed_since) const {
    ldap::UserFilterParts parts;
    parts.kind = ctx.info.kind;
    if (ctx.group_scope && ctx.info.kind == ServerKind::kActiveDirectory) {
      parts.in_chain_group_dn = ctx.scope_dn;
    }
    parts.extra = config_.ldap_filter;
    parts.changed_since = changed_since;
    return ldap::BuildUserFilter(parts);
  }

 private:
  const LdapSourceConfig& config_;
};

std::string UsersWord(size_t n) { return std::to_string(n) + (n == 1 ? " user" : " users"); }

}  // namespace

LdapSource::LdapSource(LdapSourceConfig config) : config_(std::move(config)) {}

std::string LdapSource::Describe() const {
  std::string out = "ldap:";
  for (size_t i = 0; i < config_.urls.size(); ++i) out += (i ? "," : "") + config_.urls[i];
  return out;
}

ConnectionReport LdapSource::TestConnection() {
  ConnectionReport report;
  Reader reader(config_);
  auto conn = reader.Connect();
  if (!conn.ok()) {
    report.message = conn.error().message;
    return report;
  }
  Connection& c = **conn;
  ReadContext ctx;
  OpError e = reader.Prepare(c, ctx);
  if (e.code != 0) {
    report.message = e.message;
    return report;
  }
  const std::string filter = reader.UserFilter(ctx, "");
  std::vector<Entry> sample;
  size_t seen = 0;
  // A sample, not a count: a full read of a large directory is not a connection test. The
  // search is paged like a read, so it also proves that paging works.
  OpError s = Search(c, ctx.user_base, LDAP_SCOPE_SUBTREE, filter, {"*"}, 50, [&](Entry&& u) {
    ++seen;
    if (sample.size() < 5 && Reader::InClientScope(ldap::NormalizeDn(u.dn), ctx)) {
      sample.push_back(std::move(u));
    }
  });
  if (s.code != 0) {
    report.message = s.message;
    return report;
  }
  std::set<std::string> names;
  for (const auto& u : sample) {
    for (const auto& [name, values] : u.attributes) names.insert(name);
    std::string display = u.First("displayName");
    if (display.empty()) display = u.First("cn");
    const std::string mail = u.First("mail");
    report.sample.push_back(display + (mail.empty() ? "" : " <" + mail + ">"));
  }
  report.attributes.assign(names.begin(), names.end());
  report.ok = true;
  report.message =
      "connected to " + c.url() + " (" +
      (ctx.info.kind == ServerKind::kActiveDirectory ? "Active Directory" : "LDAP directory") +
      "); user search DN is " + (ctx.group_scope ? "a group" : "an OU") + "; " + UsersWord(seen) +
      " readable" +
      (ctx.departments.empty() ? ""
                               : "; " + std::to_string(ctx.departments.size()) + " departments");
  if (sample.empty()) report.message += " (no user matches: check the scope and source.filter)";
  return report;
}

ReadResult LdapSource::ReadOne(const ReadRequest& request, const std::string& id,
                               const ObjectSink& sink, const ProblemSink& on_problem) {
  ReadResult result;
  Reader reader(config_);
  auto conn = reader.Connect();
  if (!conn.ok()) {
    result.error = conn.error();
    return result;
  }
  Connection& c = **conn;
  // The scope as a full read sees it now: the groups (nested ones followed), the scope
  // group's members and the departments are read again, as a full read reads them.
  ReadContext ctx;
  OpError e = reader.Prepare(c, ctx);
  if (e.code != 0) {
    result.error = ReadError(e, e.message);
    return result;
  }
  ScopeTrace* trace = request.scope_trace;
  auto gone = [&]() -> ReadResult { return SendGone(result, id, sink); };
  const bool ad = ctx.info.kind == ServerKind::kActiveDirectory;
  const std::string id_attr = ad ? "objectGUID" : "entryUUID";
  const std::optional<std::string> id_filter = ldap::IdFilter(ctx.info.kind, id);
  auto note_gone = [&](const std::string& detail) {
    if (trace == nullptr) return;
    SourceObject probe;
    probe.id = id;
    if (trace->Traces(probe)) trace->Note(probe, {"source", "out", detail});
  };
  if (!id_filter) {
    note_gone("\"" + id + "\" is not an " + id_attr + ": no entry of " + Describe() +
              " can have it");
    return gone();
  }
  // Where the entry is now, wherever it is in the naming context (it may have moved out of
  // the search DN), with the attributes a read asks for.
  const std::vector<std::string> attrs = reader.UserAttributes(request, ctx.info.kind);
  Entry found;
  size_t matches = 0;
  e = Search(c, ctx.info.root, LDAP_SCOPE_SUBTREE, *id_filter, attrs, 0, [&](Entry&& entry) {
    if (++matches == 1) found = std::move(entry);
  });
  if (e.code != 0) {
    result.error = ReadError(e, e.message);
    return result;
  }
  if (found.dn.empty()) {
    note_gone("no entry with " + id_attr + " " + id + " below " + ctx.info.root + " on " + c.url() +
              ": deleted from the directory (or not readable by the service account)");
    return gone();
  }
  const std::string dn = found.dn;
  const std::string ndn = ldap::NormalizeDn(dn);
  Entry copy = found;
  const SourceObject probe = reader.ToObject(std::move(copy), request, ctx);
  const bool traced = trace != nullptr && trace->Traces(probe);
  // The scope, decided as a full read decides it: below the search base, returned by the
  // server for the read's user filter, then the client's group check (non-AD group scope).
  if (!ldap::IsAtOrBelow(ndn, ctx.user_base)) {
    if (traced) {
      trace->Note(probe,
                  {"search base", "out",
                   "not below source.user_search_dn " + ctx.user_base + ": the entry is " + dn});
    }
    return gone();
  }
  Entry in_filter;
  e = ReadBase(c, dn, reader.UserFilter(ctx, ""), attrs, in_filter);
  if (e.code == LDAP_NO_SUCH_OBJECT) e = {};  // deleted between the two requests
  if (e.code != 0) {
    result.error = ReadError(e, e.message);
    return result;
  }
  if (in_filter.dn.empty()) {
    if (traced) {
      e = reader.NoteServerOut(c, probe, dn, ctx, *trace);
      if (e.code != 0) {
        result.error = ReadError(e, e.message);
        return result;
      }
    }
    return gone();
  }
  const bool in = !(ctx.group_scope && !ad) || Reader::InClientScope(ndn, ctx);
  if (traced) reader.NoteScope(probe, ndn, in, ctx, *trace);
  if (!in) return gone();
  SourceObject user = reader.ToObject(std::move(in_filter), request, ctx);
  if (user.id.empty()) {
    ++result.bad_records;
    if (on_problem) on_problem(dn, ad ? "no objectGUID" : "no entryUUID");
    result.complete = true;
    return result;
  }
  ++result.objects;
  sink(std::move(user));
  result.complete = true;
  return result;
}

ReadResult LdapSource::Read(const ReadRequest& request, const ObjectSink& sink,
                            const ProblemSink& on_problem) {
  ReadResult result;
  Reader reader(config_);
  std::optional<ldap::Cursor> cursor;
  if (!request.cursor.empty()) {
    cursor = ldap::DecodeCursor(request.cursor);
    if (cursor &&
        std::find(config_.urls.begin(), config_.urls.end(), cursor->url) == config_.urls.end()) {
      cursor.reset();  // the server is no longer configured: read in full
    }
  }
  std::unique_ptr<Connection> conn;
  if (cursor) {
    // Stay on the server the watermark belongs to (USNs are per server).
    auto same = reader.Connect(cursor->url);
    if (same.ok()) {
      conn = std::move(*same);
    } else {
      cursor.reset();
    }
  }
  if (!conn) {
    auto any = reader.Connect();
    if (!any.ok()) {
      result.error = any.error();
      return result;
    }
    conn = std::move(*any);
  }
  ReadContext ctx;
  OpError e = reader.Prepare(*conn, ctx);
  if (e.code != 0) {
    result.error = ReadError(e, e.message);
    return result;
  }
  const bool ad = ctx.info.kind == ServerKind::kActiveDirectory;
  if (cursor &&
      (cursor->kind != ctx.info.kind || (ad && (cursor->invocation_id != ctx.info.invocation_id ||
                                                cursor->usn > ctx.info.highest_usn)))) {
    cursor.reset();  // a restored or different database: the watermark means nothing here
  }
  const std::vector<std::string> attrs = reader.UserAttributes(request, ctx.info.kind);
  const int page_size = PageSize(config_);
  std::string newest = ctx.newest_timestamp;
  if (cursor) newest = ldap::LaterTimestamp(newest, cursor->timestamp);

  auto emit = [&](Entry&& entry) {
    newest = ldap::LaterTimestamp(newest, entry.First("entryCSN"));
    const std::string dn = entry.dn;
    SourceObject user = reader.ToObject(std::move(entry), request, ctx);
    if (user.id.empty()) {
      ++result.bad_records;
      if (on_problem) on_problem(dn, ad ? "no objectGUID" : "no entryUUID");
      return;
    }
    ++result.objects;
    sink(std::move(user));
  };

  if (cursor) {
    const std::string since = ad ? std::to_string(cursor->usn + 1) : cursor->timestamp;
    const std::string changed_clause = ldap::ChangedClause(ctx.info.kind, since);
    // A change to the scope group (or a group nested in it) or to a department group can
    // take users out: only a full read knows whom, so such a delta becomes a full read.
    std::unordered_set<std::string> scope_groups;
    if (ctx.group_scope) scope_groups = ctx.catalog.NestedGroups(ctx.scope_ndn);
    for (const auto& d : ctx.departments) {
      if (!d.is_ou) {
        auto nested = ctx.catalog.NestedGroups(d.ndn);
        scope_groups.insert(nested.begin(), nested.end());
      }
    }
    std::vector<std::string> changed_groups;
    bool needs_full = false;
    e = Search(*conn, ctx.info.root, LDAP_SCOPE_SUBTREE,
               "(&" + GroupFilter(ctx.info.kind) + changed_clause + ")", {"cn"}, page_size,
               [&](Entry&& g) {
                 const std::string ndn = ldap::NormalizeDn(g.dn);
                 if (scope_groups.count(ndn) != 0) needs_full = true;
                 changed_groups.push_back(ndn);
               });
    if (e.code != 0) {
      result.error = ReadError(e, e.message);
      return result;
    }
    if (!needs_full) {
      result.delta = true;
      std::unordered_set<std::string> sent;  // normalised DNs already handed over
      const std::string filter = reader.UserFilter(ctx, since);
      e = Search(*conn, ctx.user_base, LDAP_SCOPE_SUBTREE, filter, attrs, page_size,
                 [&](Entry&& u) {
                   const std::string ndn = ldap::NormalizeDn(u.dn);
                   if (!Reader::InClientScope(ndn, ctx)) return;
                   sent.insert(ndn);
                   emit(std::move(u));
                 });
      // Changed users that no longer match the scope (moved, filtered out) left it.
      const std::string id_attr = ad ? "objectGUID" : "entryUUID";
      ldap::UserFilterParts any_user;
      any_user.kind = ctx.info.kind;
      any_user.changed_since = since;
      if (e.code == 0) {
        e = Search(*conn, ctx.info.root, LDAP_SCOPE_SUBTREE, ldap::BuildUserFilter(any_user),
                   {id_attr, "entryCSN"}, page_size, [&](Entry&& u) {
                     const std::string ndn = ldap::NormalizeDn(u.dn);
                     if (sent.count(ndn) != 0) return;
                     newest = ldap::LaterTimestamp(newest, u.First("entryCSN"));
                     SourceObject gone;
                     std::string id = u.First(id_attr);
                     if (ad) id = file_formats::GuidFromBytes(id).value_or("");
                     if (id.empty()) return;
                     gone.id = CanonicalSourceId(id);
                     gone.deleted = true;
                     sent.insert(ndn);
                     ++result.objects;
                     sink(std::move(gone));
                   });
      }
      // Members of changed groups: their group lists changed though their entries did not.
      for (const auto& g : changed_groups) {
        if (e.code != 0) break;
        for (const auto& member : ctx.catalog.MembersOf(g)) {
          if (sent.count(member) != 0 || !Reader::InClientScope(member, ctx)) continue;
          if (!ldap::IsAtOrBelow(member, ctx.user_base)) continue;
          Entry u;
          e = ReadBase(*conn, member, reader.UserFilter(ctx, ""), attrs, u);
          if (e.code == LDAP_NO_SUCH_OBJECT) e = {};
          if (e.code != 0) break;
          sent.insert(member);
          if (!u.dn.empty()) emit(std::move(u));
        }
      }
      // AD keeps deleted users as tombstones for a while: the show-deleted control finds
      // those deleted since the watermark.
      if (e.code == 0 && ad) {
        char show_deleted_oid[] = "1.2.840.113556.1.4.417";
        LDAPControl show_deleted{show_deleted_oid, {0, nullptr}, 1};
        e = Search(*conn, ctx.info.root, LDAP_SCOPE_SUBTREE,
                   "(&(isDeleted=TRUE)(objectClass=user)" + changed_clause + ")", {"objectGUID"},
                   page_size,
                   [&](Entry&& u) {
                     auto id = file_formats::GuidFromBytes(u.First("objectGUID"));
                     if (!id) return;
                     SourceObject gone;
                     gone.id = *id;
                     gone.deleted = true;
                     ++result.objects;
                     sink(std::move(gone));
                   },
                   {&show_deleted});
      }
      if (e.code != 0) {
        result.error = ReadError(e, e.message);
        return result;
      }
      ldap::Cursor next;
      next.kind = ctx.info.kind;
      next.url = conn->url();
      next.invocation_id = ctx.info.invocation_id;
      next.usn = ctx.info.highest_usn;
      next.timestamp = newest;
      result.cursor = ad || !newest.empty() ? ldap::EncodeCursor(next) : "";
      result.complete = true;
      return result;
    }
  }

  // A full read.
  e = Search(*conn, ctx.user_base, LDAP_SCOPE_SUBTREE, reader.UserFilter(ctx, ""), attrs, page_size,
             [&](Entry&& u) {
               const bool client_scope = ctx.group_scope && !ad;  // else the filter decides
               const std::string ndn = ldap::NormalizeDn(u.dn);
               const bool in = !client_scope || Reader::InClientScope(ndn, ctx);
               if (request.scope_trace != nullptr) {
                 Entry copy = u;  // `explain` only: is this the user it asks about?
                 const SourceObject probe = reader.ToObject(std::move(copy), request, ctx);
                 if (request.scope_trace->Traces(probe)) {
                   reader.NoteScope(probe, ndn, in, ctx, *request.scope_trace);
                 }
               }
               if (!in) return;
               emit(std::move(u));
             });
  if (e.code != 0) {
    result.error = ReadError(e, e.message + " (after " + UsersWord(result.objects) + ")");
    return result;
  }
  ldap::Cursor next;
  next.kind = ctx.info.kind;
  next.url = conn->url();
  next.invocation_id = ctx.info.invocation_id;
  next.usn = ctx.info.highest_usn;
  next.timestamp = newest;
  if (!ad || !next.invocation_id.empty()) {
    result.cursor = ad || !newest.empty() ? ldap::EncodeCursor(next) : "";
  }
  result.complete = true;
  return result;
}

}  // namespace telsync
