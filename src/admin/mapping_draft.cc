#include "admin/mapping_draft.h"

#include "mapping/user_mapping.h"
#include "model/fields.h"
#include "model/source_object.h"

namespace telsync::admin {

Result<MappedDraft> MapDraft(const MappingDraft& draft) {
  auto compiled = UserMapping::Compile(draft.mapping, draft.source_type);
  if (!compiled.ok()) {
    // "mapping.mobile: column 9: unknown function 'e165'": the field is the key at fault.
    const std::string& message = compiled.error().message;
    std::string field = "body.mapping";
    if (message.rfind("mapping.", 0) == 0) {
      const size_t colon = message.find(':');
      if (colon != std::string::npos) field = "body." + message.substr(0, colon);
    }
    return Error::Invalid(message).WithField(field);
  }
  SourceObject object;
  object.id = "sample";
  object.attributes = draft.attributes;
  object.groups = draft.groups;
  const MappedUser mapped = compiled->Apply(object);
  MappedDraft out;
  for (size_t i = 0; i < kFieldCount; ++i) {
    const auto f = static_cast<Field>(i);
    out.fields.emplace_back(std::string(FieldName(f)), std::string(mapped.fields.Get(f)));
  }
  out.custom = mapped.custom;
  out.expressions = UserMapping::Defaults(draft.source_type);
  for (const auto& [field, expression] : draft.mapping) out.expressions[field] = expression;
  return out;
}

}  // namespace telsync::admin
