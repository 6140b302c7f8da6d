// The telsync admin page (issue 19): sign-in, then one page per task, each a view over
// /api/v1. The page keeps no rule of its own: what may be done, and why not, is the API's
// answer, shown in its words.
import { h, put, scrollBox, clear, field, when } from "./dom.js";
import { api, ApiError, token, signIn, signOut, onExpired, seg } from "./api.js";
import { profilesPage } from "./profiles.js";
import { tenantsPage } from "./tenants.js";
import { confirmDialog } from "./dialog.js";
import { explanationView } from "./explain.js";
import { progressWords } from "./progress.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const statusBox = document.getElementById("status");

export const state = { operator: false, tenants: [], tenant: "", profiles: [] };

const PAGES = [
  { id: "preview", title: "Preview", render: previewPage },
  { id: "sync", title: "Sync", render: syncPage },
  { id: "history", title: "History", render: historyPage },
  { id: "profiles", title: "Profiles", render: (ctx) => profilesPage(ctx) },
  { id: "users", title: "Users", render: usersPage },
  { id: "directory", title: "Departments & targets", render: directoryPage },
  { id: "tenants", title: "Tenants", render: (ctx) => tenantsPage(ctx) },
];

// ---- messages

// Says something in the status line (polite live region).
export function say(message) {
  clear(statusBox);
  statusBox.className = "status";
  if (message) put(statusBox, h("p", {}, message));
}

// An error in words, in an alert box at the top of `where` (the page by default).
export function showError(error, where) {
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  const box = h("div", { class: "alert", role: "alert" }, h("strong", {}, "Error: "), message);
  const target = where || main.querySelector(".page") || main;
  const old = target.querySelector(":scope > .alert");
  if (old) old.remove();
  target.prepend(box);
  return box;
}

function pageShell(title, ...children) {
  return h("section", { class: "page", "aria-labelledby": "page-title" },
    h("h1", { id: "page-title" }, title), ...children);
}

// ---- sign-in

function signInPage(reason) {
  nav.hidden = true;
  who.hidden = true;
  clear(nav);
  clear(who);
  clear(main);
  const input = h("input", { type: "password", name: "token", autocomplete: "off", required: true,
    spellcheck: "false" });
  const tokenField = field("Admin or operator token", input,
    "From `telsync admin token create TENANT` or the operator token of `telsync serve`.");
  const form = h("form", { class: "card signin", on: { submit: onSubmit } },
    tokenField, h("button", { type: "submit", class: "primary" }, "Sign in"));
  const page = pageShell("Sign in", form);
  put(main, page);
  if (reason) showError(reason, page);
  input.focus();

  async function onSubmit(event) {
    event.preventDefault();
    const secret = input.value.trim();
    if (!secret) {
      tokenField.showError("Enter a token.");
      return;
    }
    signIn(secret);
    try {
      await loadSession();
      input.value = "";
      const first = state.operator && !state.tenant ? "tenants" : "preview";
      if (location.hash === "#/" + first) route();
      else location.hash = "#/" + first;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) showError(e, page);
    }
  }
}

onExpired((message) => signInPage(message));

// ---- the session: who signed in, which tenant

export async function loadSession() {
  const doc = await api("GET", "/tenants");
  state.operator = doc.operator === true;
  state.tenants = doc.tenants || [];
  const remembered = sessionStorage.getItem("telsync.tenant");
  if (!state.tenants.some((t) => t.name === state.tenant)) {
    state.tenant = state.tenants.some((t) => t.name === remembered)
      ? remembered : (state.tenants[0] ? state.tenants[0].name : "");
  }
  await loadProfiles();
  renderChrome();
}

export async function loadProfiles() {
  state.profiles = [];
  if (!state.tenant) return;
  const doc = await api("GET", `/tenants/${seg(state.tenant)}/profiles`);
  state.profiles = doc.profiles || [];
}

