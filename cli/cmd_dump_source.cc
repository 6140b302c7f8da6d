// telsync dump-source: what the profile's source says, object by object, before any
// mapping: the raw material for writing a mapping (F6) and for checking a delta read.
//
// Prints one JSON line per object, then one summary line:
//   {"kind":"user","id":…,"enabled":…,"deleted":…,"groups":[…],"attributes":{name:[values]}}
//   {"complete":…,"delta":…,"cursor":…,"objects":…,"bad_records":…,"error":…}
// Exit 0 when the read was complete, 1 otherwise.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "mapping/user_mapping.h"
#include "sources/source.h"

namespace telsync::cli {

namespace {

nlohmann::json ObjectJson(const SourceObject& object) {
  nlohmann::json attributes = nlohmann::json::object();
  for (const auto& [name, values] : object.attributes) attributes[name] = values;
  return {{"kind", object.kind == ObjectKind::kUser ? "user" : "group"},
          {"id", object.id},
          {"enabled", object.enabled},
          {"deleted", object.deleted},
          {"groups", object.groups},
          {"attributes", std::move(attributes)}};
}

}  // namespace

void AddDumpSourceCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "dump-source", "print what the source returns, one JSON object per line (no mapping)");
  struct Options {
    std::string cursor;
    size_t limit = 0;
    bool mapped_only = false;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("--cursor", opts->cursor,
                  "read the changes since this cursor (a delta read); default: a full read");
  cmd->add_option("--limit", opts->limit, "print at most N objects (the read goes on)");
  cmd->add_flag("--mapped", opts->mapped_only,
                "request only the attributes the profile's mapping uses");
  cmd->callback([&ctx, opts]() {
    const Profile& profile = ctx.SelectProfile();
    auto source = MakeSource(profile.source, ctx.BaseDir());
    if (!source.ok()) throw Exit{kExitUsage, source.error().ToString()};
    ReadRequest request;
    request.cursor = opts->cursor;
    if (opts->mapped_only) {
      auto mapping = UserMapping::Compile(profile.mapping, profile.source.type());
      if (!mapping.ok()) throw Exit{kExitUsage, mapping.error().ToString()};
      request.attributes = mapping->Attributes();
    }
    size_t printed = 0;
    std::vector<std::string> problems;
    const ReadResult result = (*source)->Read(
        request,
        [&](SourceObject&& object) {
          if (opts->limit != 0 && printed >= opts->limit) return;
          ++printed;
          std::cout << ObjectJson(object).dump() << "\n";
        },
        [&](const std::string& where, const std::string& reason) {
          std::cerr << "telsync: " << where << ": " << reason << "\n";
        });
    const nlohmann::json summary = {
        {"complete", result.complete},       {"delta", result.delta},
        {"cursor", result.cursor},           {"objects", result.objects},
        {"bad_records", result.bad_records}, {"error", result.ErrorMessage()}};
    std::cout << summary.dump() << std::endl;
    if (!result.complete) throw Exit{kExitFailed, ""};
  });
}

}  // namespace telsync::cli
