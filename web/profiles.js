// Profiles: the list, a form per source type (secrets write-only), test connection, and the
// API's validation errors shown at their field.
import { h, put, scrollBox, clear, field } from "./dom.js";
import { api, ApiError, seg } from "./api.js";
import { confirmDialog } from "./dialog.js";

// The source types and their fields: [key, label, kind, hint]. kind "secret" is write-only.
const SOURCES = {
  graph: [
    ["tenant_id", "Directory (tenant) ID", "text"],
    ["client_id", "Application (client) ID", "text"],
    ["client_secret", "Client secret", "secret"],
    ["groups", "Only members of these groups (comma-separated)", "list"],
    ["filter", "OData filter", "text"],
  ],
  ldap: [
    ["url", "Server URL (ldaps://host)", "text"],
    ["bind_dn", "Bind DN", "text"],
    ["bind_password", "Bind password", "secret"],
    ["user_search_dn", "User search base DN", "text"],
    ["filter", "LDAP filter", "text"],
  ],
  scim: [],
  file: [["path", "Export file on the server", "text", "File sources are set in the config file: the API refuses a server path."]],
};

// A sample user per source type, in the attribute names its defaults read.
const SAMPLES = {
  graph: { displayName: "Ada Lovelace", givenName: "Ada", surname: "Lovelace",
    mail: "ada.lovelace@contoso.example", mailNickname: "ada.lovelace",
    userPrincipalName: "ada.lovelace@contoso.example", businessPhones: ["+46 8 555 0100"],
    mobilePhone: "+46 70 555 0101", department: "Engineering", jobTitle: "Engineer",
    city: "Stockholm", country: "SE", officeLocation: "Kista 3" },
  ldap: { sAMAccountName: "alovelace", givenName: "Ada", sn: "Lovelace", displayName: "Ada Lovelace",
    mail: "ada.lovelace@contoso.example", telephoneNumber: "+46 8 555 0100", mobile: "+46 70 555 0101",
    department: "Engineering", title: "Engineer", l: "Stockholm", c: "SE" },
  scim: { userName: "ada.lovelace@contoso.example", "name.givenName": "Ada", "name.familyName": "Lovelace",
    displayName: "Ada Lovelace", "emails.work": "ada.lovelace@contoso.example",
    "phoneNumbers.work": "+46 8 555 0100", title: "Engineer" },
};
SAMPLES.file = SAMPLES.graph;

