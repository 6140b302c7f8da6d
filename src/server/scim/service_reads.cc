// ScimService's reads (service.h): one resource, and lists with filters and paging
// (RFC 7644 §3.4.2).
#include <algorithm>

#include "server/scim/detail/service_parts.h"

namespace telsync::scim {
using nlohmann::json;

Result<std::optional<MirrorEntry>> ScimService::Impl::Get(ResourceType type,
                                                          const std::string& id) {
  return store.GetMirrorEntry(options.tenant, options.profile, KindOf(type), id);
}

json ScimService::Impl::Render(ResourceType type, const MirrorEntry& entry) const {
  return RenderJson(type, Parse(entry.payload), entry.object.id, entry.version, entry.created_at,
                    entry.updated_at, request);
}

ScimResponse ScimService::Impl::One(ResourceType type, const MirrorEntry& entry, int status) const {
  ScimResponse r;
  r.status = status;
  r.body =
      Projected(Render(type, entry), request).dump(-1, ' ', false, json::error_handler_t::replace);
  r.etag = ETag(entry.version);
  return r;
}

// True for the filters Entra sends to find a resource by its matching attribute
// (userName eq "x", displayName eq "x"): answered from the name index, not a scan.
bool ScimService::Impl::ByName(ResourceType type, const Filter& filter) {
  return filter.kind == Filter::Kind::kCompare && filter.op == CompareOp::kEq &&
         filter.value.is_string() && filter.attr.sub.empty() &&
         (filter.attr.uri.empty() ||
          EqualsIgnoreCase(filter.attr.uri,
                           type == ResourceType::kUser ? kUserSchema : kGroupSchema)) &&
         EqualsIgnoreCase(filter.attr.name,
                          type == ResourceType::kUser ? "userName" : "displayName");
}

// Entries of one kind matching `filter`, in id order.
Result<std::vector<MirrorEntry>> ScimService::Impl::Query(ResourceType type, const Filter& filter) {
  std::vector<MirrorEntry> out;
  if (ByName(type, filter)) {
    auto found = store.FindMirrorEntryByName(options.tenant, options.profile, KindOf(type),
                                             filter.value.get<std::string>());
    if (!found.ok()) return found.error();
    if (found->has_value()) out.push_back(std::move(**found));
    return out;
  }
  const ObjectKind kind = KindOf(type);
  auto scanned = store.ScanMirror(options.tenant, options.profile, [&](MirrorEntry&& e) {
    if (e.object.kind != kind) return true;
    if (!Matches(filter, Render(type, e))) return true;
    out.push_back(std::move(e));
    return true;
  });
  if (!scanned.ok()) return scanned.error();
  return out;
}

Result<ScimService::Impl::ListQuery> ScimService::Impl::ParseListQuery() const {
  ListQuery query;
  if (!request.filter.empty()) {
    auto parsed = ParseFilter(request.filter);
    if (!parsed.ok()) return parsed.error();
    query.filter = std::move(parsed).value();
  }
  auto start = IntParam(request.start_index, "startIndex");
  if (!start.ok()) return start.error();
  auto count = IntParam(request.count, "count");
  if (!count.ok()) return count.error();
  // RFC 7644 §3.4.2.4: startIndex < 1 is 1; a negative count is 0.
  query.first = std::max<int64_t>(1, start->value_or(1));
  query.limit = std::clamp<int64_t>(count->value_or(static_cast<int64_t>(options.max_results)), 0,
                                    static_cast<int64_t>(options.max_results));
  return query;
}

Result<ScimService::Impl::ListPage> ScimService::Impl::FilteredPage(ResourceType type,
                                                                    const ListQuery& query) {
  auto entries = Query(type, *query.filter);
  if (!entries.ok()) return entries.error();
  ListPage page;
  page.total = entries->size();
  for (size_t i = static_cast<size_t>(query.first - 1);
       i < entries->size() && static_cast<int64_t>(page.resources.size()) < query.limit; ++i) {
    page.resources.push_back(Projected(Render(type, (*entries)[i]), request));
  }
  return page;
}

Result<ScimService::Impl::ListPage> ScimService::Impl::StoredPage(ResourceType type,
                                                                  const ListQuery& query) {
  auto counted = store.CountMirror(options.tenant, options.profile, KindOf(type));
  if (!counted.ok()) return counted.error();
  ListPage page;
  page.total = *counted;
  auto paged = store.ScanMirrorPage(options.tenant, options.profile, KindOf(type),
                                    static_cast<size_t>(query.first - 1),
                                    static_cast<size_t>(query.limit), [&](MirrorEntry&& e) {
                                      page.resources.push_back(Projected(Render(type, e), request));
                                      return true;
                                    });
  if (!paged.ok()) return paged.error();
  return page;
}

ScimResponse ScimService::Impl::List(ResourceType type) {
  auto query = ParseListQuery();
  if (!query.ok()) return FromError(query.error());
  auto page = query->filter ? FilteredPage(type, *query) : StoredPage(type, *query);
  if (!page.ok()) return FromError(page.error());
  const size_t items = page->resources.size();
  json body = {{"schemas", json::array({kListSchema})},
               {"totalResults", page->total},
               {"startIndex", query->first},
               {"itemsPerPage", items},
               {"Resources", std::move(page->resources)}};
  ScimResponse r;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

}  // namespace telsync::scim
