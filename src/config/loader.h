// Loading and checking telsync's YAML configuration (DESIGN §4, docs/configuration.md).
//
// A config is one YAML file or a directory of *.yaml / *.yml files, read in name order
// and merged (tenants with the same name merge their profiles). Every key is validated;
// CheckConfig reports every problem found, each with file, 1-based line and column, the
// field path ("tenants[0].profiles[1].policy.mode") and the reason in an admin's words.
// One problem never hides another: a tenant or profile with a bad name, or a profile whose
// source is wrong, still has every other key checked. A YAML syntax error is one problem
// per file, at the start of what was left unclosed (a quote, '[' or '{') when that is the
// cause, else where the parser stopped.
//
// Secrets: any string value may be `${env:NAME}` or `${file:path}` (a relative path
// resolves against the config file's directory; one trailing newline is stripped). A
// secret's value never appears in a problem, an Error or Secret::Masked().
//
// Mapping expressions are checked by a pluggable MappingChecker (the CLI passes one that
// calls UserMapping::Compile) so this module does not depend on mapping/.
//
// Thread-safe: no shared state. Never throws.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/profile.h"
#include "util/result.h"

namespace telsync {

struct ConfigProblem {
  std::string file;
  int line = 0;            // 1-based; 0 when unknown
  int column = 0;          // 1-based; 0 when unknown
  std::string field_path;  // "tenants[0].profiles[1].policy.mode"; empty for the whole file
  std::string reason;      // "must be one of paused, full, new_only, review (got \"fulll\")"

  // "file:line:col: field_path: reason" (parts that are unknown are left out).
  std::string ToString() const;
};

// Checks a profile's mapping (PBX field -> expression) for a source type ("file",
// "graph", ...; "" when the source itself has a problem, so no defaults apply). Returns ""
// when valid, else the reason, ideally starting with "mapping.<key>: " so the problem can
// point at that key's line. CheckConfig calls it with the whole mapping and, when that
// fails, with each key alone, so that every bad expression is reported.
using MappingChecker = std::function<std::string(const std::map<std::string, std::string>&,
                                                 const std::string& source_type)>;

// Every problem in the config at `path` (file or directory); empty when it is valid.
std::vector<ConfigProblem> CheckConfig(const std::string& path, const MappingChecker& checker = {});

// A tenant or profile name: [a-z0-9][a-z0-9_-]* (what the config file accepts).
bool IsValidName(const std::string& name);

// The config at `path`. Errors: Invalid with every problem's ToString() joined by
// newlines as the message and the first problem's "file:line field_path" as context;
// NotFound when `path` does not exist.
Result<Config> LoadConfig(const std::string& path, const MappingChecker& checker = {});

// A profile sent over the REST API (issue 7): a YAML or JSON mapping with the keys of a
// profile in a config file (`name` and `source` required), read with the same checks.
// One more rule: it may name nothing on the server, neither files (a file source's path,
// ca_file, notify.templates_dir) nor `${env:...}` / `${file:...}` references, since a
// tenant's admin must not read the server's files or environment through telsync.
// Errors: Invalid with every problem as "field.path: reason" on its own line and the
// first problem's field path ("body.source.type") as context.
Result<Profile> LoadProfileDocument(const std::string& tenant, const std::string& document,
                                    const std::string& base_dir,
                                    const MappingChecker& checker = {});

// Exposed for tests and the CLI's suggestions: Levenshtein distance, and the closest of
// `candidates` to `word` within a small distance ("" when none is close).
size_t EditDistance(const std::string& a, const std::string& b);
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace telsync
