// The REST API's tenant and token handlers: /api/v1/tenants[/{tenant}[/tokens[/{id}]]].
// Parse, call admin/tenants.h and admin/tokens.h, render.
#include "admin/tenants.h"

#include "admin/tokens.h"
#include "admin/views.h"
#include "server/api/detail/respond.h"
#include "server/api/rest_api.h"

namespace telsync::api {
namespace {

using detail::Json;

bool IsOperator(const http::Request& r) { return r.principal == detail::kOperator; }

// What the catalog knows of a tenant's name, as admin::CreateTenant takes it.
admin::TenantOrigin OriginOf(const std::optional<TenantInfo>& known) {
  return !known                   ? admin::TenantOrigin::kUnknown
         : known->origin == "api" ? admin::TenantOrigin::kStore
                                  : admin::TenantOrigin::kConfig;
}

}  // namespace

http::Response RestApi::ListTenants(http::Request& r) {
  Json list = Json::array();
  for (const TenantInfo& t :
       admin::VisibleTenants(*options_.catalog, IsOperator(r) ? "" : r.principal))
    list.push_back(admin::TenantJson(t));
  // The admin page shows the operator's pages to an operator token only.
  return detail::JsonOk(Json{{"tenants", list}, {"operator", IsOperator(r)}});
}

http::Response RestApi::CreateTenant(http::Request& r) {
  if (!IsOperator(r))
    return detail::Fail(ErrorCode::kForbidden, "Authorization",
                        "creating tenants needs an operator token (telsync admin token create "
                        "--operator)");
  auto body = detail::StringFieldsBody(r.body, {"name", "display_name"}, detail::kMaxDisplayName);
  if (!body.ok()) return detail::FromError(body.error());
  if (!body->contains("name"))
    return detail::Fail(ErrorCode::kInvalid, "body.name", "required: the tenant's name");
  const std::string name = (*body)["name"].get<std::string>();
  const admin::TenantOrigin origin = OriginOf(options_.catalog->FindTenant(name));
  Result<admin::CreatedTenant> created = Error::Internal("");
  {
    created = admin::CreateTenant(store_, name, body->value("display_name", ""), origin,
                                  {.with_admin_token = true}, options_.clock());
  }
  auth_->Forget();  // no cached "invalid" answer outlives the new token
  if (!created.ok()) {
    const Error& e = created.error();
    return detail::FromError(e.field == "name" ? e.WithField("body.name") : e);
  }
  const TenantRecord& record = created->record;
  options_.catalog->SetTenant(record);
  Json j = admin::TenantJson(
      {record.name, record.display_name, "api", record.created_at, record.updated_at});
  j["admin_token"] = created->admin_token->secret;  // shown once; only its hash is kept
  j["admin_token_id"] = created->admin_token->token.id;
  http::Response resp = detail::Created(j);
  resp.headers.emplace_back("Location", std::string(detail::kTenants) + name);
  return resp;
}

http::Response RestApi::GetTenant(http::Request& r) {
  return detail::JsonOk(admin::TenantDetailJson(*options_.catalog, r.Param("tenant")));
}

http::Response RestApi::UpdateTenant(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  auto body = detail::StringFieldsBody(r.body, {"display_name"}, detail::kMaxDisplayName);
  if (!body.ok()) return detail::FromError(body.error());
  if (!body->contains("display_name"))
    return detail::Fail(ErrorCode::kInvalid, "body.display_name", "required: the new display name");
  // A tenant the catalog does not have as a stored one is refused as the config's.
  std::optional<TenantInfo> found = options_.catalog->FindTenant(tenant);
  const admin::TenantOrigin origin =
      found && found->origin == "api" ? admin::TenantOrigin::kStore : admin::TenantOrigin::kConfig;
  Result<TenantRecord> renamed = Error::Internal("");
  {
    renamed = admin::RenameTenant(store_, tenant, (*body)["display_name"].get<std::string>(),
                                  origin, options_.clock());
  }
  if (!renamed.ok()) return detail::FromError(renamed.error(), "tenant");
  options_.catalog->SetTenant(*renamed);
  return detail::JsonOk(admin::TenantJson(
      {tenant, renamed->display_name, "api", renamed->created_at, renamed->updated_at}));
}

http::Response RestApi::DeleteTenant(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  if (!IsOperator(r))
    return detail::Fail(ErrorCode::kForbidden, "Authorization",
                        "deleting a tenant needs an operator token");
  std::optional<TenantInfo> found = options_.catalog->FindTenant(tenant);
  // A tenant the catalog does not know is refused as the config's, as before.
  const admin::TenantOrigin origin =
      found && found->origin == "api" ? admin::TenantOrigin::kStore : admin::TenantOrigin::kConfig;
  Result<TenantDeletion> deleted = Error::Internal("");
  {
    deleted = admin::DeleteTenant(store_, tenant, origin, r.Query("confirm"), "?confirm=" + tenant,
                                  options_.clock());
  }
  auth_->Forget();  // its tokens are gone: refused from the next request on
  if (!deleted.ok()) return detail::FromError(deleted.error());
  options_.catalog->RemoveTenant(tenant);
  if (options_.on_profiles_changed) options_.on_profiles_changed();
  return detail::JsonOk(admin::TenantDeletionJson(tenant, *deleted));
}

http::Response RestApi::ListTokens(http::Request& r) {
  Result<std::vector<ApiToken>> tokens = Error::Internal("");
  { tokens = admin::ListTokens(store_, r.Param("tenant"), {"admin", "scim"}); }
  if (!tokens.ok()) return detail::FromError(tokens.error());
  Json list = Json::array();
  for (const ApiToken& t : *tokens) list.push_back(admin::TokenJson(t));
  return detail::JsonOk(Json{{"tokens", list}});
}

http::Response RestApi::CreateToken(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  auto body = detail::StringFieldsBody(r.body, {"kind", "label"}, detail::kMaxDisplayName);
  if (!body.ok()) return detail::FromError(body.error());
  const std::string kind = body->value("kind", "");
  if (kind != "admin" && kind != "scim")
    return detail::Fail(ErrorCode::kInvalid, "body.kind",
                        "required: \"admin\" (this API) or \"scim\" (Entra provisioning)");
  Result<admin::MintedToken> minted = Error::Internal("");
  { minted = admin::MintToken(store_, tenant, kind, body->value("label", ""), options_.clock()); }
  auth_->Forget();  // no cached "invalid" answer outlives the new token
  if (!minted.ok()) return detail::FromError(minted.error().WithField(""));
  Json j = admin::TokenJson(minted->token);
  j["token"] = minted->secret;  // shown once; only its hash is kept
  return detail::Created(j);
}

http::Response RestApi::RevokeToken(http::Request& r) {
  auto id = detail::IdParam(r, "id");
  if (!id.ok()) return detail::FromError(id.error());
  Status revoked = Ok();
  { revoked = admin::RevokeTenantToken(store_, r.Param("tenant"), *id, options_.clock()); }
  if (!revoked.ok()) return detail::FromError(revoked.error());
  auth_->Forget();  // refused from the next request on (other nodes: within 5 s)
  return detail::NoContent();
}

}  // namespace telsync::api