function renderChrome() {
  clear(nav);
  const list = h("ul");
  for (const p of PAGES) {
    if (p.id === "tenants" && !state.operator) continue;
    put(list, h("li", {}, h("a", { href: "#/" + p.id, "data-page": p.id }, p.title)));
  }
  put(nav, list);
  nav.hidden = false;
  clear(who);
  const select = h("select", { id: "tenant-select", on: { change: async (e) => {
    state.tenant = e.target.value;
    sessionStorage.setItem("telsync.tenant", state.tenant);
    try {
      await loadProfiles();
    } catch (err) {
      showError(err);
    }
    route();
  } } });
  for (const t of state.tenants) {
    put(select, h("option", { value: t.name, selected: t.name === state.tenant },
      t.display_name ? `${t.display_name} (${t.name})` : t.name));
  }
  put(who, 
    h("span", { class: "role" }, state.operator ? "Operator" : "Tenant admin"),
    h("label", { for: "tenant-select", class: "visually-hidden" }, "Tenant"),
    state.tenants.length ? select : h("span", {}, "no tenant yet"),
    h("button", { type: "button", id: "sign-out", on: { click: () => {
      signOut();
      sessionStorage.removeItem("telsync.tenant");
      state.tenant = "";
      history.replaceState(null, "", location.pathname);
      signInPage();
      say("Signed out.");
    } } }, "Sign out"));
  who.hidden = false;
}

// ---- routing

async function route() {
  if (!token()) {
    signInPage();
    return;
  }
  const id = (location.hash.match(/^#\/([a-z]+)/) || [])[1] || "preview";
  const page = PAGES.find((p) => p.id === id) || PAGES[0];
  for (const a of nav.querySelectorAll("a")) {
    if (a.dataset.page === page.id) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  say("");
  clear(main);
  document.title = `${page.title} · telsync`;
  const ctx = { state, main, pageShell, showError, say, reload: route, loadSession, loadProfiles,
    tenantPath, renderChrome };
  try {
    if (!state.tenant && page.id !== "tenants") {
      put(main, pageShell(page.title, h("p", {}, state.operator
        ? "There is no tenant yet: create one on the Tenants page."
        : "This token reaches no tenant.")));
    } else {
      await page.render(ctx);
    }
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) showError(e);
  }
  main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);

// ---- shared pieces

function tenantPath(rest) {
  return `/tenants/${seg(state.tenant)}${rest}`;
}

export function sourceType(profile) {
  return profile.source && typeof profile.source === "object" ? profile.source.type : profile.source;
}

export function profileSelect(labelText = "Profile") {
  const select = h("select", { name: "profile" });
  for (const p of state.profiles) put(select, h("option", { value: p.name }, `${p.name} (${sourceType(p)})`));
  return field(labelText, select);
}

const ACTION_LABELS = {
  create: "To create (missing users)",
  delete: "To delete",
  pending_delete: "Pending delete (grace period)",
  update: "Updated",
  restore: "Restored",
  unsearchable: "Made unsearchable",
  relink: "Relinked",
  unchanged: "Existing, unchanged",
  skip: "Skipped",
  conflict: "Conflicts",
  error: "Errors",
  blocked: "Blocked",
};
const SUMMARY_ACTION = {
  create: "create", update: "update", delete: "delete", pending_delete: "pending_delete",
  restore: "restore", unsearchable: "unsearchable", relink: "relink", unchanged: "unchanged",
  skipped: "skip", conflicts: "conflict", errors: "error", blocked: "blocked",
};

function changesList(changes) {
  if (!changes || !changes.length) return "";
  return h("ul", { class: "changes" }, changes.map((c) =>
    h("li", {}, h("span", { class: "field-name" }, c.field), ": ",
      h("bdi", { class: "old" }, c.old === "" ? "(empty)" : c.old), " → ",
      h("bdi", { class: "new" }, c.new === "" ? "(empty)" : c.new))));
}

function itemsTable(items, caption) {
  const table = h("table", { class: "items" },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Action"), h("th", { scope: "col" }, "User"),
      h("th", { scope: "col" }, "Changes"), h("th", { scope: "col" }, "Reason"))));
  const body = h("tbody");
  for (const it of items) {
    put(body, h("tr", {},
      h("td", {}, h("span", { class: "badge " + it.action }, it.action)),
      h("td", { class: "name" }, h("bdi", {}, it.username || it.key || "")),
      h("td", {}, changesList(it.changes)),
      h("td", {}, it.reason || "")));
  }
  if (!items.length) put(body, h("tr", {}, h("td", { colspan: 4 }, "Nothing here.")));
  put(table, body);
  return scrollBox(table);
}

