// The Sync page's progress line. No DOM: tests/web/unit/progress.test.mjs runs it in node.
// A job's progress ({phase, done, total}, and where the worker knows them "estimated": the
// total is an estimate, "rate": items per second, "eta_seconds") in words:
// "apply 4,000 of ~10,000 (estimate), 2,100/s, about 3 s left". Empty when there is none.
export function progressWords(p) {
  if (!p || !p.phase) return "";
  const n = (x) => Number(x || 0).toLocaleString("en-US");
  let text = p.phase;
  if (p.total) {
    text += ` ${n(p.done)} of ${p.estimated ? "~" : ""}${n(p.total)}${p.estimated ? " (estimate)" : ""}`;
  } else if (p.done) {
    text += ` ${n(p.done)}`;
  }
  if (typeof p.rate === "number" && p.rate > 0) {
    text += `, ${p.rate >= 10 ? n(Math.round(p.rate)) : String(Math.round(p.rate * 10) / 10)}/s`;
  }
  if (typeof p.eta_seconds === "number" && p.eta_seconds >= 0) text += `, about ${etaWords(p.eta_seconds)} left`;
  return text;
}

function etaWords(seconds) {
  const s = Math.round(seconds);
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
