// The admin page's first page of a large preview (issue 19), timed by the browser's own clock:
// Debian's chromium (playwright-core from tests/web/node_modules) opens #/preview/RUN of a
// preview already done, and the page marks "telsync:first-page" when the first 50 items are
// in the table (web/app.js). The time is that mark's startTime: milliseconds from the start of
// the navigation (performance.timeOrigin), the page's HTML, scripts, sign-in check, profile
// list and the first page of items included. Each try is a fresh browser context (nothing
// cached). Prints one JSON line: the tries, their median, the items response's size.
//
// Environment: BASE (http://127.0.0.1:PORT), TOKEN (the tenant's admin token), TENANT, RUN (the
// preview's run id), SIZE (the preview's item count, checked on the page), TRIES (default 5),
// CHROMIUM (default /usr/bin/chromium).
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../tests/web/package.json"));
const { chromium } = require("playwright-core");

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env("BASE");
const TOKEN = env("TOKEN");
const TENANT = env("TENANT");
const RUN = env("RUN");
const SIZE = Number(env("SIZE"));
const TRIES = Number(env("TRIES", "5"));

const browser = await chromium.launch({
  executablePath: env("CHROMIUM", "/usr/bin/chromium"),
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const tries = [];
let itemsBytes = 0;
let wholePlanFetched = false;
try {
  for (let i = 0; i < TRIES; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Signed in as the page keeps it (sessionStorage), before the page's scripts run.
    await context.addInitScript(([token, tenant]) => {
      sessionStorage.setItem("telsync.token", token);
      sessionStorage.setItem("telsync.tenant", tenant);
    }, [TOKEN, TENANT]);
    const page = await context.newPage();
    page.setDefaultTimeout(120000);
    page.on("response", async (r) => {
      const url = new URL(r.url());
      if (!url.pathname.endsWith(`/runs/${RUN}/items`)) return;
      if (!url.searchParams.has("limit")) wholePlanFetched = true;
      try {
        itemsBytes = Math.max(itemsBytes, (await r.body()).length);
      } catch (e) {
        // the context closed first: the size of another try counts
      }
    });
    await page.goto(`${BASE}/#/preview/${RUN}`);
    await page.waitForFunction(() => performance.getEntriesByName("telsync:first-page").length > 0);
    const ms = await page.evaluate(() => performance.getEntriesByName("telsync:first-page")[0].startTime);
    const range = await page.locator(".range").textContent();
    const rows = await page.locator("table.items tbody tr").count();
    const expected = `1–50 of ${SIZE}`;
    if (range !== expected || rows !== 50) throw new Error(`the first page shows "${range}" with ${rows} rows, not "${expected}"`);
    tries.push(ms);
    await context.close();
  }
} finally {
  await browser.close();
}
if (wholePlanFetched) throw new Error("the page fetched the whole plan");
const sorted = [...tries].sort((a, b) => a - b);
console.log(JSON.stringify({ tries_ms: tries, median_ms: sorted[Math.floor(sorted.length / 2)],
  items_response_bytes: itemsBytes }));
