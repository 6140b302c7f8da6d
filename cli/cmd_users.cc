// telsync users list | show NAME | unlink NAME: the PBX directory (F18 de-sync, F23).
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "admin/users.h"
#include "admin/views.h"
#include "cli/context.h"
#include "util/json_out.h"
#include "util/text.h"

namespace telsync::cli {
namespace {

// "" when the page is the whole directory, else "showing 100 of 270 (use --limit / --offset)",
// with the range when the page does not start at the first user.
std::string TruncationNote(size_t shown, size_t offset, size_t total) {
  if (offset == 0 && shown >= total) return "";
  std::string note = "showing " + std::to_string(shown);
  if (offset > 0 && shown > 0) {
    note += " (" + std::to_string(offset + 1) + "-" + std::to_string(offset + shown) + ")";
  }
  return note + " of " + std::to_string(total) + " (use --limit / --offset)";
}

// The user, or exit: 2 with "no user NAME in tenant T" when there is none, 1 for the store.
[[noreturn]] void UserExit(const Error& e, const std::string& tenant, const std::string& name) {
  if (e.code == ErrorCode::kNotFound && e.field == "name")
    throw Exit{kExitUsage, "no user " + name + " in tenant " + tenant};
  throw Exit{kExitFailed, e.ToString()};
}

PbxUser FindOrExit(Context& ctx, const std::string& tenant, const std::string& name) {
  auto found = admin::GetUser(ctx.OpenStore(), tenant, name);
  if (!found.ok()) UserExit(found.error(), tenant, name);
  return std::move(*found);
}

}  // namespace

void AddUsersCommand(CLI::App& app, Context& ctx) {
  auto* users = app.add_subcommand("users", "the PBX directory's users");
  users->require_subcommand(1);

  static size_t limit = 100;
  static size_t offset = 0;
  static std::string format = "table";
  auto* list = users->add_subcommand("list", "list users");
  list->add_option("--limit", limit, "at most this many (default 100)");
  list->add_option("--offset", offset, "skip this many");
  list->add_option("-f,--format", format, "table | json")->check(CLI::IsMember({"table", "json"}));
  list->callback([&ctx]() {
    const std::string tenant = ctx.SelectTenant();
    auto page = admin::ListUsers(ctx.OpenStore(), tenant, limit, offset);
    if (!page.ok()) throw Exit{kExitFailed, page.error().ToString()};
    const std::vector<PbxUser>* listed = &page->users;
    // A page that is not the whole directory says so ("showing 100 of 270"); the JSON
    // document stays the plain array scripts read, so the note goes to stderr there.
    std::string truncated;
    if (page->total) truncated = TruncationNote(listed->size(), offset, *page->total);
    if (format == "json") {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const auto& u : *listed) arr.push_back(admin::UserJson(u));
      std::cout << DumpJson(arr, 2) << "\n";
      if (!truncated.empty()) std::cerr << truncated << "\n";
      return;
    }
    std::cout << PadRight("USERNAME", 22) << PadRight("NAME", 28) << PadRight("EXT", 7)
              << PadRight("LANDLINE", 15) << PadRight("MOBILE", 15) << PadRight("DEPARTMENT", 16)
              << "STATE\n";
    for (const auto& u : *listed) {
      std::string state = u.state == UserState::kPendingDelete ? "pending delete"
                          : !u.searchable                      ? "not searchable"
                          : u.source_key.empty()               ? "manual"
                                                               : "synced";
      std::cout << PadRight(u.fields.Get(Field::kUsername), 22)
                << PadRight(u.fields.Get(Field::kDisplayName), 28)
                << PadRight(u.fields.Get(Field::kExtension), 7)
                << PadRight(u.fields.Get(Field::kLandline), 15)
                << PadRight(u.fields.Get(Field::kMobile), 15)
                << PadRight(u.fields.Get(Field::kDepartment), 16) << state << "\n";
    }
    if (!truncated.empty()) std::cout << truncated << "\n";
  });

  static std::string show_name;
  auto* show = users->add_subcommand("show", "one user, every field (JSON)");
  show->add_option("name", show_name, "username or e-mail")->required();
  show->callback([&ctx]() {
    const PbxUser u = FindOrExit(ctx, ctx.SelectTenant(), show_name);
    std::cout << DumpJson(admin::UserJson(u), 2) << "\n";
  });

  static std::string unlink_name;
  auto* unlink = users->add_subcommand(
      "unlink", "de-sync a user: no sync changes or deletes it until it is adopted again");
  unlink->add_option("name", unlink_name, "username or e-mail")->required();
  unlink->callback([&ctx]() {
    const std::string tenant = ctx.SelectTenant();
    auto unlinked = admin::UnlinkUser(ctx.OpenStore(), tenant, unlink_name);
    if (!unlinked.ok()) UserExit(unlinked.error(), tenant, unlink_name);
    const PbxUser& u = *unlinked;
    std::cout << "unlinked " << u.fields.Get(Field::kUsername) << " (was "
              << (u.source_key.empty() ? "not linked" : "linked to " + u.source_key) << ")\n";
  });

  // The exclusion group of F11 ("Non AD sync" unless the profile names another): a user
  // in it is never changed or deleted by a sync of that profile.
  static std::string group_name;
  auto set_exclusion = [&ctx](bool exclude) {
    const std::string tenant = ctx.SelectTenant();
    std::string group = "Non AD sync";
    for (const auto& t : ctx.LoadConfig().tenants) {
      if (t.name != tenant) continue;
      for (const auto& p : t.profiles) {
        const bool picked = ctx.profile_name.find('/') == std::string::npos ||
                            ctx.profile_name == t.name + "/" + p.name;
        if (picked) {
          group = p.policy.exclusion_group;
          break;
        }
      }
    }
    const PbxUser u = FindOrExit(ctx, tenant, group_name);
    if (auto s = admin::SetExcluded(ctx.OpenStore(), tenant, group_name, group, exclude); !s.ok()) {
      throw Exit{kExitFailed, s.error().ToString()};
    }
    std::cout << u.fields.Get(Field::kUsername) << (exclude ? " is now in" : " is no longer in")
              << " group \"" << group << "\""
              << (exclude ? ": syncs leave it alone\n" : ": syncs manage it again\n");
  };
  auto* exclude = users->add_subcommand(
      "exclude", "put a user in the exclusion group (\"Non AD sync\"): syncs leave it alone");
  exclude->add_option("name", group_name, "username or e-mail")->required();
  exclude->callback([set_exclusion]() { set_exclusion(true); });
  auto* include = users->add_subcommand("include", "take a user out of the exclusion group");
  include->add_option("name", group_name, "username or e-mail")->required();
  include->callback([set_exclusion]() { set_exclusion(false); });
}

}  // namespace telsync::cli
