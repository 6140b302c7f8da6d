#include "util/json_out.h"

#include <atomic>

#include "util/log.h"

namespace telsync {
namespace {

std::atomic<bool> g_warned{false};

template <typename J>
std::string Dump(const J& j, int indent) {
  try {
    return j.dump(indent);
  } catch (const typename J::type_error& e) {
    if (e.id != 316) throw;
  }
  if (!g_warned.exchange(true)) {
    Log(LogLevel::kWarn,
        "stored text is not valid UTF-8; the bad bytes are shown as U+FFFD (run a sync to "
        "rewrite the values from the source)");
  }
  return j.dump(indent, ' ', false, J::error_handler_t::replace);
}

}  // namespace

std::string DumpJson(const nlohmann::json& j, int indent) { return Dump(j, indent); }
std::string DumpJson(const nlohmann::ordered_json& j, int indent) { return Dump(j, indent); }

}  // namespace telsync