// The summary counts, each a button that filters the list by its action.
function summaryList(summary, onPick) {
  const list = h("ul", { class: "summary" });
  for (const [key, count] of Object.entries(summary || {})) {
    const action = SUMMARY_ACTION[key] || key;
    const label = ACTION_LABELS[action] || key;
    put(list, h("li", {}, onPick
      ? h("button", { type: "button", class: "count", "data-action": action,
        on: { click: () => onPick(action) } }, h("span", { class: "n" }, String(count)), " ", label)
      : h("span", { class: "count" }, h("span", { class: "n" }, String(count)), " ", label)));
  }
  return list;
}

// A run's items read page by page from the server (?action=&q=&offset=&limit=), with a
// search box, a filter by action and a pager. `first` is an already fetched first page.
function planBrowser(runId, summary, first) {
  const limit = 50;
  const view = { action: "", q: "", offset: 0 };
  const actionSelect = h("select", { name: "action" }, h("option", { value: "" }, "Every action"),
    Object.entries(ACTION_LABELS).map(([a, label]) => h("option", { value: a }, label)));
  const search = h("input", { type: "search", name: "q", placeholder: "username, e-mail, name" });
  const results = h("div", { class: "results", "aria-live": "polite" });
  const wrap = h("div", { class: "plan" },
    summaryList(summary, (action) => {
      actionSelect.value = action;
      view.action = action;
      view.offset = 0;
      load();
    }),
    h("form", { class: "filters", role: "search", on: { submit: (e) => {
      e.preventDefault();
      view.q = search.value.trim();
      view.action = actionSelect.value;
      view.offset = 0;
      load();
    } } },
    field("Show", actionSelect), field("Search", search),
    h("button", { type: "submit" }, "Filter")),
    results);
  actionSelect.addEventListener("change", () => {
    view.action = actionSelect.value;
    view.offset = 0;
    load();
  });

  let rendered = false;
  function render(doc) {
    clear(results);
    const page = doc.page || { offset: 0, matched: (doc.items || []).length };
    const items = doc.items || [];
    const from = items.length ? page.offset + 1 : 0;
    const to = page.offset + items.length;
    put(results, h("p", { class: "range" }, `${from}–${to} of ${page.matched}`),
      itemsTable(items, "Planned changes"),
      h("div", { class: "pager" },
        h("button", { type: "button", disabled: page.offset === 0, on: { click: () => {
          view.offset = Math.max(0, page.offset - limit);
          load();
        } } }, "Previous page"),
        h("button", { type: "button", disabled: to >= page.matched, on: { click: () => {
          view.offset = page.offset + limit;
          load();
        } } }, "Next page")));
    if (!rendered) {
      rendered = true;
      // The browser's clock at the first page shown (bench/web-first-page reads it).
      performance.mark("telsync:first-page", { detail: { run: runId } });
    }
  }

  let latest = 0;  // only the newest request's answer is shown (answers may cross)
  async function load() {
    const mine = ++latest;
    try {
      const doc = await api("GET", tenantPath(`/runs/${runId}/items`),
        { query: { action: view.action, q: view.q, offset: view.offset, limit } });
      if (mine !== latest) return;
      render(doc);
    } catch (e) {
      showError(e, results);
    }
  }

  if (first) render(first);
  else load();
  return wrap;
}

