// The secrets of a stored profile document (a profile created over the REST API, kept as
// its JSON document in the store): which fields they are, and sealing / opening them in
// place. Every other field of the document stays readable in the store.
//
// The associated data of a field is "TENANT/PROFILE/source.client_secret": a sealed value
// moved to another tenant, another profile or another field does not open.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "secrets/secret_box.h"
#include "util/result.h"

namespace telsync {

struct SecretField {
  std::string_view section;  // "source"
  std::string_view key;      // "client_secret"
};
// The profile document fields that hold secrets: write-only over the API, sealed at rest.
inline constexpr SecretField kProfileSecretFields[] = {{"source", "client_secret"},
                                                       {"source", "bind_password"}};

// "tenant/profile/source.client_secret"
std::string ProfileSecretPlace(std::string_view tenant, std::string_view profile,
                               const SecretField& field);

// Seals every secret field of a document whose secrets are plain (a document as the API
// received it). Returns the document to store.
Result<std::string> SealProfileDocument(const std::string& document, std::string_view tenant,
                                        std::string_view profile, const SecretKey& key);
// Seals only the fields still plain, keeping sealed ones (the migration of an old store).
// Sets *changed when a field was sealed. A document that is not JSON is kept as it is.
Result<std::string> SealPlainProfileSecrets(const std::string& document, std::string_view tenant,
                                            std::string_view profile, const SecretKey& key,
                                            bool* changed);
// Opens every sealed field, giving the document with its secrets plain (in memory only).
// A plain field (from a store not yet migrated), and a document that is not JSON (YAML: never
// sealed), are kept as they are. kInvalid naming the field when a sealed one does not open,
// or when `key` is null and one is sealed.
Result<std::string> OpenProfileDocument(const std::string& document, std::string_view tenant,
                                        std::string_view profile, const SecretKey* key);

// How many secret fields a document holds: sealed ones by key id, and plain ones.
struct SecretCounts {
  std::map<std::string, int> sealed_by_key;
  int plain = 0;
};
void CountProfileSecrets(const std::string& document, SecretCounts& counts);

}  // namespace telsync
