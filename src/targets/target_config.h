// A target's configuration (issue 17): declared per tenant, beside the profiles, under
// `tenants[].targets`. Owned by this module; config/loader.cc reads the YAML into it.
//
//   targets:
//     - name: sip                     # [a-z0-9][a-z0-9_-]*, unique in the tenant (required)
//       type: kamailio                # kamailio (required; the only type so far)
//       db: sqlite:///var/lib/kamailio/kamailio.db   # kamailio: Kamailio's database (required)
//                                     #   sqlite:///abs/path, a plain path (relative to the
//                                     #   config file), or postgres://user:pw@host:port/db
//       domain: sip.acme.example      # kamailio: the SIP domain of subscribers (required)
//       render: {phone: e164}         # e164 (default) | digits: how DID aliases are written
//       policy: {disabled_sip: block} # block (default) | keep: a disabled user's SIP account
//       rule: {field: city, values: [Stockholm, Uppsala]}   # only users whose field is one of
//                                     #   the values (case-insensitive); none = every user
//       retry: {dead_after: 86400, batch: 500}   # seconds an event is retried before it
//                                     #   becomes dead (default 1 day); events per delivery
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/target_route.h"
#include "phone/phone_settings.h"

namespace telsync {

enum class DisabledSip { kBlock, kKeep };

struct TargetConfig {
  std::string name;
  std::string type;    // "kamailio"
  std::string db;      // kamailio: as written, after ${env:}/${file:} resolution
  std::string domain;  // kamailio
  PhoneRender phone_render = PhoneRender::kE164;
  DisabledSip disabled_sip = DisabledSip::kBlock;
  TargetRule rule;
  int64_t dead_after_seconds = 86400;
  size_t batch_size = 500;
};

// The target types the loader accepts.
inline constexpr const char* kTargetTypes[] = {"kamailio"};

}  // namespace telsync

namespace telsync {

// The targets as a plan shows them (Plan::targets): name, type and rule.
inline std::vector<TargetRoute> RoutesOf(const std::vector<TargetConfig>& targets) {
  std::vector<TargetRoute> routes;
  for (const TargetConfig& t : targets) routes.push_back({t.name, t.type, t.rule});
  return routes;
}

}  // namespace telsync