// Polls a job until it is done or failed; `onProgress` sees each state.
async function pollJob(jobId, onProgress) {
  for (;;) {
    const job = await api("GET", tenantPath(`/jobs/${jobId}`));
    onProgress(job);
    if (job.status === "done" || job.status === "failed") return job;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

export async function download(path, query) {
  const { blob, filename } = await api("GET", path, { query, download: true });
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, class: "visually-hidden" }, filename);
  put(document.body, a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function noProfiles(title) {
  return pageShell(title, h("p", {}, "This tenant has no profile yet: create one on the ",
    h("a", { href: "#/profiles" }, "Profiles"), " page."));
}

// ---- preview (the AD report)

async function previewPage() {
  if (!state.profiles.length) {
    put(main, noProfiles("Preview"));
    return;
  }
  const profile = profileSelect();
  const out = h("div", { class: "report" });
  const button = h("button", { type: "submit", class: "primary" }, "Run preview");
  const page = pageShell("Preview: the AD report",
    h("p", { class: "lead" }, "What a sync would change, read from the source now. Nothing is applied."),
    h("form", { class: "card inline", on: { submit: run } }, profile, button),
    out);
  put(main, page);

  function show(doc) {
    clear(out);
    put(out,
      h("h2", {}, `Run ${doc.run}: ${doc.profile}`),
      doc.held ? h("p", { class: "warning" }, "A sync now would be held: " + doc.hold_reason) : null,
      doc.complete === false ? h("p", { class: "warning" }, "The source read was incomplete: nothing would be deleted.") : null,
      planBrowser(doc.run, doc.summary, doc));
  }

  // #/preview/RUN: a preview already made (the page's address after a preview), read from
  // its first page on: the plan is never fetched whole.
  const linked = (location.hash.match(/^#\/preview\/(\d+)$/) || [])[1];
  if (linked) {
    put(out, h("p", { class: "busy" }, `Reading run ${linked}…`));
    try {
      const doc = await api("GET", tenantPath(`/runs/${linked}/items`), { query: { limit: 50 } });
      if (state.profiles.some((p) => p.name === doc.profile)) profile.input.value = doc.profile;
      show(Object.assign({ run: Number(linked) }, doc));
    } catch (e) {
      clear(out);
      showError(e, out);
    }
  }

  async function run(event) {
    event.preventDefault();
    clear(out);
    button.disabled = true;
    say("Running the preview…");
    // The preview runs as a job (a large tenant's takes a while): its progress is shown,
    // then its run's first page is read from the server.
    const label = h("label", { for: "preview-progress" }, "Preview: queued");
    const bar = h("progress", { id: "preview-progress", max: 100 });
    put(out, h("div", { class: "progress-box busy" }, label, bar));
    try {
      const queued = await api("POST", tenantPath(`/profiles/${seg(profile.input.value)}/preview`),
        { query: { job: "true" } });
      const job = await pollJob(queued.job, (j) => {
        const p = j.progress || {};
        const words = progressWords(p);
        label.textContent = `Preview job ${queued.job}: ${j.status}` + (words ? ` (${words})` : "");
        if (p.total) {
          bar.max = p.total;
          bar.value = Math.min(p.done || 0, p.total);
        }
      });
      if (!job.run_id || job.status === "failed")
        throw new Error(`The preview failed: ${job.message || "no run was recorded"}`);
      const first = await api("GET", tenantPath(`/runs/${job.run_id}/items`), { query: { limit: 50 } });
      const doc = Object.assign({ run: job.run_id }, first);
      show(doc);
      history.replaceState(null, "", `#/preview/${doc.run}`);  // a reload shows this run again
      say(`Preview ready: run ${doc.run}.`);
    } catch (e) {
      clear(out);
      showError(e, out);
      say("");
    } finally {
      button.disabled = false;
    }
  }
}

// ---- sync now, held runs and approval

async function syncPage() {
  if (!state.profiles.length) {
    put(main, noProfiles("Sync"));
    return;
  }
  const profile = profileSelect();
  const button = h("button", { type: "submit", class: "primary" }, "Sync now");
  const progress = h("div", { class: "progress-box" });
  const held = h("section", { class: "held", "aria-labelledby": "held-title" });
  const page = pageShell("Sync",
    h("form", { class: "card inline", on: { submit: start } }, profile, button),
    progress, held);
  put(main, page);
  await showHeld();

  async function start(event) {
    event.preventDefault();
    button.disabled = true;
    clear(progress);
    try {
      const started = await api("POST", tenantPath(`/profiles/${seg(profile.input.value)}/sync`), { body: {} });
      await follow(started.job, "Sync");
    } catch (e) {
      showError(e, progress);
    } finally {
      button.disabled = false;
    }
  }

  async function follow(jobId, what) {
    clear(progress);
    const bar = h("progress", { id: "job-progress", max: 100 });
    const label = h("label", { for: "job-progress" }, `${what} job ${jobId}: queued`);
    put(progress, label, bar);
    say(`${what} job ${jobId} queued.`);
    const job = await pollJob(jobId, (j) => {
      const p = j.progress || {};
      let text = `${what} job ${jobId}: ${j.status}`;
      const words = progressWords(p);
      if (words) text += ` (${words})`;
      label.textContent = text;
      if (p.total) {
        bar.max = p.total;
        bar.value = Math.min(p.done || 0, p.total);
      }
    });
    bar.max = 1;
    bar.value = 1;
    const outcome = h("div", { class: "outcome" });
    put(progress, outcome);
    if (job.run_id) {
      const run = await api("GET", tenantPath(`/runs/${job.run_id}`));
      put(outcome, 
        h("h2", {}, `Run ${run.id}: ${run.status}`),
        run.message ? h("p", {}, run.message) : null,
        summaryList(run.summary));
      say(`${what} job ${jobId} ${job.status}: run ${run.id} ${run.status}.`);
    } else {
      put(outcome, h("p", {}, `The job ${job.status}: ${job.message || "no run was recorded"}`));
      say(`${what} job ${jobId} ${job.status}.`);
    }
    await showHeld();
  }

  // The newest held run of the profile, with exactly the deletions approval would apply.
  async function showHeld() {
    clear(held);
    const doc = await api("GET", tenantPath("/runs"), { query: { limit: 20 } });
    const run = (doc.runs || []).find((r) => r.status === "held");
    if (!run) return;
    const deletions = await api("GET", tenantPath(`/runs/${run.id}/items`), { query: { action: "delete", limit: 50 } });
    const count = deletions.page ? deletions.page.matched : (deletions.items || []).length;
    const approve = h("button", { type: "button", class: "danger", on: { click: async () => {
      const ok = await confirmDialog({
        title: `Approve run ${run.id}?`,
        body: `This applies run ${run.id} of ${run.profile}, with its ${count} deletions. They cannot be undone from here.`,
        confirm: `Apply ${count} deletions`,
      });
      if (!ok) return;
      try {
        const started = await api("POST", tenantPath(`/runs/${run.id}/approve`));
        await follow(started.job, "Approval");
      } catch (e) {
        showError(e, held);
      }
    } } }, `Approve run ${run.id}…`);
    put(held, 
      h("h2", { id: "held-title" }, `Held run ${run.id} (${run.profile})`),
      h("p", {}, run.message),
      h("p", {}, `Approving applies these ${count} deletions:`),
      itemsTable(deletions.items || [], `Deletions of run ${run.id}`),
      count > (deletions.items || []).length ? h("p", {}, `The first ${(deletions.items || []).length} are shown; the History page has the full report.`) : null,
      approve);
  }
}

// ---- history

async function historyPage() {
  const doc = await api("GET", tenantPath("/runs"), { query: { limit: 50 } });
  const runs = doc.runs || [];
  const last = doc.last_successful_sync || {};
  const lastList = h("ul", {}, Object.entries(last).map(([p, id]) =>
    h("li", {}, `${p}: `, id ? `run ${id}` : "no successful sync yet")));
  const body = h("tbody");
  for (const r of runs) {
    const s = r.summary || {};
    const counts = `+${s.create || 0} ~${s.update || 0} −${s.delete || 0} (pending ${s.pending_delete || 0}), ` +
      `${s.skipped || 0} skipped, ${s.conflicts || 0} conflicts, ${s.errors || 0} errors`;
    const downloads = h("div", { class: "downloads" }, ["xlsx", "html", "csv"].map((format) =>
      h("button", { type: "button", "data-format": format, "aria-label": `Download run ${r.id} as ${format.toUpperCase()}`,
        on: { click: async () => {
          try {
            await download(tenantPath(`/runs/${r.id}/report`), { format });
            say(`Run ${r.id} downloaded as ${format.toUpperCase()}.`);
          } catch (e) {
            showError(e);
          }
        } } }, format.toUpperCase())));
    put(body, h("tr", {},
      h("td", {}, String(r.id)), h("td", {}, h("bdi", {}, r.profile)), h("td", {}, r.kind),
      h("td", {}, h("span", { class: "badge " + r.status }, r.status)), h("td", {}, when(r.started_at)),
      h("td", {}, counts),
      h("td", { class: "message" },
        // purged_at (RFC 3339): the run's items were purged after history.keep_days; its
        // counts stay, its report lists no user.
        r.purged_at ? h("p", { class: "purged" },
          `Items purged on ${r.purged_at.slice(0, 10)} (history.keep_days): the report lists no user, and the run cannot be reverted.`) : null,
        r.message || ""),
      h("td", {}, downloads)));
  }
  if (!runs.length) put(body, h("tr", {}, h("td", { colspan: 8 }, "No run yet.")));
  put(main, pageShell("History",
    h("h2", {}, "Last successful sync"), lastList,
    h("h2", {}, "Runs"),
    scrollBox(h("table", { class: "runs" },
      h("caption", { class: "visually-hidden" }, "Runs, newest first"),
      h("thead", {}, h("tr", {}, ["Run", "Profile", "Kind", "Status", "Started", "Counts", "Message", "Report"]
        .map((t) => h("th", { scope: "col" }, t)))), body))));
}

// ---- users

async function usersPage() {
  const search = h("input", { type: "search", name: "q", placeholder: "username, e-mail or name" });
  const results = h("div", { class: "results" });
  const detail = h("div", { class: "user-detail" });
  const view = { q: "", offset: 0 };
  const limit = 50;
  let latest = 0;  // only the newest request's answer is shown (answers may cross)
  put(main, pageShell("Users",
    h("form", { class: "card inline", role: "search", on: { submit: (e) => {
      e.preventDefault();
      view.q = search.value.trim();
      view.offset = 0;
      load();
    } } }, field("Search users", search), h("button", { type: "submit" }, "Search")),
    results, detail));
  await load();

  async function load() {
    const mine = ++latest;
    try {
      const doc = await api("GET", tenantPath("/users"), { query: { q: view.q, offset: view.offset, limit } });
      if (mine !== latest) return;
      clear(results);
      const users = Array.isArray(doc) ? doc : doc.users || [];  // the API answers an array
      const body = h("tbody");
      for (const u of users) {
        put(body, h("tr", {},
          h("td", { class: "name" }, h("button", { type: "button", class: "link", on: { click: () => show(u.username) } },
            h("bdi", {}, u.username))),
          h("td", {}, h("bdi", {}, u.display_name || "")), h("td", {}, u.email || ""), h("td", {}, u.extension || ""),
          h("td", {}, u.state)));
      }
      if (!users.length) put(body, h("tr", {}, h("td", { colspan: 5 }, "No user found.")));
      put(results, scrollBox(h("table", {},
        h("caption", { class: "visually-hidden" }, "Users"),
        h("thead", {}, h("tr", {}, ["Username", "Name", "E-mail", "Extension", "State"].map((t) => h("th", { scope: "col" }, t)))),
        body)),
      h("div", { class: "pager" },
        h("button", { type: "button", disabled: view.offset === 0, on: { click: () => {
          view.offset = Math.max(0, view.offset - limit);
          load();
        } } }, "Previous page"),
        h("button", { type: "button", disabled: users.length < limit, on: { click: () => {
          view.offset += limit;
          load();
        } } }, "Next page")));
    } catch (e) {
      showError(e, results);
    }
  }

  async function show(name) {
    clear(detail);
    try {
      const u = await api("GET", tenantPath(`/users/${seg(name)}`));
      const rows = Object.entries(u).filter(([k, v]) => typeof v !== "object" || v === null)
        .map(([k, v]) => h("div", { class: "kv" }, h("dt", {}, k), h("dd", {}, h("bdi", {}, String(v ?? "")))));
      const title = h("h2", { id: "user-title", tabindex: "-1" }, "User ", h("bdi", {}, u.username));
      put(detail, h("section", { class: "card", "aria-labelledby": "user-title" },
        title,
        h("dl", {}, rows,
          h("div", { class: "kv" }, h("dt", {}, "groups"), h("dd", {}, (u.groups || []).join(", ")))),
        explainBox(u),
        u.profile ? h("button", { type: "button", on: { click: async () => {
          try {
            const started = await api("POST", tenantPath(`/profiles/${seg(u.profile)}/sync`), { body: { user: u.username } });
            say(`Syncing ${u.username}: job ${started.job} queued.`);
            const job = await pollJob(started.job, () => {});
            say(`Syncing ${u.username}: job ${job.job} ${job.status}${job.message ? ": " + job.message : ""}.`);
          } catch (e) {
            showError(e, detail);
          }
        } } }, "Sync this user now") : null,
        " ",
        exclusionButton(u),
        " ",
        h("button", { type: "button", class: "danger", on: { click: async () => {
          const ok = await confirmDialog({ title: `Unlink ${u.username}?`,
            body: "No sync changes this user until it is adopted again.", confirm: "Unlink" });
          if (!ok) return;
          try {
            await api("POST", tenantPath(`/users/${seg(u.username)}/unlink`));
            say(`${u.username} is unlinked.`);
            await show(u.username);
          } catch (e) {
            showError(e, detail);
          }
        } } }, "Unlink…")));
      title.focus();
      await explainNow();
    } catch (e) {
      showError(e, detail);
    }
  }

  // Exclude from syncs (the exclusion group, F11) or include again, after a confirmation:
  // POST .../users/{name}/exclude|include, whose answer names the group.
  function exclusionButton(u) {
    const groups = new Set(state.profiles.map((p) => (p.policy || {}).exclusion_group).filter(Boolean));
    const inGroup = (u.groups || []).find((g) => groups.has(g));
    const verb = inGroup ? "include" : "exclude";
    return h("button", { type: "button", class: inGroup ? "" : "danger", on: { click: async () => {
      const ok = await confirmDialog(inGroup
        ? { title: `Include ${u.username} in syncs again?`,
          body: `${u.username} leaves group "${inGroup}": the next sync manages it again, and may change or delete it.`,
          confirm: "Include" }
        : { title: `Exclude ${u.username} from syncs?`,
          body: `${u.username} joins the exclusion group: no sync changes or deletes it until it is included again.`,
          confirm: "Exclude" });
      if (!ok) return;
      try {
        const doc = await api("POST", tenantPath(`/users/${seg(u.username)}/${verb}`));
        say(doc.excluded
          ? `${doc.username} is now in group "${doc.group}": syncs leave it alone.`
          : `${doc.username} is no longer in group "${doc.group}": syncs manage it again.`);
        await show(u.username);
      } catch (e) {
        showError(e, detail);
      }
    } } }, inGroup ? "Include in syncs…" : "Exclude from syncs…");
  }

  // "Why this user is as it is": the profile's explanation of the user, asked for at once
  // with the user's own profile (or the tenant's first), again with another one on demand.
  let explainNow = async () => {};
  function explainBox(u) {
    const select = profileSelect("Explain with profile");
    if (state.profiles.some((p) => p.name === u.profile)) select.input.value = u.profile;
    const out = h("div", { id: "explain-slot", "aria-live": "polite" });
    explainNow = async () => {
      clear(out);
      if (!select.input.value) {
        put(out, h("p", { class: "hint" }, "This tenant has no profile to explain the user with."));
        return;
      }
      put(out, h("p", { class: "busy" }, "Reading the source and planning this user…"));
      try {
        const doc = await api("GET", tenantPath(`/profiles/${seg(select.input.value)}/explain`),
          { query: { user: u.username } });
        clear(out);
        put(out, explanationView(doc));
      } catch (e) {
        clear(out);
        showError(e, out);
      }
    };
    return h("section", { class: "explain", "aria-labelledby": "explain-title" },
      h("h3", { id: "explain-title" }, "Why this user is as it is"),
      h("form", { class: "inline", on: { submit: (e) => {
        e.preventDefault();
        explainNow();
      } } }, select, h("button", { type: "submit" }, "Explain")),
      out);
  }
}

// ---- departments, ring groups and targets

async function directoryPage() {
  const [deps, targets] = await Promise.all([
    api("GET", tenantPath("/departments")),
    api("GET", tenantPath("/targets")).catch((e) => ({ error: e })),
  ]);
  const depBody = h("tbody");
  for (const d of deps.departments || []) {
    put(depBody, h("tr", {}, h("td", {}, h("bdi", {}, d.name)), h("td", {}, d.profile),
      h("td", {}, d.ring_group || ""), h("td", {}, String(Array.isArray(d.members) ? d.members.length : d.members))));
  }
  if (!(deps.departments || []).length) put(depBody, h("tr", {}, h("td", { colspan: 4 }, "No department.")));
  const targetRows = h("tbody");
  for (const t of targets.targets || []) {
    put(targetRows, h("tr", {}, h("td", {}, t.name || ""), h("td", {}, t.type || ""),
      h("td", {}, String(t.lag ?? "")), h("td", {}, when(t.last_delivery_at || t.last_delivery)),
      h("td", {}, t.last_error || ""), h("td", {}, String(t.dead ?? t.dead_events ?? ""))));
  }
  if (!(targets.targets || []).length) put(targetRows, h("tr", {}, h("td", { colspan: 6 }, targets.error ? targets.error.message : "No target.")));
  put(main, pageShell("Departments & targets",
    h("h2", {}, "Departments and ring groups"),
    scrollBox(h("table", {}, h("caption", { class: "visually-hidden" }, "Departments"),
      h("thead", {}, h("tr", {}, ["Department", "Profile", "Ring group", "Members"].map((t) => h("th", { scope: "col" }, t)))), depBody)),
    h("h2", {}, "Targets"),
    scrollBox(h("table", {}, h("caption", { class: "visually-hidden" }, "Targets"),
      h("thead", {}, h("tr", {}, ["Target", "Type", "Waiting", "Last delivery", "Last error", "Dead"].map((t) => h("th", { scope: "col" }, t)))), targetRows))));
}

// ---- start

if (token()) {
  loadSession().then(route).catch((e) => {
    if (!(e instanceof ApiError && e.status === 401)) signInPage(e.message);
  });
} else {
  signInPage();
}
