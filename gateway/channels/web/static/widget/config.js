// The widget's settings, read from its <script> tag's data-attributes:
//   data-gateway  base URL of the gateway (default: where widget.js came from)
//   data-title    the panel's heading         data-greeting  a first line shown by the assistant
//   data-color    accent colour (any CSS colour)
//   data-lang     language of the built-in strings (en, de, fr, ar), also sent as the customer's language;
//                 right-to-left languages (ar, fa, he, ur) mirror the panel
//   data-strings  JSON object overriding single strings, e.g. '{"send":"Go"}'
//   data-storage  "session" (default: the chat lasts as long as the tab) or "local" (survives restarts)
//   data-open     "true" opens the panel at once

import { RTL, stringsFor } from "./strings.js";

function parseJson(text) {
  if (!text) return {};
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    console.warn("chat widget: data-strings is not a JSON object; ignored");
    return {};
  }
}

export function readConfig(script, scriptUrl) {
  const data = script ? script.dataset : {};
  const base = new URL(data.gateway || "./", data.gateway ? document.baseURI : scriptUrl);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const socketUrl = new URL("chat/ws", base);
  socketUrl.protocol = base.protocol === "https:" ? "wss:" : "ws:";
  const lang = data.lang || document.documentElement.lang || navigator.language || "en";
  const strings = stringsFor(lang, parseJson(data.strings));
  const color = data.color && CSS.supports("color", data.color) ? data.color : null;
  return {
    base,
    socketUrl: socketUrl.href,
    lang,
    dir: RTL.has(String(lang).toLowerCase().split("-")[0]) ? "rtl" : "ltr",
    strings,
    title: data.title || strings.title,
    greeting: data.greeting || "",
    color,
    storage: data.storage === "local" ? "local" : "session",
    openAtStart: data.open === "true",
  };
}
