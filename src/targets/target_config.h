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
//     - name: hook
//       type: webhook                 # Standard Webhooks JSON POSTs (webhook/webhook_target.h)
//       url: https://ops.example/telsync          # webhook, scim: the endpoint (required)
//       secret: ${env:HOOK_SECRET}    # webhook: whsec_ + base64 of the key (required)
//       timeout: 30                   # webhook, scim: seconds per request (default 30)
//     - name: saas
//       type: scim                    # SCIM 2.0 client (scim/scim_target.h)
//       url: https://saas.example/scim/v2         # the service's base URL (required)
//       token: ${env:SAAS_TOKEN}      # scim: bearer token (required)
//       on_delete: delete             # delete (default) | deactivate (PATCH active=false)
//       mapping: {mobile: "phoneNumbers[type eq \"mobile\"].value"}   # PBX field -> SCIM
//                                     #   attribute path, over the defaults (scim_mapping.h)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/target_route.h"
#include "phone/phone_settings.h"
#include "util/secret.h"

namespace telsync {

enum class DisabledSip { kBlock, kKeep };
enum class ScimOnDelete { kDelete, kDeactivate };

struct TargetConfig {
  std::string name;
  std::string type;              // kTargetTypes
  std::string db;                // kamailio: as written, after ${env:}/${file:} resolution
  std::string domain;            // kamailio
  std::string url;               // webhook, scim
  Secret secret;                 // webhook: "whsec_" + base64 of the signing key
  Secret token;                  // scim: the bearer token
  int64_t timeout_seconds = 30;  // webhook, scim: per request
  ScimOnDelete on_delete = ScimOnDelete::kDelete;
  // scim: PBX field name -> SCIM attribute path, replacing the default for that field; an
  // empty path drops the field.
  std::vector<std::pair<std::string, std::string>> mapping;
  PhoneRender phone_render = PhoneRender::kE164;
  DisabledSip disabled_sip = DisabledSip::kBlock;
  TargetRule rule;
  int64_t dead_after_seconds = 86400;
  size_t batch_size = 500;
};

// The target types the loader accepts.
inline constexpr const char* kTargetTypes[] = {"kamailio", "webhook", "scim"};

}  // namespace telsync

namespace telsync {

// The targets as a plan shows them (Plan::targets): name, type and rule.
inline std::vector<TargetRoute> RoutesOf(const std::vector<TargetConfig>& targets) {
  std::vector<TargetRoute> routes;
  for (const TargetConfig& t : targets) routes.push_back({t.name, t.type, t.rule});
  return routes;
}

}  // namespace telsync
