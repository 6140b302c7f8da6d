#include "admin/profiles.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "secrets/profile_secrets.h"
#include "util/log.h"

namespace telsync::admin {
namespace {

using Json = nlohmann::ordered_json;

bool IsMasked(const Json& v) {
  return v.is_string() && v.get<std::string>().rfind("********", 0) == 0;
}

// The body as a JSON object, and the profile's name: the body's on a create, the path's on a
// replace (which may not rename it).
Result<std::pair<Json, std::string>> ReadBody(const ProfileWrite& write) {
  Json body = Json::parse(write.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return Error::Invalid("the body must be a JSON object: the profile").WithField("body");
  if (write.create) {
    if (!body.contains("name") || !body["name"].is_string())
      return Error::Invalid("required: the profile's name").WithField("body.name");
    std::string name = body["name"].get<std::string>();
    return std::make_pair(std::move(body), std::move(name));
  }
  if (body.contains("name") && body["name"] != write.path_name)
    return Error::Invalid("differs from the profile in the path; a profile cannot be renamed")
        .WithField("body.name");
  body["name"] = write.path_name;
  return std::make_pair(std::move(body), write.path_name);
}

// The stored profile a replace or a patch changes, after the If-Match check.
Result<StoredProfile> CheckVersion(Store& store, const ProfileWrite& write,
                                   const std::string& name) {
  Result<std::optional<StoredProfile>> stored = Error::Internal("");
  { stored = store.GetStoredProfile(write.tenant, name); }
  if (!stored.ok()) return stored.error();
  if (!stored->has_value())
    return Error::NotFound("no profile " + name.substr(0, 64)).WithField("profile");
  const int64_t version = (*stored)->version;
  if (!write.if_match.empty() && write.if_match != "*" &&
      write.if_match != "\"" + std::to_string(version) + "\"") {
    return Error{ErrorCode::kPreconditionFailed,
                 "the profile is at version " + std::to_string(version) +
                     "; read it again before changing it",
                 ""}
        .WithField("If-Match");
  }
  return std::move(**stored);
}

// The stored document with its secrets open (in memory only).
Result<Json> OpenStored(const StoredProfile& stored, const ProfileCatalog& catalog) {
  Result<std::string> opened =
      OpenProfileDocument(stored.document, stored.tenant, stored.name, catalog.secret_key());
  if (!opened.ok()) {
    Log(LogLevel::kError, "api: stored profile secrets do not open",
        {{"tenant", stored.tenant},
         {"profile", stored.name},
         {"reason", opened.error().ToString()}});
    return Error::Internal(
               "the stored profile's secrets cannot be opened with this server's key; see the "
               "server log")
        .WithField("profile");
  }
  Json old = Json::parse(*opened, nullptr, false);
  if (old.is_discarded() || !old.is_object())
    return Error::Internal("the stored profile is not a JSON document").WithField("profile");
  return old;
}

// A replace: the stored document's secrets fill those of `body` left out or sent masked.
// A patch: `body` becomes the stored document with the patch merged in (RFC 7396), a masked
// secret in the patch keeping the stored one. Returns the stored version.
Result<int64_t> MergeStored(Store& store, const ProfileCatalog& catalog, const ProfileWrite& write,
                            const std::string& name, Json& body) {
  Result<StoredProfile> stored = CheckVersion(store, write, name);
  if (!stored.ok()) return stored.error();
  Result<Json> old = OpenStored(*stored, catalog);
  if (!old.ok()) return old.error();
  for (const SecretField& field : kProfileSecretFields) {
    const std::string section(field.section);
    const std::string key(field.key);
    if (!body.contains(section) || !body[section].is_object()) continue;
    const bool masked = body[section].contains(key) && IsMasked(body[section][key]);
    if (write.merge_patch) {
      if (masked) body[section].erase(key);
    } else if (old->contains(section) && (*old)[section].is_object() &&
               (*old)[section].contains(key) && (!body[section].contains(key) || masked)) {
      body[section][key] = (*old)[section][key];
    }
  }
  if (write.merge_patch) {
    old->merge_patch(body);
    body = std::move(*old);
    body["name"] = name;
  }
  return stored->version;
}

// Whether `body` holds a secret; kInvalid for one still masked (a create, or a replace with
// nothing stored to keep).
Result<bool> HasSecret(const Json& body) {
  bool has_secret = false;
  for (const SecretField& field : kProfileSecretFields) {
    const std::string section(field.section);
    const std::string key(field.key);
    if (!body.contains(section) || !body[section].is_object() || !body[section].contains(key))
      continue;
    has_secret = true;
    if (IsMasked(body[section][key]))
      return Error::Invalid("send the secret itself; a masked value is only kept on a PUT")
          .WithField("body." + section + "." + key);
  }
  return has_secret;
}

// The loaded profile, after the one-SCIM-profile-per-tenant rule.
Result<Profile> LoadProfile(const ProfileCatalog& catalog, const std::string& tenant,
                            const std::string& name, const std::string& document) {
  Result<Profile> loaded = catalog.Load(tenant, document);
  if (!loaded.ok()) {
    const Error& e = loaded.error();  // the loader's context is the profile's key path
    return Error::Invalid(e.message).WithField(e.context.empty() ? "body" : e.context);
  }
  if (loaded->source.type() == "scim") {
    // Entra pushes to one tenant URL: the tenant's SCIM endpoint serves one profile.
    for (const auto& p : catalog.List(tenant)) {
      if (p->source.type() == "scim" && p->name != name)
        return Error::Conflict("profile " + p->name +
                               " already receives this tenant's SCIM pushes; a tenant has one "
                               "SCIM profile")
            .WithField("body.source.type");
    }
  }
  return loaded;
}

// The document to store: its secrets sealed (SPEC R4), never plain.
Result<std::string> SealDocument(const ProfileCatalog& catalog, const std::string& tenant,
                                 const std::string& name, const std::string& plain,
                                 bool has_secret) {
  const SecretKey* key = catalog.secret_key();
  if (has_secret && key == nullptr) {
    return Error::Unavailable(
               "this server has no secret key, so it cannot keep the profile's secret")
        .WithField("body.source");
  }
  if (key == nullptr) return plain;
  Result<std::string> sealed = SealProfileDocument(plain, tenant, name, *key);
  if (!sealed.ok()) return sealed.error().WithField("body");
  return sealed;
}

// A stored document with every secret masked (sealed or not); "" when it is not JSON.
std::string MaskedDocument(const std::string& document) {
  Json doc = Json::parse(document, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return "";
  for (const SecretField& field : kProfileSecretFields) {
    const std::string section(field.section);
    const std::string key(field.key);
    if (doc.contains(section) && doc[section].is_object() && doc[section].contains(key) &&
        !(doc[section][key].is_string() && doc[section][key].get<std::string>().empty()))
      doc[section][key] = "********";
  }
  return doc.dump();
}

}  // namespace

Result<ProfileView> GetProfile(Store& store, const ProfileCatalog& catalog,
                               const std::string& tenant, const std::string& name) {
  ProfileView view;
  view.profile = catalog.Find(tenant, name);
  if (!view.profile)
    return Error::NotFound("no profile " + name.substr(0, 64)).WithField("profile");
  view.from_config = catalog.FromConfig(tenant, view.profile->name);
  if (view.from_config) return view;
  Result<std::optional<StoredProfile>> stored = store.GetStoredProfile(tenant, view.profile->name);
  if (stored.ok() && stored->has_value()) {
    view.version = (*stored)->version;
    view.updated_at = (*stored)->updated_at;
    view.document = MaskedDocument((*stored)->document);
  }
  return view;
}

Result<SavedProfile> PutProfile(Store& store, ProfileCatalog& catalog, const ProfileWrite& write,
                                int64_t now) {
  auto read = ReadBody(write);
  if (!read.ok()) return read.error();
  auto& [body, name] = *read;
  const std::string& tenant = write.tenant;
  if (catalog.FromConfig(tenant, name)) {
    return Error::Conflict("profile " + name.substr(0, 64) +
                           " is defined in the config file; change it there")
        .WithField(write.create ? "body.name" : "profile");
  }
  int64_t expected = 0;
  if (!write.create) {
    Result<int64_t> version = MergeStored(store, catalog, write, name, body);
    if (!version.ok()) return version.error();
    expected = *version;
  }
  Result<bool> has_secret = HasSecret(body);
  if (!has_secret.ok()) return has_secret.error();
  const std::string plain = body.dump();
  Result<Profile> loaded = LoadProfile(catalog, tenant, name, plain);
  if (!loaded.ok()) return loaded.error();
  Result<std::string> document = SealDocument(catalog, tenant, name, plain, *has_secret);
  if (!document.ok()) return document.error();
  StoredProfile stored{tenant, name, *document, 0, 0, 0};
  Result<int64_t> version = Error::Internal("");
  { version = store.PutStoredProfile(stored, expected, now); }
  if (!version.ok()) return version.error().WithField(write.create ? "body.name" : "profile");
  catalog.Set(tenant, name, std::make_shared<const Profile>(std::move(*loaded)));
  return SavedProfile{catalog.Find(tenant, name), *version};
}

Status DeleteProfile(Store& store, ProfileCatalog& catalog, const std::string& tenant,
                     const std::string& name) {
  if (catalog.FromConfig(tenant, name)) {
    return Error::Conflict("profile " + name.substr(0, 64) +
                           " is defined in the config file; remove it there")
        .WithField("profile");
  }
  if (Status s = store.DeleteStoredProfile(tenant, name); !s.ok())
    return s.error().WithField("profile");
  catalog.Set(tenant, name, nullptr);
  return Ok();
}

}  // namespace telsync::admin
