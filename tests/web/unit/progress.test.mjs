// The Sync page's progress line (web/progress.js) for the job JSON's progress as the worker
// writes it: {phase, done, total}, and optionally estimated, rate and eta_seconds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { progressWords } from "../../../web/progress.js";

test("phase, done and total as the worker writes them today", () => {
  assert.equal(progressWords({ phase: "read", done: 120, total: 0 }), "read 120");
  assert.equal(progressWords({ phase: "apply", done: 4000, total: 10000 }), "apply 4,000 of 10,000");
  assert.equal(progressWords({ phase: "plan", done: 0, total: 0 }), "plan");
});

test("an estimated total, the rate and the time left when present", () => {
  assert.equal(progressWords({ phase: "apply", done: 4000, total: 10000, estimated: true, rate: 2100.4, eta_seconds: 2.9 }),
    "apply 4,000 of ~10,000 (estimate), 2,100/s, about 3 s left");
  assert.equal(progressWords({ phase: "read", done: 50000, total: 100000, estimated: false, rate: 1000, eta_seconds: 600 }),
    "read 50,000 of 100,000, 1,000/s, about 10 min left");
  assert.equal(progressWords({ phase: "read", done: 1, total: 1000000, rate: 0.1, eta_seconds: 36000 }),
    "read 1 of 1,000,000, 0.1/s, about 10 h left");
});

test("no progress yet is no words (a queued job, the old stage key)", () => {
  assert.equal(progressWords({}), "");
  assert.equal(progressWords(undefined), "");
  assert.equal(progressWords({ stage: "apply", done: 1, total: 2 }), "");
});
