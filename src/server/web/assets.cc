#include "server/web/assets.h"

#include <algorithm>

namespace telsync::web {

const Asset* FindAsset(std::string_view name) {
  const auto assets = Assets();
  auto it =
      std::find_if(assets.begin(), assets.end(), [name](const Asset& a) { return a.name == name; });
  return it == assets.end() ? nullptr : &*it;
}

}  // namespace telsync::web
