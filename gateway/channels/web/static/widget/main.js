// Mounts the widget: a <chat-gateway-widget> element at the end of <body> with an open shadow root,
// so the host page's CSS does not reach in and ours does not leak out.

import { Chat } from "./chat.js";
import { readConfig } from "./config.js";

export function mount(script, scriptUrl) {
  const config = readConfig(script, scriptUrl);
  const host = document.createElement("chat-gateway-widget");
  host.style.visibility = "hidden"; // until widget.css has loaded: no flash of unstyled buttons
  if (config.color) host.style.setProperty("--cgw-accent", config.color);
  const shadow = host.attachShadow({ mode: "open" });
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("widget.css", scriptUrl).href;
  const container = document.createElement("div");
  container.className = "widget";
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
