// Profiles stored over the REST API (/api/v1/tenants/{t}/profiles), issue 16 item 1: the
// rules of reading, creating, replacing and deleting one, as functions returning Result<T>.
// The REST handlers parse the request, call these and render (admin::ProfileJson).
//
// The rules:
//   - A config file profile is read-only here (kConflict): it is changed in the file.
//   - A patch (PATCH .../profiles/{profile}) is a JSON merge patch (RFC 7396) onto the stored
//     document: the keys it names are set, a null removes one, every other key stays as
//     stored (validation, templates, rules, policy switches the caller never saw).
//   - A replace names the stored version it replaces (If-Match: "\"3\"", or "" / "*" for
//     any): kPreconditionFailed when the stored one is at another version.
//   - Secrets are write-only (SPEC R4): a replace that leaves a secret out or sends it masked
//     ("********...") keeps the stored one; a create must send each secret itself. Secrets
//     are sealed with the catalog's key before they reach the store, never stored plain.
//   - A tenant has one SCIM profile (Entra pushes to one tenant URL): kConflict.
//   - The document must load as a profile (config/loader.h): kInvalid, field = the loader's
//     path ("source.type"), or "body".
//
// Errors name the request part at fault in Error::field ("body.name", "profile", "If-Match",
// "body.source.client_secret"); the store's errors keep their code.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/profile.h"
#include "schedule/catalog.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::admin {

// One profile as GET shows it.
struct ProfileView {
  std::shared_ptr<const Profile> profile;
  bool from_config = false;
  // A stored profile's version and last change; nullopt for a config profile (or when the
  // store cannot say).
  std::optional<int64_t> version;
  int64_t updated_at = 0;
  // A stored profile's whole document as stored (JSON text), its secrets masked: what a
  // replace sends back to keep every key. Empty for a config profile.
  std::string document;
};

// The profile `name` of `tenant`: kNotFound (field "profile") when the catalog has none. The
// caller holds the store's lock, if it has one.
Result<ProfileView> GetProfile(Store& store, const ProfileCatalog& catalog,
                               const std::string& tenant, const std::string& name);

// A create (POST .../profiles), a replace (PUT .../profiles/{profile}) or a patch (PATCH).
struct ProfileWrite {
  std::string tenant;
  bool create = false;
  std::string path_name;     // replace, patch: the profile named in the path
  std::string if_match;      // replace, patch: the If-Match header ("" = none)
  std::string body;          // the profile document (a patch: the patch), a JSON object
  bool merge_patch = false;  // the body is a merge patch onto the stored document
};

struct SavedProfile {
  std::shared_ptr<const Profile> profile;  // as loaded and now in the catalog
  int64_t version = 0;                     // the stored version
};

// Stores the profile of `write` (sealed), and puts it in the catalog. The rules are the
// header's.
Result<SavedProfile> PutProfile(Store& store, ProfileCatalog& catalog, const ProfileWrite& write,
                                int64_t now);

// Deletes stored profile `name` and takes it out of the catalog; its users stay in the
// directory. kConflict (field "profile") for a config profile; the store's error (field
// "profile", kNotFound when there is none). The caller holds the store's lock, if it has one.
Status DeleteProfile(Store& store, ProfileCatalog& catalog, const std::string& tenant,
                     const std::string& name);

}  // namespace telsync::admin
