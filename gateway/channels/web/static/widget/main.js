// Mounts the widget: a <chat-gateway-widget> element at the end of <body> with an open shadow root,
// so the host page's CSS does not reach in and ours does not leak out.

import { Chat } from "./chat.js";
import { readConfig } from "./config.js";

/** Black or white, whichever reads better on `color` (WCAG relative luminance). */
function textOn(color) {
  const probe = document.createElement("span");
  probe.style.color = color;
  document.documentElement.append(probe);
  const rgb = getComputedStyle(probe).color.match(/[\d.]+/g) || ["0", "0", "0"];
  probe.remove();
  const [r, g, b] = rgb.slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) ? "#000000" : "#ffffff";
}

export function mount(script, scriptUrl) {
  const config = readConfig(script, scriptUrl);
  const host = document.createElement("chat-gateway-widget");
  host.style.visibility = "hidden"; // until widget.css has loaded: no flash of unstyled buttons
  if (config.color) {
    // The page chose a colour: the widget keeps its light scheme (no dark mode) around it.
    host.dataset.accent = "";
    host.style.setProperty("--cgw-accent", config.color);
    host.style.setProperty("--cgw-on-accent", textOn(config.color));
  }
  const shadow = host.attachShadow({ mode: "open" });
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("widget.css", scriptUrl).href;
  const container = document.createElement("div");
  container.className = "widget";
  container.lang = config.lang;
  container.dir = config.dir;
  shadow.append(css, container);
  const chat = new Chat(container, config);
  const shown = () => {
    host.style.removeProperty("visibility");
    chat.panel.scrollToEnd(); // the log has a height only now
  };
  css.addEventListener("load", shown);
  css.addEventListener("error", shown);
  const attach = () => document.body.append(host);
  if (document.body) attach();
  else document.addEventListener("DOMContentLoaded", attach, { once: true });
  return chat;
}
