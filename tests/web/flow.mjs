// The admin page's end-to-end flow in a real browser (issue 19): playwright-core drives
// Debian's chromium against a real `telsync serve` that tests/integration/test_web.py started
// on the demo directory. Every page visited is checked by axe-core (0 serious or critical
// violations), for horizontal scroll at 1280 and 390 px, and for CSP violations.
//
// Environment: BASE (http://127.0.0.1:PORT), ADMIN_TOKEN (contoso), OPERATOR_TOKEN, WORKDIR
// (the served directory: directory.json is swapped there), NEXT_DIRECTORY (the export that
// makes the next sync hold), OUT (downloads). SCREENSHOTS=dir also writes a PNG of each page
// at 1280 and 390 px (scripts/web-screenshots.sh). Prints one JSON line of results; exits
// non-zero with the failing check on stderr.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env("BASE");
const ADMIN = env("ADMIN_TOKEN");
const OPERATOR = env("OPERATOR_TOKEN");
const WORKDIR = env("WORKDIR");
const NEXT_DIRECTORY = env("NEXT_DIRECTORY");
const OUT = env("OUT");
const SHOTS = process.env.SCREENSHOTS || "";

const results = { pages: [], axe: {}, downloads: {} };
const problems = [];
const urls = [];
const cspErrors = [];

function check(condition, message) {
  if (!condition) throw new Error("check failed: " + message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
const page = await context.newPage();
page.setDefaultTimeout(60000);
page.on("request", (r) => urls.push(r.url()));
page.on("console", (m) => {
  if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
});
page.on("pageerror", (e) => problems.push("page error: " + e.message));

// axe-core on the page as it is now: 0 serious or critical violations. It is evaluated over
// the DevTools protocol, not injected as a script tag the page's CSP would refuse.
async function axe(name) {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
      target: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  const bad = found.filter((v) => v.impact === "serious" || v.impact === "critical");
  results.axe[name] = { violations: found.length, serious_or_critical: bad.length,
    ids: found.map((v) => `${v.id}:${v.impact}`) };
  check(bad.length === 0, `axe on ${name}: ${JSON.stringify(bad)}`);
}

// No horizontal scroll at this width.
async function noHorizontalScroll(name) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  check(scroll <= client + 1, `${name}: horizontal scroll at ${client} px (content ${scroll} px)`);
}

// A name in a table's name cell.
const cell = (text) => page.locator("td.name bdi").getByText(text, { exact: true });

// Visits a page by its nav link and runs the page checks at 1280 and 390 px.
async function visit(id, heading) {
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: heading, exact: true }).click();
  await page.waitForFunction((p) => location.hash === "#/" + p, id);
  await page.locator("#page-title").waitFor();
  await page.waitForLoadState("networkidle");
  await pageChecks(id);
}

