#include "secrets/profile_secrets.h"

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

namespace telsync {
namespace {

using Json = nlohmann::json;

// Calls `fn` with each secret field's path and value present in `doc` as a string; a
// returned string replaces the value.
using FieldFn = std::function<Result<std::optional<std::string>>(const SecretField& field,
                                                                 const std::string& value)>;

Status ForEachSecret(Json& doc, const FieldFn& fn) {
  for (const SecretField& field : kProfileSecretFields) {
    const std::string section(field.section);
    const std::string key(field.key);
    if (!doc.is_object() || !doc.contains(section) || !doc[section].is_object()) continue;
    Json& holder = doc[section];
    if (!holder.contains(key) || !holder[key].is_string()) continue;
    Result<std::optional<std::string>> next = fn(field, holder[key].get<std::string>());
    if (!next.ok()) return next.error();
    if (next->has_value()) holder[key] = std::move(**next);
  }
  return Ok();
}

Result<Json> Parse(const std::string& document) {
  Json doc = Json::parse(document, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Error::Invalid("the stored profile document is not a JSON object");
  return doc;
}

std::string FieldPath(const SecretField& field) {
  return std::string(field.section) + "." + std::string(field.key);
}

}  // namespace

std::string ProfileSecretPlace(std::string_view tenant, std::string_view profile,
                               const SecretField& field) {
  return std::string(tenant) + "/" + std::string(profile) + "/" + FieldPath(field);
}

Result<std::string> SealProfileDocument(const std::string& document, std::string_view tenant,
                                        std::string_view profile, const SecretKey& key) {
  Result<Json> doc = Parse(document);
  if (!doc.ok()) return doc.error();
  Status s = ForEachSecret(*doc,
                           [&](const SecretField& field,
                               const std::string& value) -> Result<std::optional<std::string>> {
                             return std::optional<std::string>(
                                 key.Seal(value, ProfileSecretPlace(tenant, profile, field)));
                           });
  if (!s.ok()) return s.error();
  return doc->dump();
}

Result<std::string> SealPlainProfileSecrets(const std::string& document, std::string_view tenant,
                                            std::string_view profile, const SecretKey& key,
                                            bool* changed) {
  Result<Json> doc = Parse(document);
  if (!doc.ok()) return document;  // not JSON: nothing telsync can seal in place
  Status s = ForEachSecret(*doc,
                           [&](const SecretField& field,
                               const std::string& value) -> Result<std::optional<std::string>> {
                             if (IsSealedSecret(value)) return std::optional<std::string>();
                             *changed = true;
                             return std::optional<std::string>(
                                 key.Seal(value, ProfileSecretPlace(tenant, profile, field)));
                           });
  if (!s.ok()) return s.error();
  return doc->dump();
}

Result<std::string> OpenProfileDocument(const std::string& document, std::string_view tenant,
                                        std::string_view profile, const SecretKey* key) {
  Result<Json> doc = Parse(document);
  // Not JSON (a YAML document): telsync never sealed anything in it.
  if (!doc.ok()) return document;
  Status s = ForEachSecret(
      *doc,
      [&](const SecretField& field,
          const std::string& value) -> Result<std::optional<std::string>> {
        if (!IsSealedSecret(value)) return std::optional<std::string>();
        const std::string path = FieldPath(field);
        if (key == nullptr) {
          return Error::Invalid("sealed with key " + SealedKeyId(value) +
                                    ", and no secret key was given (--secret-key-file or "
                                    "TELSYNC_SECRET_KEY_FILE)",
                                path);
        }
        Result<std::string> plain = key->Open(value, ProfileSecretPlace(tenant, profile, field));
        if (!plain.ok()) return Error::Invalid(plain.error().message, path);
        return std::optional<std::string>(std::move(*plain));
      });
  if (!s.ok()) return s.error();
  return doc->dump();
}

void CountProfileSecrets(const std::string& document, SecretCounts& counts) {
  Result<Json> doc = Parse(document);
  if (!doc.ok()) return;
  (void)ForEachSecret(
      *doc,
      [&](const SecretField&, const std::string& value) -> Result<std::optional<std::string>> {
        const std::string id = SealedKeyId(value);
        if (id.empty()) {
          ++counts.plain;
        } else {
          ++counts.sealed_by_key[id];
        }
        return std::optional<std::string>();
      });
}

}  // namespace telsync
