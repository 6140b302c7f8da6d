// A modal confirmation: the native <dialog> (showModal keeps focus inside it and Escape
// cancels); focus goes back to where it was when the dialog closes.
import { h, put, clear, field } from "./dom.js";

const dialog = document.getElementById("dialog");

// Resolves true when the admin confirms. With `typed`, the confirm button stays disabled until
// that exact text is typed (deleting a tenant asks for its name).
export function confirmDialog({ title, body, confirm, typed }) {
  const opener = document.activeElement;
  clear(dialog);
  return new Promise((resolve) => {
    let answer = false;
    const ok = h("button", { type: "submit", class: "danger", disabled: Boolean(typed) }, confirm);
    const cancel = h("button", { type: "button", on: { click: () => dialog.close() } }, "Cancel");
    let typedField = null;
    if (typed) {
      const input = h("input", { type: "text", name: "confirm", autocomplete: "off", spellcheck: "false" });
      input.addEventListener("input", () => {
        ok.disabled = input.value !== typed;
      });
      typedField = field(`Type ${typed} to confirm`, input);
    }
    const form = h("form", { method: "dialog", on: { submit: (e) => {
      e.preventDefault();
      if (ok.disabled) return;
      answer = true;
      dialog.close();
    } } },
    h("h2", { id: "dialog-title" }, title),
    h("p", { id: "dialog-body" }, body),
    typedField,
    h("div", { class: "actions" }, cancel, ok));
    dialog.setAttribute("aria-describedby", "dialog-body");
    put(dialog, form);
    dialog.addEventListener("close", () => {
      if (opener && typeof opener.focus === "function") opener.focus();
      resolve(answer);
    }, { once: true });
    dialog.showModal();
    (typedField ? typedField.input : cancel).focus();
  });
}

// Shows a secret once (a new token), with a button that copies it.
export function secretDialog({ title, body, secret }) {
  const opener = document.activeElement;
  clear(dialog);
  return new Promise((resolve) => {
    const output = h("output", { class: "secret", id: "secret-value" }, secret);
    const close = h("button", { type: "submit", class: "primary" }, "I have kept it");
    put(dialog, h("form", { method: "dialog", on: { submit: (e) => {
      e.preventDefault();
      dialog.close();
    } } },
    h("h2", { id: "dialog-title" }, title),
    h("p", { id: "dialog-body" }, body),
    output,
    h("div", { class: "actions" }, close)));
    dialog.setAttribute("aria-describedby", "dialog-body");
    dialog.addEventListener("close", () => {
      clear(dialog);
      if (opener && typeof opener.focus === "function") opener.focus();
      resolve();
    }, { once: true });
    dialog.showModal();
    close.focus();
  });
}
