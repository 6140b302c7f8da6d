// JSON for output paths (the CLI's -f json, the REST API's bodies): never fails on a
// string that is not UTF-8. Sources and the SCIM server store only valid text, but a
// store written by an older telsync may still hold raw bytes; an answer that dies on them
// (nlohmann's type_error 316) would hide every other user. Such bytes are written as
// U+FFFD, and the first time it happens in a process a warning is logged.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace telsync {

// j.dump(indent), with invalid UTF-8 replaced (see above).
std::string DumpJson(const nlohmann::json& j, int indent = -1);
std::string DumpJson(const nlohmann::ordered_json& j, int indent = -1);

}  // namespace telsync
