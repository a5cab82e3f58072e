// DOM helpers. Every piece of data reaches the page through textContent or a checked attribute:
// nothing here ever assigns innerHTML, so text from bots, agents or customers cannot become markup.

/**
 * Create an element. `props` keys: "class", "text" (textContent), "on<event>" (listener),
 * "dataset" (object), anything else is set as an attribute (false/null/undefined skip it).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child); // strings become text nodes
  }
  return el;
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** A safe http(s) URL, or null. */
export function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/** Text as a fragment of text nodes and <a> elements for its http(s) links. */
export function linkify(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const raw = match[0].replace(TRAILING, "");
    const url = safeUrl(raw);
    if (!url) continue;
    fragment.append(text.slice(last, match.index));
    fragment.append(h("a", { href: url.href, target: "_blank", rel: "noopener noreferrer", text: raw }));
    last = match.index + raw.length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

/** "{name} joined" with {name} filled in; unknown placeholders stay as they are. */
export function fill(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

/** A random UUID, also outside secure contexts (where crypto.randomUUID is missing). */
export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID(); // secure contexts only
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
