// The user's explanation on the user page: GET .../profiles/{p}/explain?user=NAME (the JSON of
// `telsync explain NAME -f json`), shown step by step as the CLI's table shows it: source,
// scope, mapping, validation, identity, uniqueness, policy, template and rules, result,
// targets. Every section has a heading; steps and mappings are tables with captions. The
// page only renders: the decisions are the planner's, recorded while it made the plan.
import { h, scrollBox } from "./dom.js";

const OUTCOME_CLASS = { pass: "create", ok: "create", fail: "error", skip: "skip", blocked: "blocked" };

function shown(value) {
  return value === "" || value === undefined || value === null ? "(empty)" : String(value);
}

function valuesText(values) {
  if (!Array.isArray(values)) return shown(values);
  return values.length ? values.join(", ") : "(absent)";
}

// A table of {what, outcome, detail} steps; `none` says why there is none.
function stepsTable(steps, caption, none) {
  if (!Array.isArray(steps) || !steps.length) return h("p", { class: "hint" }, none);
  const body = h("tbody");
  for (const s of steps) {
    body.append(h("tr", {},
      h("th", { scope: "row" }, s.what || ""),
      h("td", {}, h("span", { class: "badge " + (OUTCOME_CLASS[s.outcome] || "") }, s.outcome || "")),
      h("td", {}, h("bdi", {}, s.detail || ""))));
  }
  return scrollBox(h("table", { class: "steps" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ["Check", "Outcome", "Detail"].map((t) => h("th", { scope: "col" }, t)))),
    body));
}

function section(title, ...content) {
  return h("li", { class: "explain-step" }, h("h4", {}, title), ...content);
}

function sourceSection(doc) {
  const src = doc.source || {};
  const lines = [
    h("p", {}, `${src.source || "source"}: ${src.read_from || ""}, read ${src.read_at || "—"}`,
      src.enabled === false ? " (disabled in the source)" : ""),
  ];
  if (!doc.in_source) {
    lines.push(h("p", {}, "Not returned by the source."));
    return section("1. Source", lines);
  }
  const attrs = Object.entries(src.attributes || {});
  if (attrs.length) {
    lines.push(h("dl", { class: "attributes" }, attrs.map(([name, values]) =>
      h("div", { class: "kv" }, h("dt", {}, name), h("dd", {}, h("bdi", {}, valuesText(values)))))));
  }
  if ((src.groups || []).length) lines.push(h("p", {}, "Groups: ", h("bdi", {}, src.groups.join(", "))));
  return section("1. Source", lines);
}

function mappingSection(doc) {
  const mapping = doc.mapping || [];
  if (!mapping.length) {
    return section("3. Mapping", h("p", { class: "hint" }, "Not mapped: the source did not return the user."));
  }
  const body = h("tbody");
  for (const m of mapping) {
    const inputs = Object.entries(m.inputs || {}).map(([name, values]) => `${name} = ${valuesText(values)}`);
    body.append(h("tr", { "data-field": m.field },
      h("th", { scope: "row" }, m.field),
      h("td", {}, h("code", {}, m.expression || "")),
      h("td", {}, inputs.length ? h("ul", { class: "changes" }, inputs.map((t) => h("li", {}, h("bdi", {}, t)))) : ""),
      h("td", { class: "mapped" }, h("bdi", {}, shown(m.value)),
        m.note ? h("p", { class: "field-error" }, m.note) : null)));
  }
  return section("3. Mapping", scrollBox(h("table", { class: "mapping" },
    h("caption", {}, "Each PBX field: its expression, the source values it read and the value"),
    h("thead", {}, h("tr", {}, ["Field", "Expression", "Inputs", "Value"].map((t) => h("th", { scope: "col" }, t)))),
    body)));
}

function resultSection(doc) {
  const r = doc.result || {};
  const content = [];
  if (!r.planned) {
    content.push(h("p", { class: "explain-action" }, "No item: the plan leaves this user alone."));
  } else {
    content.push(h("p", { class: "explain-action" }, "Planned action: ",
      h("span", { class: "badge " + r.action, "data-action": r.action }, r.action),
      r.reason ? h("span", {}, " — ", h("bdi", {}, r.reason)) : null));
    const changes = r.changes || [];
    if (changes.length) {
      const body = h("tbody");
      for (const c of changes) {
        body.append(h("tr", {}, h("th", { scope: "row" }, c.field),
          h("td", {}, h("bdi", {}, shown(c.old))), h("td", {}, h("bdi", {}, shown(c.new)))));
      }
      content.push(scrollBox(h("table", { class: "changes-table" },
        h("caption", {}, "Field changes"),
        h("thead", {}, h("tr", {}, ["Field", "Old", "New"].map((t) => h("th", { scope: "col" }, t)))),
        body)));
    }
  }
  if (r.held) content.push(h("p", { class: "warning" }, "The whole plan is held: " + (r.hold_reason || "")));
  return section("9. Result", content);
}

function targetsSection(doc) {
  const targets = doc.targets || [];
  if (!targets.length) return section("10. Targets", h("p", { class: "hint" }, "The tenant has no target."));
  return section("10. Targets", h("ul", { class: "targets" }, targets.map((t) => {
    const steps = t.steps || [];
    const receives = steps.length
      ? "receives " + steps.map((s) => s.action + (s.detail ? ` (${s.detail})` : "")).join(", then ")
      : "receives nothing";
    return h("li", {}, h("strong", {}, t.name), ` (${t.type}, ${t.rule}): ${receives}.`,
      t.holds !== undefined && t.holds !== "" ? ` Holds: ${t.holds}.` : "",
      t.last_event ? ` Last delivered event: ${t.last_event}.` : "",
      t.last_error ? h("span", { class: "field-error" }, ` Last error: ${t.last_error}`) : null);
  })));
}

// The explanation `doc` as a list of sections, one per step of the chain.
export function explanationView(doc) {
  const name = doc.username || doc.key || doc.query;
  const notValidated = "Not validated: the source did not return the user.";
  const notReached = "Nothing recorded: the planner did not reach this step.";
  return h("div", { class: "explanation", "data-user": name },
    h("p", {}, `Explained as `, h("bdi", {}, name), doc.key ? ` (key ${doc.key})` : "",
      doc.in_store ? `, stored user ${doc.stored_id}` : ", not in the PBX directory", "."),
    h("ol", { class: "explain-steps" },
      sourceSection(doc),
      section("2. Scope", stepsTable(doc.scope, "Scope checks", notReached)),
      mappingSection(doc),
      section("4. Validation", doc.in_source
        ? stepsTable(doc.validation, "Validation checks (pass or fail)", notReached)
        : h("p", { class: "hint" }, notValidated)),
      section("5. Identity", stepsTable(doc.identity, "Identity: how the user was matched", notReached)),
      section("6. Uniqueness", stepsTable(doc.uniqueness, "Uniqueness checks", notReached)),
      section("7. Policy", stepsTable(doc.policy, "Policy decisions", notReached)),
      section("8. Template, extension and rules", stepsTable(doc.rules, "Template, extension and rules", notReached)),
      resultSection(doc),
      targetsSection(doc)));
}
