// Building DOM nodes without innerHTML: every text is a text node, so a name from the
// directory can never become markup (and the CSP forbids inline script anyway).

// h("button", {class: "x", on: {click: f}, disabled: true}, "text", childNode, [more])
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "on") {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "text") {
      el.textContent = value;
    } else if (key === "value") {
      el.value = value;
    } else if (key === "checked" || key === "selected") {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// el.append(...children) skipping null, undefined and false (conditional parts).
export function put(el, ...children) {
  return append(el, children);
}

// A table in a box that scrolls sideways on a narrow screen (the page itself never does);
// focusable, so a keyboard can scroll it, and named by the table's caption.
export function scrollBox(table) {
  const caption = table.querySelector("caption");
  return h("div", { class: "table-wrap", tabindex: "0", role: "region",
    "aria-label": (caption ? caption.textContent : "") + " (table)" }, table);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

// A labelled control: {label, input, error} where error shows an API error at the field.
export function field(label, input, hint) {
  if (!input.id) input.id = uid("f");
  const error = h("p", { class: "field-error", id: input.id + "-error", hidden: true });
  const described = [error.id];
  let hintNode = null;
  if (hint) {
    hintNode = h("p", { class: "hint", id: input.id + "-hint" }, hint);
    described.push(hintNode.id);
  }
  input.setAttribute("aria-describedby", described.join(" "));
  const wrap = h("div", { class: "field" }, h("label", { for: input.id }, label), input, hintNode, error);
  wrap.input = input;
  wrap.showError = (message) => {
    error.textContent = message || "";
    error.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  return wrap;
}

export function when(seconds) {
  if (!seconds) return "—";
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
