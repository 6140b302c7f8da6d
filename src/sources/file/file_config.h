// FileSourceConfig: the `source:` block of a profile with `type: file` (F4), declared
// here by the module that reads it. config/loader.h hands the block to ReadFileSourceConfig;
// docs/configuration.md documents Keys() (a test checks the two agree).
#pragma once

#include <string>
#include <vector>

#include "util/config_block.h"

namespace telsync {

struct FileSourceConfig {
  std::string path;    // source.path (required): as configured; MakeSource resolves it
  std::string format;  // source.format: json | csv | ldif; "" = by the path's extension

  static constexpr const char* kType = "file";
  // The block's keys besides `type`.
  static const std::vector<ConfigKey>& Keys();
};

// Reads a `type: file` block into `config`; every problem goes to `block`.
void ReadFileSourceConfig(ConfigBlock& block, FileSourceConfig& config);

}  // namespace telsync
