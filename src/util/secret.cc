#include "util/secret.h"

namespace telsync {

std::string Secret::Masked() const {
  if (value_.empty()) return "";
  // The origin says where to look without saying what is there; the value never leaves.
  if (origin_.empty() || origin_ == "literal") return "********";
  return "******** (from " + origin_ + ")";
}

}  // namespace telsync