export async function profilesPage(ctx) {
  const { state, main, pageShell, showError, say, tenantPath } = ctx;
  const list = h("div", { class: "profiles" });
  const editor = h("div", { class: "editor" });
  const tester = h("div", { class: "tester", "aria-live": "polite" });
  const page = pageShell("Profiles", list,
    h("button", { type: "button", class: "primary", id: "new-profile", on: { click: () => edit(null) } }, "New profile"),
    editor, tester);
  put(main, page);
  renderList();

  function renderList() {
    clear(list);
    const body = h("tbody");
    for (const p of state.profiles) {
      put(body, h("tr", {},
        h("td", { class: "name" }, h("bdi", {}, p.name)), h("td", {}, typeof p.source === "object" ? p.source.type : p.source), h("td", {}, p.origin),
        h("td", { class: "row-actions" },
          h("button", { type: "button", on: { click: () => test(p.name) } }, "Test connection",
            h("span", { class: "visually-hidden" }, ` of ${p.name}`)),
          h("button", { type: "button", on: { click: () => mappingEditor(p.name) } }, "Mapping",
            h("span", { class: "visually-hidden" }, ` of ${p.name}`)),
          p.origin === "api" ? h("button", { type: "button", on: { click: () => edit(p.name) } }, "Edit",
            h("span", { class: "visually-hidden" }, ` ${p.name}`)) : null,
          p.origin === "api" ? h("button", { type: "button", class: "danger", on: { click: () => remove(p.name) } }, "Delete",
            h("span", { class: "visually-hidden" }, ` ${p.name}`)) : null)));
    }
    if (!state.profiles.length) put(body, h("tr", {}, h("td", { colspan: 4 }, "No profile yet.")));
    put(list, scrollBox(h("table", {},
      h("caption", { class: "visually-hidden" }, "Profiles"),
      h("thead", {}, h("tr", {}, ["Profile", "Source", "Origin", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      body)));
  }

  async function refresh() {
    await ctx.loadProfiles();
    renderList();
  }

  async function remove(name) {
    const ok = await confirmDialog({ title: `Delete profile ${name}?`,
      body: "Its users stay in the directory; its schedule stops.", confirm: "Delete profile" });
    if (!ok) return;
    try {
      await api("DELETE", tenantPath(`/profiles/${seg(name)}`));
      say(`Profile ${name} deleted.`);
      await refresh();
    } catch (e) {
      showError(e);
    }
  }

  async function test(name) {
    clear(tester);
    put(tester, h("p", { class: "busy" }, `Testing the connection of ${name}…`));
    try {
      const doc = await api("POST", tenantPath(`/profiles/${seg(name)}/test-connection`));
      clear(tester);
      const sample = doc.sample || [];
      put(tester, h("section", { class: "card", "aria-labelledby": "test-title" },
        h("h2", { id: "test-title" }, `Connection of ${name}`),
        h("p", { class: doc.ok ? "ok" : "warning", id: "test-result" }, (doc.ok ? "OK: " : "Failed: ") + (doc.message || "")),
        doc.attributes && doc.attributes.length
          ? [h("h3", {}, "Attributes offered"), h("p", { class: "attributes" }, doc.attributes.join(", "))] : null,
        sample.length ? [h("h3", {}, "A sample of users"), h("ul", { class: "sample" },
          sample.map((s) => h("li", {}, h("bdi", {}, typeof s === "string" ? s : JSON.stringify(s)))))] : null));
    } catch (e) {
      clear(tester);
      showError(e, tester);
    }
  }

  // The mapping editor: one expression per PBX field over the source's defaults, and the
  // mapped result of a sample user (POST .../map), refreshed as the admin types.
  async function mappingEditor(name) {
    clear(editor);
    let profile;
    try {
      profile = await api("GET", tenantPath(`/profiles/${seg(name)}`));
    } catch (e) {
      showError(e, editor);
      return;
    }
    const type = typeof profile.source === "object" ? profile.source.type : profile.source;
    const sample = h("textarea", { name: "sample", rows: 8, spellcheck: "false" },
      JSON.stringify(SAMPLES[type] || SAMPLES.graph, null, 2));
    const sampleField = field("A sample source user (JSON: attribute → value)", sample);
    const rows = {};  // PBX field -> {input, output, error}
    const body = h("tbody");
    const status = h("p", { class: "hint", "aria-live": "polite" });
    const fromConfig = profile.origin === "config";
    const saveButton = fromConfig ? null
      : h("button", { type: "button", class: "primary", on: { click: saveMapping } }, "Save mapping");
    const section = h("section", { class: "card mapping", "aria-labelledby": "mapping-title" },
      h("h2", { id: "mapping-title", tabindex: "-1" }, `Mapping of ${name} (${type})`),
      h("p", { class: "hint" }, fromConfig
        ? "Try expressions here. This profile is defined in the config file: its mapping is changed there."
        : "Try expressions here; the profile keeps its mapping until you save it."),
      sampleField,
      scrollBox(h("table", { class: "mapping-table" },
        h("caption", { class: "visually-hidden" }, `Mapping of ${name}`),
        h("thead", {}, h("tr", {}, ["PBX field", "Expression", "Result"].map((t) => h("th", { scope: "col" }, t)))),
        body)),
      status,
      saveButton ? h("div", { class: "actions" }, saveButton) : null);
    put(editor, section);
    const initial = {};  // PBX field -> the expression in effect when the editor opened

    // Writes the draft into the profile with a merge patch (PATCH, If-Match: the version
    // read): only the expressions changed here are sent, and every other key of the stored
    // profile (validation, templates, rules, policy) stays as it is. The API's validation
    // error is shown at its field.
    async function saveMapping() {
      const mapping = {};
      for (const [f, row] of Object.entries(rows)) {
        if (row.input.value !== initial[f]) mapping[f] = row.input.value;
      }
      if (!Object.keys(mapping).length) {
        status.textContent = "No expression was changed: nothing to save.";
        return;
      }
      const doc = { mapping };
      for (const row of Object.values(rows)) row.showError("");
      saveButton.disabled = true;
      try {
        const saved = await api("PATCH", tenantPath(`/profiles/${seg(name)}`),
          { body: doc, headers: { "If-Match": `"${profile.version}"` } });
        profile = Object.assign({}, profile, { mapping: saved.mapping, version: saved.version });
        for (const [f, row] of Object.entries(rows)) initial[f] = row.input.value;
        status.textContent = `Mapping of ${name} saved (version ${saved.version}).`;
        say(`Mapping of ${name} saved (version ${saved.version}).`);
        await refresh(draft());
      } catch (e) {
        const f = (e.field || "").replace(/^body\.mapping\./, "").replace(/^mapping\./, "");
        if (rows[f]) {
          rows[f].showError(e.message);
          rows[f].input.focus();
        } else {
          showError(e, section);
        }
        status.textContent = "";
      } finally {
        saveButton.disabled = false;
      }
    }

    function draft() {
      const mapping = {};
      for (const [f, row] of Object.entries(rows)) mapping[f] = row.input.value;
      return mapping;
    }

    let latest = 0;  // only the newest answer is shown (answers may cross)
    async function refresh(mapping) {
      const mine = ++latest;
      let user;
      try {
        user = JSON.parse(sample.value);
        if (typeof user !== "object" || user === null || Array.isArray(user)) throw new Error("not an object");
        sampleField.showError("");
      } catch (e) {
        sampleField.showError("This is not a JSON object: " + e.message);
        return;
      }
      try {
        const doc = await api("POST", tenantPath(`/profiles/${seg(name)}/map`), { body: { mapping, user } });
        if (mine !== latest) return;
        for (const row of Object.values(rows)) row.showError("");
        if (!Object.keys(rows).length) build(doc.mapping);
        const values = Object.assign({}, doc.fields, doc.custom);
        for (const [f, row] of Object.entries(rows)) row.output.textContent = values[f] || "";
        status.textContent = "Mapped.";
      } catch (e) {
        if (mine !== latest) return;
        const f = (e.field || "").replace(/^body\.mapping\./, "");
        if (rows[f]) rows[f].showError(e.message);
        else showError(e, section);
        status.textContent = "";
      }
    }

    function build(expressions) {
      for (const [f, text] of Object.entries(expressions)) {
        initial[f] = text;
        const input = h("input", { type: "text", name: "expr-" + f, value: text, spellcheck: "false",
          "aria-label": `Expression for ${f}` });
        const output = h("output", { for: input.id || undefined, class: "mapped" });
        const error = h("p", { class: "field-error", hidden: true });
        const row = { input, output, showError: (m) => {
          error.textContent = m || "";
          error.hidden = !m;
          if (m) input.setAttribute("aria-invalid", "true");
          else input.removeAttribute("aria-invalid");
        } };
        rows[f] = row;
        let timer = 0;
        input.addEventListener("input", () => {
          clearTimeout(timer);
          timer = setTimeout(() => refresh(draft()), 250);
        });
        put(body, h("tr", { "data-field": f }, h("th", { scope: "row" }, f), h("td", {}, input, error),
          h("td", {}, h("bdi", {}, output))));
      }
    }

    let sampleTimer = 0;
    sample.addEventListener("input", () => {
      clearTimeout(sampleTimer);
      sampleTimer = setTimeout(() => refresh(Object.keys(rows).length ? draft() : profile.mapping || {}), 250);
    });
    await refresh(profile.mapping || {});
    section.querySelector("#mapping-title").focus();
  }

  // The keys of a profile's stored document that the form has no control for, so that a save
  // (PUT: the whole document) keeps them: validation, templates, rules, policy switches, the
  // source's other keys. A config file profile has no stored document: its mapping only.
  function otherSettings(current) {
    if (!current) return {};
    if (!current.document) return current.mapping && Object.keys(current.mapping).length ? { mapping: current.mapping } : {};
    const rest = JSON.parse(JSON.stringify(current.document));
    for (const key of ["name", "schedules", "timezone"]) delete rest[key];
    if (rest.source) {
      delete rest.source.type;
      for (const [key] of SOURCES[current.source.type] || []) delete rest.source[key];
      if (!Object.keys(rest.source).length) delete rest.source;
    }
    if (rest.policy) {
      for (const key of ["mode", "grace_days", "max_deletes"]) delete rest.policy[key];
      if (!Object.keys(rest.policy).length) delete rest.policy;
    }
    return rest;
  }

  async function edit(name) {
    clear(editor);
    let current = null;
    if (name) {
      try {
        current = await api("GET", tenantPath(`/profiles/${seg(name)}`));
      } catch (e) {
        showError(e, editor);
        return;
      }
    }
    const fields = {};  // API field path ("source.url") -> field wrapper
    const nameInput = h("input", { type: "text", name: "name", required: true, maxlength: 64,
      value: current ? current.name : "", readonly: Boolean(current) });
    fields.name = field("Name", nameInput, "Letters, digits, - and _.");
    const typeSelect = h("select", { name: "type", disabled: Boolean(current) },
      Object.keys(SOURCES).map((t) => h("option", { value: t, selected: current && current.source.type === t }, t)));
    fields["source.type"] = field("Source type", typeSelect);
    const sourceBox = h("fieldset", { class: "source" });
    const mode = h("select", { name: "mode" }, ["full", "new_only", "review", "paused"].map((m) =>
      h("option", { value: m, selected: current && current.policy.mode === m }, m)));
    fields["policy.mode"] = field("Sync mode", mode);
    const grace = h("input", { type: "number", name: "grace_days", min: 0, value: current ? current.policy.grace_days : 7 });
    fields["policy.grace_days"] = field("Days before a leaver is deleted", grace);
    const maxDeletes = h("input", { type: "number", name: "max_deletes", min: -1, value: current ? current.policy.max_deletes : 10 });
    fields["policy.max_deletes"] = field("Hold a run deleting more than (users)", maxDeletes);
    const schedules = h("textarea", { name: "schedules", rows: 2 }, current ? (current.schedules || []).join("\n") : "0 2 * * *");
    fields.schedules = field("Schedules (cron, one per line)", schedules);
    const timezone = h("input", { type: "text", name: "timezone", value: current ? current.timezone : "Europe/Stockholm" });
    fields.timezone = field("Time zone", timezone);
    const nextRuns = h("ul", { class: "next-runs", "aria-live": "polite" });
    const rest = otherSettings(current);
    const extra = h("textarea", { name: "extra", rows: Object.keys(rest).length ? 10 : 4, spellcheck: "false" },
      Object.keys(rest).length ? JSON.stringify(rest, null, 2) : "");
    fields.body = field("Other settings (JSON: mapping, validation, policy…)", extra,
      "The profile's keys this form has no control for; a key removed here is removed from the profile. " +
      "Pasted provider settings are accepted as a JSON object with the keys of a profile.");
    const formError = h("div", { class: "form-error" });

    function renderSource() {
      clear(sourceBox);
      put(sourceBox, h("legend", {}, `Source: ${typeSelect.value}`));
      for (const [key, label, kind, hint] of SOURCES[typeSelect.value]) {
        let value = current && current.source[key] !== undefined ? current.source[key] : "";
        if (Array.isArray(value)) value = value.join(", ");
        const input = h("input", { type: kind === "secret" ? "password" : "text", name: key,
          autocomplete: kind === "secret" ? "new-password" : "off",
          value: kind === "secret" ? "" : String(value) });
        const f = field(label, input, kind === "secret" && current
          ? "Stored and never shown; leave empty to keep it." : (kind === "secret" ? "Write-only: never shown again." : hint));
        f.kind = kind;
        f.key = key;
        fields["source." + key] = f;
        put(sourceBox, f);
      }
      if (!SOURCES[typeSelect.value].length) put(sourceBox, h("p", {}, "Entra ID pushes users to telsync's SCIM server: nothing to set here."));
    }
    typeSelect.addEventListener("change", renderSource);
    renderSource();
    schedules.addEventListener("change", () => showNext());
    timezone.addEventListener("change", () => showNext());

    let latest = 0;  // only the newest answer is shown (answers may cross)
    async function showNext() {
      const mine = ++latest;
      // The old list stays until the answer replaces it: the form does not jump under the
      // pointer while the admin moves from the time zone to the Save button.
      const first = schedules.value.split("\n").map((s) => s.trim()).filter(Boolean)[0];
      if (!first) {
        clear(nextRuns);
        return;
      }
      try {
        const doc = await api("GET", "/schedule/next", { query: { cron: first, timezone: timezone.value.trim(), count: 5 } });
        if (mine !== latest) return;
        clear(nextRuns);
        for (const t of doc.next || []) put(nextRuns, h("li", {}, t.local));
        fields.schedules.showError("");
      } catch (e) {
        if (mine !== latest) return;
        clear(nextRuns);
        if (e instanceof ApiError && e.status === 404) return;  // a server without the route
        fields[e.field === "timezone" ? "timezone" : "schedules"].showError(e.message);
      }
    }

    const form = h("form", { class: "card profile-form", novalidate: true, on: { submit: save } },
      h("h2", { id: "editor-title", tabindex: "-1" }, current ? `Edit ${current.name}` : "New profile"),
      formError, fields.name, fields["source.type"], sourceBox,
      h("fieldset", {}, h("legend", {}, "Policy"), fields["policy.mode"], fields["policy.grace_days"], fields["policy.max_deletes"]),
      h("fieldset", {}, h("legend", {}, "Schedule"), fields.schedules, fields.timezone,
        h("p", { class: "hint" }, "Next five runs:"), nextRuns),
      fields.body,
      h("div", { class: "actions" },
        h("button", { type: "button", on: { click: () => clear(editor) } }, "Cancel"),
        h("button", { type: "submit", class: "primary" }, current ? "Save" : "Create profile")));
    put(editor, form);
    editor.querySelector("#editor-title").focus();
    showNext();

    async function save(event) {
      event.preventDefault();
      for (const f of Object.values(fields)) f.showError("");
      clear(formError);
      let doc = {};
      if (extra.value.trim()) {
        try {
          doc = JSON.parse(extra.value);
          if (typeof doc !== "object" || Array.isArray(doc) || doc === null) throw new Error("not an object");
        } catch (e) {
          fields.body.showError("This is not a JSON object: " + e.message);
          extra.focus();
          return;
        }
      }
      doc.name = nameInput.value.trim();
      doc.source = Object.assign({}, doc.source || {}, { type: typeSelect.value });
      for (const [path, f] of Object.entries(fields)) {
        if (!path.startsWith("source.") || !f.key) continue;
        const value = f.input.value.trim();
        if (f.kind === "secret" && !value) continue;  // kept as stored
        if (!value) continue;
        doc.source[f.key] = f.kind === "list" ? value.split(",").map((s) => s.trim()).filter(Boolean) : value;
      }
      doc.policy = Object.assign({}, doc.policy || {}, { mode: mode.value });
      if (grace.value !== "") doc.policy.grace_days = Number(grace.value);
      if (maxDeletes.value !== "") doc.policy.max_deletes = Number(maxDeletes.value);
      doc.schedules = schedules.value.split("\n").map((s) => s.trim()).filter(Boolean);
      if (timezone.value.trim()) doc.timezone = timezone.value.trim();
      try {
        const saved = current
          ? await api("PUT", tenantPath(`/profiles/${seg(current.name)}`), { body: doc, headers: { "If-Match": `"${current.version}"` } })
          : await api("POST", tenantPath("/profiles"), { body: doc });
        say(`Profile ${saved.name} saved (version ${saved.version}).`);
        clear(editor);
        await refresh();
      } catch (e) {
        const path = (e.field || "").replace(/^body\./, "");
        const f = fields[path] || fields[path.split(".").slice(0, 2).join(".")];
        if (f && path) {
          f.showError(e.message);
          f.input.focus();
        } else if (path && e.status === 400) {
          // A key this form has no control for: it came from the JSON settings.
          fields.body.showError(e.message.includes(path) ? e.message : `${path}: ${e.message}`);
          fields.body.input.focus();
        } else {
          showError(e, formError);
        }
      }
    }
  }
}
