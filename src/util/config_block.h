// ConfigBlock: one block of the YAML configuration (a profile's `source:`, ...), as the
// module that owns the block reads it. The module declares its config struct, its keys
// (name, documented default, meaning: ConfigKey) and a reader over a ConfigBlock; the
// config loader (config/loader.h) implements ConfigBlock over YAML, resolves `${env:}` /
// `${file:}`, checks the keys against the declaration and records each problem with the
// file, line, column and field path. So a module declares what it accepts once, and the
// loader, check-config and docs/configuration.md (checked by a test) follow it.
//
// Sub-paths: a `key` below is a key of the block ("tenant_id") or a dotted path below one
// ("provider_settings.user_filter.memberOf"); a problem is placed at the line of the
// path's first key when the block has it, else at the block's own line, and its field path
// is the block's path + "." + key.
//
// Every typed getter returns std::nullopt when the key is absent, and also, after
// recording a problem that names the key and the reason, when its value is wrong. None
// throws. Not thread-safe: one reader at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/secret.h"

namespace telsync {

// One key of a block, as docs/configuration.md lists it in the block's table.
struct ConfigKey {
  std::string_view name;           // "tenant_id"
  std::string_view default_value;  // as documented: "(required)", "`24`", "none"
  std::string_view meaning;        // one line for the docs check and --help texts
};

class ConfigBlock {
 public:
  virtual ~ConfigBlock() = default;

  // True when the block sets `key` (to anything, even an empty value).
  virtual bool Has(std::string_view key) const = 0;

  virtual std::optional<std::string> String(std::string_view key) = 0;
  // `${env:NAME}`, `${file:path}` or a literal; never empty; the value never reaches a
  // problem.
  virtual std::optional<Secret> SecretValue(std::string_view key) = 0;
  // One value or a list of values; absent is an empty list.
  virtual std::optional<std::vector<std::string>> StringList(std::string_view key) = 0;
  virtual std::optional<bool> Bool(std::string_view key) = 0;
  virtual std::optional<int64_t> Int(std::string_view key, int64_t min, int64_t max) = 0;
  // The index of the value in `names`.
  virtual std::optional<size_t> Enum(std::string_view key,
                                     const std::vector<std::string>& names) = 0;
  // A path of a file on the server: refused in a profile sent over the REST API. With
  // `resolve`, a relative path comes back resolved against the config file's directory;
  // without, as written (the caller resolves it later).
  virtual std::optional<std::string> ServerPath(std::string_view key, bool resolve) = 0;
  // `text` read as a secret reference or literal, found inside the value of `key` (a JSON
  // document in one YAML string): problems are placed at `key`.
  virtual std::optional<Secret> ResolveSecret(std::string_view key, const std::string& text) = 0;
  // Records a problem at `key` ("" = the block itself).
  virtual void Problem(std::string_view key, std::string reason) = 0;

  // "did you mean 'x'?" for a misspelt `word` among `known`, with a leading space; "" when
  // nothing is close.
  virtual std::string Suggest(const std::string& word,
                              const std::vector<std::string>& known) const = 0;
};

// The names of `keys`, in order.
std::vector<std::string> KeyNames(const std::vector<ConfigKey>& keys);

// `s` in double quotes with control characters escaped, as problems quote values.
std::string QuoteValue(const std::string& s);

}  // namespace telsync
