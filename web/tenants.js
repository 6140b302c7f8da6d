// Tenants (the operator's page): create, rename, delete with a typed confirmation, and each
// tenant's tokens (create shows the secret once; revoke).
import { h, put, scrollBox, clear, field, when } from "./dom.js";
import { api, seg } from "./api.js";
import { confirmDialog, secretDialog } from "./dialog.js";

export async function tenantsPage(ctx) {
  const { state, main, pageShell, showError, say } = ctx;
  if (!state.operator) {
    put(main, pageShell("Tenants", h("p", {}, "Only the operator token manages tenants.")));
    return;
  }
  const list = h("div", { class: "tenants" });
  const tokens = h("div", { class: "tokens" });
  const nameInput = h("input", { type: "text", name: "name", required: true, maxlength: 64, pattern: "[a-z0-9][a-z0-9_-]*" });
  const displayInput = h("input", { type: "text", name: "display_name", maxlength: 200 });
  const nameField = field("Name (a-z, 0-9, - and _)", nameInput);
  const displayField = field("Display name", displayInput);
  const createForm = h("form", { class: "card", novalidate: true, on: { submit: create } },
    h("h2", {}, "New tenant"), nameField, displayField,
    h("button", { type: "submit", class: "primary" }, "Create tenant"));
  put(main, pageShell("Tenants", list, createForm, tokens));
  await render();

  async function render() {
    const doc = await api("GET", "/tenants");
    state.tenants = doc.tenants || [];
    clear(list);
    const body = h("tbody");
    for (const t of state.tenants) {
      put(body, h("tr", {},
        h("td", { class: "name" }, h("bdi", {}, t.name)),
        h("td", { class: "name" }, h("bdi", {}, t.display_name || "")),
        h("td", {}, t.origin || ""),
        h("td", { class: "row-actions" },
          h("button", { type: "button", on: { click: () => rename(t) } }, "Rename", h("span", { class: "visually-hidden" }, ` ${t.name}`)),
          h("button", { type: "button", on: { click: () => showTokens(t.name) } }, "Tokens", h("span", { class: "visually-hidden" }, ` of ${t.name}`)),
          h("button", { type: "button", class: "danger", on: { click: () => remove(t.name) } }, "Delete", h("span", { class: "visually-hidden" }, ` ${t.name}`)))));
    }
    if (!state.tenants.length) put(body, h("tr", {}, h("td", { colspan: 4 }, "No tenant yet.")));
    put(list, scrollBox(h("table", {},
      h("caption", { class: "visually-hidden" }, "Tenants"),
      h("thead", {}, h("tr", {}, ["Tenant", "Display name", "Origin", "Actions"].map((x) => h("th", { scope: "col" }, x)))),
      body)));
  }

  async function after(message) {
    say(message);
    await ctx.loadSession();
    await render();
  }

  async function create(event) {
    event.preventDefault();
    nameField.showError("");
    displayField.showError("");
    try {
      const doc = await api("POST", "/tenants", { body: { name: nameInput.value.trim(), display_name: displayInput.value.trim() } });
      nameInput.value = "";
      displayInput.value = "";
      await secretDialog({ title: `Tenant ${doc.name} created`,
        body: "Its first admin token, shown this once. Give it to the tenant's admin.", secret: doc.admin_token });
      await after(`Tenant ${doc.name} created.`);
    } catch (e) {
      const f = e.field === "body.display_name" || e.field === "display_name" ? displayField : nameField;
      if (e.field) f.showError(e.message);
      else showError(e);
    }
  }

  async function rename(t) {
    const row = [...list.querySelectorAll("tr")].find((r) => r.querySelector("bdi") && r.querySelector("bdi").textContent === t.name);
    const input = h("input", { type: "text", name: "display_name", maxlength: 200, value: t.display_name || "" });
    const f = field(`New display name of ${t.name}`, input);
    const form = h("form", { class: "card inline rename", on: { submit: async (e) => {
      e.preventDefault();
      try {
        await api("PATCH", `/tenants/${seg(t.name)}`, { body: { display_name: input.value.trim() } });
        await after(`Tenant ${t.name} renamed.`);
      } catch (err) {
        f.showError(err.message);
      }
    } } }, f, h("button", { type: "submit", class: "primary" }, "Save"));
    const old = list.querySelector(".rename");
    if (old) old.remove();
    put(list, form);
    input.focus();
    if (row) row.scrollIntoView({ block: "nearest" });
  }

  async function remove(name) {
    const ok = await confirmDialog({ title: `Delete tenant ${name}?`,
      body: "Its users, runs, profiles and tokens are deleted too. This cannot be undone.",
      confirm: "Delete tenant", typed: name });
    if (!ok) return;
    try {
      await api("DELETE", `/tenants/${seg(name)}`, { query: { confirm: name } });
      if (state.tenant === name) state.tenant = "";
      await after(`Tenant ${name} deleted.`);
    } catch (e) {
      showError(e);
    }
  }

  async function showTokens(tenant) {
    clear(tokens);
    try {
      const doc = await api("GET", `/tenants/${seg(tenant)}/tokens`);
      const body = h("tbody");
      for (const t of doc.tokens || []) {
        put(body, h("tr", {}, h("td", {}, String(t.id)), h("td", {}, t.kind), h("td", {}, h("bdi", {}, t.label || "")),
          h("td", {}, when(t.created_at)), h("td", {}, t.revoked_at ? when(t.revoked_at) : "active"),
          h("td", {}, t.revoked_at ? "" : h("button", { type: "button", class: "danger", on: { click: async () => {
            const ok = await confirmDialog({ title: `Revoke token ${t.id}?`, body: "Whoever uses it is refused from now on.", confirm: "Revoke" });
            if (!ok) return;
            try {
              await api("DELETE", `/tenants/${seg(tenant)}/tokens/${t.id}`);
              say(`Token ${t.id} revoked.`);
              await showTokens(tenant);
            } catch (e) {
              showError(e, tokens);
            }
          } } }, "Revoke", h("span", { class: "visually-hidden" }, ` token ${t.id}`)))));
      }
      const kind = h("select", { name: "kind" }, h("option", { value: "admin" }, "admin"), h("option", { value: "scim" }, "scim"));
      const label = h("input", { type: "text", name: "label", maxlength: 200 });
      put(tokens, h("section", { class: "card", "aria-labelledby": "tokens-title" },
        h("h2", { id: "tokens-title", tabindex: "-1" }, `Tokens of ${tenant}`),
        scrollBox(h("table", {}, h("caption", { class: "visually-hidden" }, `Tokens of ${tenant}`),
          h("thead", {}, h("tr", {}, ["Id", "Kind", "Label", "Created", "Revoked", ""].map((x) => h("th", { scope: "col" }, x)))), body)),
        h("form", { class: "inline", on: { submit: async (e) => {
          e.preventDefault();
          try {
            const made = await api("POST", `/tenants/${seg(tenant)}/tokens`, { body: { kind: kind.value, label: label.value.trim() } });
            await secretDialog({ title: `New ${kind.value} token for ${tenant}`, body: "Shown this once.", secret: made.token });
            await showTokens(tenant);
          } catch (err) {
            showError(err, tokens);
          }
        } } }, field("Kind", kind), field("Label", label), h("button", { type: "submit" }, "Create token"))));
      tokens.querySelector("#tokens-title").focus();
    } catch (e) {
      showError(e, tokens);
    }
  }
}