async function pageChecks(name) {
  results.pages.push(name);
  await axe(name);
  await noHorizontalScroll(name + " at 1280");
  await shot(name, 1280);
  await page.setViewportSize({ width: 390, height: 844 });
  await noHorizontalScroll(name + " at 390");
  await shot(name, 390);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function shot(name, width) {
  if (!SHOTS) return;
  await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`) });
}

async function signIn(token, role) {
  await page.getByLabel("Admin or operator token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".role", { hasText: role }).waitFor();
}

async function signOut() {
  await page.locator("#sign-out").click();
  await page.getByLabel("Admin or operator token").waitFor();
  const stored = await page.evaluate(() => sessionStorage.getItem("telsync.token"));
  check(stored === null, "the token is forgotten on sign-out");
}

// The REST API from node (not the page): what an outside system does, e.g. Entra's SCIM push.
async function rest(method, p, body, token = ADMIN, type = "application/json") {
  const r = await fetch(BASE + p, { method, body: body ? JSON.stringify(body) : undefined,
    headers: { Authorization: "Bearer " + token, "Content-Type": type } });
  return { status: r.status, doc: await r.json().catch(() => null) };
}

// The action and text the Preview page shows for the item of `username` (searched by `query`)
// in a preview of `profile` run now; without a username, for the first item found.
async function previewRow(profile, query, username = "") {
  await visit("preview", "Preview");
  await page.getByLabel("Profile").selectOption(profile);
  await page.getByRole("button", { name: "Run preview" }).click();
  await page.locator(".range").waitFor();
  await page.getByLabel("Search").fill(query);
  await page.getByRole("button", { name: "Filter" }).click();
  await page.locator(".range").filter({ hasText: /^1–\d+ of \d+$/ }).waitFor();
  const row = username ? page.locator("table.items tbody tr", { has: cell(username) })
    : page.locator("table.items tbody tr").first();
  await row.waitFor();
  return { action: await row.locator(".badge").textContent(), text: await row.textContent() };
}

// Opens `username` on the Users page and waits for its explanation.
async function openUser(username) {
  await visit("users", "Users");
  await page.getByLabel("Search users").fill(username);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll("td.name button").length === 1);
  await page.getByRole("button", { name: username, exact: true }).click();
  await page.locator("#user-title").filter({ hasText: username }).waitFor();
  await page.locator("#explain-slot .explanation").waitFor();
  return (await page.locator("#explain-slot .explain-action .badge").textContent()).trim();
}

async function waitOutcome(pattern) {
  const outcome = page.locator(".outcome h2");
  await outcome.waitFor();
  const text = await outcome.textContent();
  check(pattern.test(text), `outcome "${text}" matches ${pattern}`);
  return text;
}

try {
  // ---- the page and its headers
  const first = await page.goto(BASE + "/");
  const headers = first.headers();
  check(/frame-ancestors 'none'/.test(headers["content-security-policy"] || ""), "CSP header");
  check(headers["referrer-policy"] === "no-referrer", "Referrer-Policy");
  check(headers["x-content-type-options"] === "nosniff", "nosniff");
  await page.getByLabel("Admin or operator token").waitFor();
  await pageChecks("signin");

  // A wrong token: refused in words, still on sign-in.
  await page.getByLabel("Admin or operator token").fill("not-a-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "not accepted" }).waitFor();

  // ---- 1. sign in as contoso's admin
  await signIn(ADMIN, "Tenant admin");
  check(!(await page.getByRole("link", { name: "Tenants", exact: true }).count()), "no Tenants page for a tenant admin");

  // ---- 2. create a profile: an error at its field first, then the profile
  await visit("profiles", "Profiles");
  await page.getByRole("button", { name: "New profile" }).click();
  const form = page.locator("form.profile-form");
  await form.getByLabel("Name", { exact: true }).fill("branch");
  await form.getByLabel("Source type").selectOption("ldap");
  await form.getByLabel("Server URL (ldaps://host)").fill("ldap://127.0.0.1:1");
  await form.getByLabel("Bind DN").fill("cn=reader,dc=branch");
  await form.getByLabel("Bind password").fill("Web-Secret-42");
  await form.getByLabel("User search base DN").fill("dc=branch");
  await form.getByLabel("Schedules (cron, one per line)").fill("30 1 * * *");
  await form.getByLabel("Time zone").fill("Europe/Stockholm");
  await form.getByLabel("Time zone").dispatchEvent("change");
  // The list of the default schedule stays until the answer for the typed one replaces it.
  await page.waitForFunction(() => {
    const items = [...document.querySelectorAll(".next-runs li")];
    return items.length === 5 && items.every((li) => / 01:30 /.test(li.textContent));
  });
  results.next_runs = await page.locator(".next-runs li").allTextContents();
  check(results.next_runs.every((t) => / 01:30 \+0[12]:00$/.test(t)), "next runs at 01:30 Stockholm time: " + results.next_runs);
  // A bad mode in the pasted settings: the API's error is shown at the field it names.
  await form.getByLabel("Other settings (JSON: mapping, validation, policy…)").fill('{"validation": {"phone_mode": "sloppy"}}');
  await form.getByRole("button", { name: "Create profile" }).click();
  const fieldError = form.locator(".field-error:not([hidden])").first();
  await fieldError.waitFor();
  results.field_error = await fieldError.textContent();
  await pageChecks("profile-error");
  await form.getByLabel("Other settings (JSON: mapping, validation, policy…)").fill("");
  await form.getByRole("button", { name: "Create profile" }).click();
  await cell("branch").waitFor();
  // Secrets are write-only: editing shows an empty password field, never the value.
  await page.getByRole("button", { name: "Edit branch" }).click();
  await page.locator("form.profile-form").waitFor();
  check(await page.locator("form.profile-form").getByLabel("Bind password").inputValue() === "", "the secret is not shown");
  check(!(await page.content()).includes("Web-Secret-42"), "the secret is nowhere in the page");
  await page.locator("form.profile-form").getByRole("button", { name: "Cancel" }).click();

  // ---- 3. test the connection: the LDAP server is not there, in words; the file source works
  await page.getByRole("button", { name: "Test connection of branch" }).click();
  await page.locator("#test-result").filter({ hasText: "Failed:" }).waitFor();
  results.test_branch = await page.locator("#test-result").textContent();
  await page.getByRole("button", { name: "Test connection of phones" }).click();
  await page.locator("#test-result").filter({ hasText: "OK:" }).waitFor();
  results.test_phones = await page.locator("#test-result").textContent();
  check(await page.locator(".sample li").count() > 0, "a sample of users");
  await pageChecks("test-connection");

  // ---- the mapping editor: the sample user's fields follow the expressions as they are typed
  await page.getByRole("button", { name: "Mapping of phones" }).click();
  const displayName = page.getByLabel("Expression for display_name");
  await displayName.waitFor();
  await page.locator('tr[data-field="display_name"] output').filter({ hasText: "Ada Lovelace" }).waitFor();
  await displayName.fill('join(" ", upper({surname}), {givenName})');
  await page.locator('tr[data-field="display_name"] output').filter({ hasText: "LOVELACE Ada" }).waitFor();
  await displayName.fill("e165({surname})");
  await page.locator('tr[data-field="display_name"] .field-error:not([hidden])').waitFor();
  results.mapping_error = await page.locator('tr[data-field="display_name"] .field-error').textContent();
  await pageChecks("mapping");
  // phones is the config file's: the editor says so and offers no Save.
  check(!(await page.getByRole("button", { name: "Save mapping" }).count()), "no Save for a config profile");

  // ---- the mapping editor saves into a profile created here: a SCIM profile that Entra
  // pushed one user to. A wrong expression is refused at its field; then the preview
  // plans the saved mapping.
  await page.getByRole("button", { name: "New profile" }).click();
  await form.getByLabel("Name", { exact: true }).fill("pushed");
  await form.getByLabel("Source type").selectOption("scim");
  // Keys the form has no control for: every later save (the mapping's, the form's) keeps them.
  await form.getByLabel("Other settings (JSON: mapping, validation, policy…)").fill(
    '{"policy": {"protect_mobile": true}, "validation": {"default_region": "SE"}}');
  await form.getByRole("button", { name: "Create profile" }).click();
  await cell("pushed").waitFor();
  const scimToken = await rest("POST", "/api/v1/tenants/contoso/tokens", { kind: "scim", label: "web test" });
  check(scimToken.status === 201, "a SCIM token: " + JSON.stringify(scimToken));
  const pushed = await rest("POST", "/scim/v2/contoso/Users", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada.scim@contoso.example",
    active: true, displayName: "Ada Lovelace", name: { givenName: "Ada", familyName: "Lovelace" },
    emails: [{ value: "ada.scim@contoso.example", type: "work", primary: true }],
    phoneNumbers: [{ value: "+46 8 555 0100", type: "work" }] }, scimToken.doc.token, "application/scim+json");
  check(pushed.status === 201, "the SCIM push: " + JSON.stringify(pushed));
  await page.getByRole("button", { name: "Mapping of pushed" }).click();
  const pushedName = page.getByLabel("Expression for display_name");
  await page.locator('tr[data-field="display_name"] output').filter({ hasText: "Ada Lovelace" }).waitFor();
  await pushedName.fill("e165({name.familyName})");
  await page.locator('tr[data-field="display_name"] .field-error:not([hidden])').waitFor();
  const saveMapping = page.getByRole("button", { name: "Save mapping" });
  await saveMapping.click();
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll(".mapping button")].find((x) => x.textContent === "Save mapping");
    return b && !b.disabled;  // disabled while the PUT is under way
  });
  results.mapping_save_error = await page.locator('tr[data-field="display_name"] .field-error').textContent();
  check(/e165/.test(results.mapping_save_error), "the refusal at its field: " + results.mapping_save_error);
  check(!/^Mapping of pushed saved/.test(await page.locator("#status").textContent()), "a wrong mapping is not saved");
  const unsaved = await rest("GET", "/api/v1/tenants/contoso/profiles/pushed");
  check(!JSON.stringify(unsaved.doc.mapping || {}).includes("e165"), "the profile kept its mapping");
  await pushedName.fill('join(" ", upper({name.familyName}), {name.givenName})');
  await page.locator('tr[data-field="display_name"] output').filter({ hasText: "LOVELACE Ada" }).waitFor();
  await page.getByRole("button", { name: "Save mapping" }).click();
  await page.locator("#status").filter({ hasText: /^Mapping of pushed saved \(version \d+\)\.$/ }).waitFor();
  results.mapping_saved = await page.locator("#status").textContent();
  await pageChecks("mapping-saved");
  const kept = (await rest("GET", "/api/v1/tenants/contoso/profiles/pushed")).doc.document;
  check(kept.policy.protect_mobile === true && kept.validation.default_region === "SE" &&
    /upper/.test(kept.mapping.display_name), "the mapping's save kept the other keys: " + JSON.stringify(kept));
  // The profile form shows those keys and a save keeps them (the whole document goes back).
  await page.getByRole("button", { name: "Edit pushed" }).click();
  const editForm = page.locator("form.profile-form");
  const other = await editForm.getByLabel("Other settings (JSON: mapping, validation, policy…)").inputValue();
  check(/protect_mobile/.test(other) && /default_region/.test(other) && /upper/.test(other),
    "the form shows the keys it has no control for: " + other);
  await editForm.getByLabel("Time zone").fill("UTC");
  await editForm.getByRole("button", { name: "Save" }).click();
  await page.locator("#status").filter({ hasText: /^Profile pushed saved \(version \d+\)\.$/ }).waitFor();
  const edited = (await rest("GET", "/api/v1/tenants/contoso/profiles/pushed")).doc.document;
  check(edited.timezone === "UTC" && edited.policy.protect_mobile === true &&
    edited.validation.default_region === "SE" && /upper/.test(edited.mapping.display_name),
    "the form's save kept the other keys: " + JSON.stringify(edited));

  // ---- 4. preview: counts, filter, search, paging
  await visit("preview", "Preview");
  await page.getByLabel("Profile").selectOption("phones");
  await page.getByRole("button", { name: "Run preview" }).click();
  await page.locator(".range").waitFor();
  results.preview_range = await page.locator(".range").textContent();
  check(urls.some((u) => /\/profiles\/phones\/preview\?job=true$/.test(u)), "the preview ran as a job");
  check(!urls.some((u) => /\/preview\?limit=/.test(u)), "the plan was read from the run, page by page");
  check(/^1–50 of \d+$/.test(results.preview_range), "first page: " + results.preview_range);
  check(await page.locator("table.items tbody tr").count() === 50, "50 rows on a page");
  await pageChecks("preview-report");
  // The page's address is now the run's: a reload reads its first page again from the server.
  results.preview_link = await page.evaluate(() => location.hash);
  check(/^#\/preview\/\d+$/.test(results.preview_link), "the run's address: " + results.preview_link);
  await page.reload();
  await page.locator(".range").filter({ hasText: results.preview_range }).waitFor();
  check(await page.evaluate(() => performance.getEntriesByName("telsync:first-page").length) === 1, "the first page's mark");
  check(await page.getByLabel("Profile").inputValue() === "phones", "the run's profile is selected");
  await page.getByRole("button", { name: "Next page" }).click();
  await page.locator(".range").filter({ hasText: /^51–100 of/ }).waitFor();
  await page.getByRole("button", { name: /Errors$/ }).click();
  await page.locator(".range").filter({ hasText: /^1–\d+ of \d+$/ }).waitFor();
  results.preview_errors = await page.locator(".range").textContent();
  check(await page.locator("table.items .badge").evaluateAll((b) => b.every((x) => x.textContent === "error")), "only errors");
  await page.getByLabel("Show").selectOption("");
  await page.getByLabel("Search").fill("LONGNAME");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.locator(".range").filter({ hasText: "1–1 of 1" }).waitFor();
  await pageChecks("preview-search");
  // The saved mapping is what the preview of the SCIM profile plans.
  results.pushed_preview = await previewRow("pushed", "LOVELACE Ada");
  check(/LOVELACE Ada/.test(results.pushed_preview.text), "the preview plans the saved mapping: " + results.pushed_preview.text);

  // ---- 5. sync now, with progress
  await visit("sync", "Sync");
  await page.getByLabel("Profile").selectOption("phones");
  await page.getByRole("button", { name: "Sync now" }).click();
  results.sync = await waitOutcome(/^Run \d+: (success|partial)$/);
  await pageChecks("sync-outcome");

  // ---- 6. a later run, held at its deletion threshold: approve it
  fs.copyFileSync(NEXT_DIRECTORY, path.join(WORKDIR, "directory.json"));
  await page.getByRole("button", { name: "Sync now" }).click();
  results.held = await waitOutcome(/^Run \d+: held$/);
  const approve = page.getByRole("button", { name: /^Approve run \d+/ });
  await approve.waitFor();
  results.held_deletions = await page.locator(".held table.items tbody tr").count();
  await pageChecks("held");
  // The dialog takes the focus, Cancel gives it back and applies nothing.
  await approve.click();
  const dialog = page.getByRole("dialog");
  await dialog.waitFor();
  check(await page.evaluate(() => document.getElementById("dialog").contains(document.activeElement)), "focus in the dialog");
  await axe("approve-dialog");
  await shot("approve-dialog", 1280);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  check(await approve.evaluate((b) => b === document.activeElement), "focus back on Approve");
  await approve.click();
  await dialog.getByRole("button", { name: /^Apply \d+ deletions$/ }).click();
  await page.locator(".progress-box label").filter({ hasText: /^Approval job/ }).waitFor();
  results.approved = await waitOutcome(/^Run \d+: (success|partial)$/);
  check(!(await page.getByRole("button", { name: /^Approve run/ }).count()), "no held run left");

  // ---- 7. history: download the held run's XLSX (and the CSV)
  await visit("history", "History");
  const heldId = results.held.match(/^Run (\d+)/)[1];
  for (const format of ["xlsx", "csv"]) {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: `Download run ${heldId} as ${format.toUpperCase()}` }).click(),
    ]);
    const file = path.join(OUT, `run-${heldId}.${format}`);
    await download.saveAs(file);
    results.downloads[format] = { file, name: download.suggestedFilename() };
  }

  // ---- 8. users: search, show, explain one user
  const username = "francoise.lefevre0";
  results.user = username;
  const explained = await openUser(username);
  results.explain = {
    action: explained,
    sections: await page.locator("#explain-slot .explain-step h4").allTextContents(),
    mapping_rows: await page.locator("#explain-slot table.mapping tbody tr").count(),
    display_name: (await page.locator('#explain-slot table.mapping tr[data-field="display_name"] td.mapped').textContent()).trim(),
  };
  check(results.explain.sections.length === 10, "ten steps: " + results.explain.sections);
  check(results.explain.mapping_rows > 5, "the mapping step lists the fields");
  await pageChecks("user");
  if (SHOTS) await page.locator("section.explain").screenshot({ path: path.join(SHOTS, "user-explain-1280.png") });
  await page.getByRole("button", { name: "Sync this user now" }).click();
  await page.locator("#status").filter({ hasText: /job \d+ (done|failed)/ }).waitFor();
  results.user_sync = await page.locator("#status").textContent();
  // The explanation's result is the preview's item for the user.
  const planned = await previewRow("phones", username, username);
  results.preview_user_action = planned.action;
  check(planned.action === explained, `the explanation (${explained}) is the preview's action (${planned.action})`);

  // ---- exclude the user: the next preview skips it; include it: planned as before
  await openUser(username);
  await page.getByRole("button", { name: "Exclude from syncs…" }).click();
  await dialog.getByRole("button", { name: "Exclude", exact: true }).click();
  await page.locator("#status").filter({ hasText: /is now in group "Non AD sync"/ }).waitFor();
  await page.locator("#explain-slot .explain-action .badge").filter({ hasText: /^skip$/ }).waitFor();
  await page.getByRole("button", { name: "Include in syncs…" }).waitFor();
  await pageChecks("user-excluded");
  const skipped = await previewRow("phones", username, username);
  results.excluded_preview = skipped;
  check(skipped.action === "skip" && /in group "Non AD sync"/.test(skipped.text), "the excluded user is skipped: " + skipped.text);
  await openUser(username);
  await page.getByRole("button", { name: "Include in syncs…" }).click();
  await dialog.getByRole("button", { name: "Include", exact: true }).click();
  await page.locator("#status").filter({ hasText: /is no longer in group "Non AD sync"/ }).waitFor();
  await page.getByRole("button", { name: "Exclude from syncs…" }).waitFor();
  const included = await previewRow("phones", username, username);
  results.included_preview_action = included.action;
  check(included.action === explained, `included again, planned as before: ${included.action}`);
  await visit("directory", "Departments & targets");

  // ---- 9. sign out
  await signOut();

  // ---- the operator: create a tenant (long RTL / CJK display name), rename, tokens, delete
  await signIn(OPERATOR, "Operator");
  await visit("tenants", "Tenants");
  // The longest display name the API takes (200 bytes), right-to-left and CJK.
  let longName = "";
  for (const c of "مرحبا بالعالم 東京都千代田区丸の内 ".repeat(20)) {
    if (Buffer.byteLength(longName + c) > 200) break;
    longName += c;
  }
  await page.getByLabel("Name (a-z, 0-9, - and _)").fill("fabrikam");
  await page.getByLabel("Display name", { exact: true }).fill(longName);
  await page.getByRole("button", { name: "Create tenant" }).click();
  const secret = page.locator("#secret-value");
  await secret.waitFor();
  const fabrikamToken = (await secret.textContent()).trim();
  await axe("secret-dialog");
  await page.getByRole("button", { name: "I have kept it" }).click();
  await cell("fabrikam").waitFor();
  await pageChecks("tenants");
  await page.getByRole("button", { name: "Rename fabrikam" }).click();
  await page.getByLabel("New display name of fabrikam").fill("Fabrikam AB");
  await page.getByRole("button", { name: "Save" }).click();
  await cell("Fabrikam AB").waitFor();
  await page.getByRole("button", { name: "Tokens of fabrikam" }).click();
  await page.locator("#tokens-title").waitFor();
  // A tenant deleted with its name typed.
  await page.getByLabel("Name (a-z, 0-9, - and _)").fill("short-lived");
  await page.getByLabel("Display name", { exact: true }).fill("");
  await page.getByRole("button", { name: "Create tenant" }).click();
  await page.getByRole("button", { name: "I have kept it" }).click();
  await page.getByRole("button", { name: "Delete short-lived" }).click();
  const confirmButton = dialog.getByRole("button", { name: "Delete tenant" });
  check(await confirmButton.isDisabled(), "delete waits for the typed name");
  await dialog.getByLabel("Type short-lived to confirm").fill("short-live");
  check(await confirmButton.isDisabled(), "a wrong name does not delete");
  await dialog.getByLabel("Type short-lived to confirm").fill("short-lived");
  await confirmButton.click();
  await cell("short-lived").waitFor({ state: "detached" });
  await signOut();

  // ---- a tenant admin sees their tenant only
  await signIn(fabrikamToken, "Tenant admin");
  const options = await page.locator("#tenant-select option").evaluateAll((o) => o.map((x) => x.value));
  check(JSON.stringify(options) === '["fabrikam"]', "fabrikam's admin sees fabrikam only: " + options);
  results.other_tenant_status = await page.evaluate(async () => (await fetch("/api/v1/tenants/contoso/runs", {
    headers: { Authorization: "Bearer " + sessionStorage.getItem("telsync.token") } })).status);
  check(results.other_tenant_status === 401 || results.other_tenant_status === 404, "another tenant is refused");
  // An expired token brings the admin back to sign-in, in words.
  await page.evaluate(() => sessionStorage.setItem("telsync.token", "expired-token"));
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "History" }).click();
  await page.getByRole("alert").filter({ hasText: "Sign in again" }).waitFor();
  await page.getByLabel("Admin or operator token").waitFor();

  // ---- the token never went into a URL; the CSP was never violated
  for (const t of [ADMIN, OPERATOR, fabrikamToken]) {
    check(!urls.some((u) => u.includes(t)), "a token in a URL");
  }
  check(cspErrors.length === 0, "CSP violations: " + cspErrors.join(" | "));
  check(problems.length === 0, problems.join(" | "));
  results.ok = true;
  console.log(JSON.stringify(results));
} catch (e) {
  try {
    await page.screenshot({ path: path.join(OUT, "failure.png"), fullPage: true });
  } catch (ignored) {
    // the browser is gone: the error says why
  }
  console.error(e.stack || String(e));
  console.error("visited: " + results.pages.join(", "));
  console.log(JSON.stringify(results));
  process.exitCode = 1;
} finally {
  await browser.close();
}
