// The launcher button and the chat panel, inside the widget's shadow root. Pure view: it shows what
// the chat tells it to and reports what the customer does through `actions`. Text goes in through
// textContent (and dom.linkify) only.

import { fill, h, linkify, safeUrl } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

function chatIcon() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  svg.append(path);
  return svg;
}

function clipIcon() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5");
  svg.append(path);
  return svg;
}

const PREVIEWED = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

function sizeText(size) {
  if (!Number.isInteger(size) || size < 0) return "";
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

let nextId = 0;

export class Panel {
  constructor(root, config, actions) {
    const s = (this.strings = config.strings);
    this.actions = actions;
    this.base = config.base;
    this.timeFormat = new Intl.DateTimeFormat(config.lang, { hour: "2-digit", minute: "2-digit" });
    const id = (name) => `cgw-${name}-${++nextId}`;
    const titleId = id("title");
    const inputId = id("input");
    const panelId = id("panel");

    this.badge = h("span", { class: "badge", hidden: true, "data-testid": "chat-badge" });
    this.launcher = h(
      "button",
      {
        type: "button",
        class: "launcher",
        "aria-label": s.open,
        "aria-controls": panelId,
        "aria-expanded": "false",
        "data-testid": "chat-launcher",
        onclick: () => actions.toggle(),
      },
      chatIcon(),
      this.badge,
    );

    this.endButton = h("button", {
      type: "button",
      class: "header-button",
      text: s.end,
      "data-testid": "chat-end",
      onclick: () => this.askToEnd(),
    });
    this.closeButton = h("button", {
      type: "button",
      class: "header-button close",
      "aria-label": s.close,
      title: s.close,
      text: "\u2013",
      "data-testid": "chat-close",
      onclick: () => actions.toggle(false),
    });
    this.subtitle = h("p", { class: "subtitle", "data-testid": "chat-subtitle" });
    const header = h(
      "header",
      { class: "header" },
      h("div", { class: "heading" }, h("h2", { id: titleId, text: config.title }), this.subtitle),
      this.endButton,
      this.closeButton,
    );

    this.notice = h("div", { class: "notice", role: "status", hidden: true, "data-testid": "chat-notice" });
    this.bannerText = h("span", { class: "banner-text" });
    this.cancelButton = h("button", {
      type: "button",
      class: "banner-button",
      text: s.cancel,
      "data-testid": "chat-cancel",
      onclick: () => actions.cancel(),
    });
    this.banner = h(
      "div",
      { class: "banner", role: "status", hidden: true, "data-testid": "chat-banner" },
      this.bannerText,
      this.cancelButton,
    );

    this.confirmNo = h("button", {
      type: "button",
      class: "secondary",
      text: s.endNo,
      "data-testid": "chat-end-cancel",
      onclick: () => this.closeConfirm(true),
    });
    this.confirmYes = h("button", {
      type: "button",
      class: "danger",
      text: s.endYes,
      "data-testid": "chat-end-confirm",
      onclick: () => {
        this.closeConfirm(false);
        actions.leave();
        this.input.focus();
      },
    });
    const confirmText = h("p", { id: id("confirm"), text: s.endConfirm });
    this.confirm = h(
      "div",
      {
        class: "confirm",
        role: "alertdialog",
        "aria-labelledby": confirmText.id,
        hidden: true,
        "data-testid": "chat-confirm",
      },
      confirmText,
      h("div", { class: "confirm-buttons" }, this.confirmNo, this.confirmYes),
    );

    this.entries = h("div", { class: "entries" });
    this.pending = h("div", { class: "entries pending" });
    if (config.greeting) {
      this.entries.append(this.bubble("bot", s.assistant, config.greeting, null, { greeting: true }));
    }
    this.log = h(
      "div",
      { class: "log", role: "log", "aria-live": "polite", "aria-label": s.logLabel, tabindex: "0" },
      this.entries,
      this.pending,
    );
    this.log.dataset.testid = "chat-log";
    this.typing = h("div", { class: "typing", hidden: true, "aria-live": "polite", "data-testid": "chat-typing" });

    this.input = h("textarea", {
      id: inputId,
      class: "input",
      rows: "1",
      maxlength: "4000",
      placeholder: s.placeholder,
      autocomplete: "off",
      "data-testid": "chat-input",
      onkeydown: (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.submit();
        }
      },
      oninput: () => {
        this.fitInput();
        actions.typing();
      },
    });
    this.sendButton = h("button", { type: "submit", class: "send", text: s.send, "data-testid": "chat-send" });
    this.fileInput = h("input", {
      type: "file",
      class: "visually-hidden",
      tabindex: "-1",
      "aria-hidden": "true",
      "data-testid": "chat-file-input",
      onchange: () => {
        for (const file of this.fileInput.files || []) actions.sendFile(file);
        this.fileInput.value = "";
      },
    });
    this.attachButton = h(
      "button",
      {
        type: "button",
        class: "attach",
        hidden: true,
        "aria-label": s.attach,
        title: s.attach,
        "data-testid": "chat-attach",
        onclick: () => this.fileInput.click(),
      },
      clipIcon(),
    );
    const form = h(
      "form",
      {
        class: "composer",
        onsubmit: (event) => {
          event.preventDefault();
          this.submit();
        },
      },
      h("label", { class: "visually-hidden", for: inputId, text: s.inputLabel }),
      this.attachButton,
      this.fileInput,
      this.input,
      this.sendButton,
    );

    this.panel = h(
      "section",
      {
        id: panelId,
        class: "panel",
        role: "dialog",
        "aria-labelledby": titleId,
        hidden: true,
        "data-testid": "chat-panel",
        onkeydown: (event) => {
          if (event.key !== "Escape") return;
          event.stopPropagation();
          if (!this.confirm.hidden) this.closeConfirm(true);
          else actions.toggle(false);
        },
      },
      header,
      this.notice,
      this.banner,
      this.confirm,
      this.log,
      this.typing,
      form,
    );
    root.append(this.launcher, this.panel);
  }

  // -- open / closed ---------------------------------------------------------------------------------
  setOpen(open, { focus = true } = {}) {
    this.panel.hidden = !open;
    this.launcher.setAttribute("aria-expanded", String(open));
    this.launcher.classList.toggle("is-open", open);
    if (open) {
      this.scrollToEnd();
      if (focus) this.input.focus();
    } else if (focus) {
      this.launcher.focus();
    }
  }

  setUnread(count) {
    this.badge.hidden = count === 0;
    this.badge.textContent = count > 99 ? "99+" : String(count);
    this.launcher.setAttribute(
      "aria-label",
      count ? `${this.strings.open} (${fill(this.strings.unread, { n: count })})` : this.strings.open,
    );
  }

  // -- the transcript --------------------------------------------------------------------------------
  clearLog() {
    for (const el of [...this.entries.children]) if (!el.dataset.greeting) el.remove();
  }

  bubble(author, label, text, ts, extra = {}) {
    const meta = h("div", { class: "meta" }, h("span", { class: "author", text: label }));
    const when = ts ? new Date(ts) : new Date();
    if (!Number.isNaN(when.getTime())) {
      meta.append(
        h("time", { datetime: when.toISOString(), title: when.toLocaleString(), text: this.timeFormat.format(when) }),
      );
    }
    const el = h(
      "div",
      { class: `msg msg-${author}`, "data-author": author, "data-testid": "chat-message" },
      meta,
      h("div", { class: "text" }, linkify(String(text ?? ""))),
    );
    if (extra.greeting) el.dataset.greeting = "true";
    return el;
  }

  /** A transcript message; `label` is who said it as shown. Returns the element. */
  addMessage(frame, label, shownText) {
    const el = this.bubble(frame.author, label, shownText, frame.ts);
    el.dataset.seq = String(frame.seq);
    if (frame.client_id) el.dataset.clientId = frame.client_id;
    const image = frame.image && safeUrl(frame.image);
    if (image) el.append(h("a", { class: "image-link", href: image.href, target: "_blank", rel: "noopener noreferrer", text: image.href }));
    for (const file of Array.isArray(frame.attachments) ? frame.attachments : []) {
      const link = this.fileLink(file);
      if (link) el.append(link);
    }
    if (Array.isArray(frame.buttons) && frame.buttons.length) {
      const group = h("div", { class: "buttons", role: "group" });
      for (const b of frame.buttons) {
        if (!b || typeof b.title !== "string" || typeof b.payload !== "string") continue;
        group.append(
          h("button", {
            type: "button",
            class: "choice",
            text: b.title,
            onclick: () => this.actions.choose(b.payload, b.title),
          }),
        );
      }
      el.append(group);
    }
    this.place(el);
    return el;
  }

  /** A file in the transcript: a link to the gateway's copy (with a preview for images), or null. */
  fileLink(file) {
    if (!file || typeof file.url !== "string" || typeof file.name !== "string") return null;
    let url;
    try {
      url = safeUrl(new URL(file.url, this.base).href);
    } catch {
      url = null;
    }
    if (!url) return null;
    const size = sizeText(file.size);
    const link = h(
      "a",
      { class: "file", href: url.href, target: "_blank", rel: "noopener noreferrer", "data-testid": "chat-file" },
      h("span", { class: "file-name", text: file.name }),
      size ? h("span", { class: "file-size", text: size }) : null,
    );
    if (PREVIEWED.has(file.content_type)) {
      link.prepend(h("img", { class: "file-preview", src: url.href, alt: "", loading: "lazy" }));
    }
    return link;
  }

  /** A state change as a short line in the transcript (a run of the same state keeps one line). */
  addEvent(seq, state, text) {
    const last = this.entries.lastElementChild;
    if (last && last.classList.contains("event") && last.dataset.state === state && Number(last.dataset.seq) < seq) {
      last.textContent = text;
      last.dataset.seq = String(seq);
      return last;
    }
    const el = h("div", { class: "event", "data-seq": String(seq), "data-state": state, "data-testid": "chat-event", text });
    this.place(el);
    return el;
  }

  /** Insert by seq (normally at the end), then keep the newest line in view. */
  place(el) {
    const seq = Number(el.dataset.seq);
    const after = [...this.entries.children].find((c) => c.dataset.seq && Number(c.dataset.seq) > seq);
    this.entries.insertBefore(el, after || null);
    this.scrollToEnd();
  }

  /** Only the newest set of bot buttons can be used, and only until the customer says something. */
  retireButtons() {
    for (const button of this.entries.querySelectorAll("button.choice")) button.disabled = true;
  }

  addPending(item, shownText) {
    const el = this.bubble("customer", this.strings.you, shownText, item.ts);
    el.dataset.clientId = item.client_id;
    el.append(h("div", { class: "status", text: this.strings.sending }));
    el.classList.add("is-sending");
    this.pending.append(el);
    this.scrollToEnd();
    return el;
  }

  findByClientId(clientId) {
    return [...this.panel.querySelectorAll(".msg[data-client-id]")].find((el) => el.dataset.clientId === clientId);
  }

  hasSeq(seq) {
    return [...this.entries.children].some((el) => el.dataset.seq === String(seq));
  }

  /** The pending line `clientId` is stored as `seq`: move it into the transcript; false if not shown. */
  markSent(clientId, seq) {
    const el = [...this.pending.children].find((c) => c.dataset.clientId === clientId);
    if (!el) return this.hasSeq(seq);
    if (this.hasSeq(seq)) {
      el.remove(); // the replay showed it already
      return true;
    }
    for (const older of this.entries.querySelectorAll(".msg .status.is-sent")) older.remove(); // only the newest says so
    el.classList.remove("is-sending");
    el.dataset.seq = String(seq);
    const status = el.querySelector(".status");
    status.textContent = this.strings.sent;
    status.classList.add("is-sent");
    this.place(el);
    return true;
  }

  /** The agent has read the customer's lines up to `seq`: the newest of them says so. */
  markRead(seq) {
    if (!Number.isInteger(seq) || seq <= 0) return;
    const read = [...this.entries.querySelectorAll(".msg-customer[data-seq]")].filter((el) => Number(el.dataset.seq) <= seq);
    const newest = read[read.length - 1];
    if (!newest) return;
    for (const old of this.entries.querySelectorAll(".status.is-read")) if (!newest.contains(old)) old.remove();
    let status = newest.querySelector(".status");
    if (!status) {
      status = h("div", { class: "status" });
      newest.append(status);
    }
    status.textContent = this.strings.read;
    status.classList.remove("is-sent");
    status.classList.add("is-read");
    status.dataset.testid = "chat-read";
  }

  /** A file on its way (not in the transcript until the gateway stored it). */
  addUpload(uploadId, name) {
    const el = this.bubble("customer", this.strings.you, name, null);
    el.dataset.uploadId = uploadId;
    el.append(h("div", { class: "status", text: this.strings.sending }));
    el.classList.add("is-sending");
    this.pending.append(el);
    this.scrollToEnd();
    return el;
  }

  findUpload(uploadId) {
    return [...this.pending.children].find((c) => c.dataset.uploadId === uploadId);
  }

  removeUpload(uploadId) {
    const el = this.findUpload(uploadId);
    if (el) el.remove();
  }

  uploadFailed(uploadId, text) {
    const el = this.findUpload(uploadId);
    if (!el) return;
    el.classList.remove("is-sending");
    el.classList.add("is-failed");
    el.querySelector(".status").textContent = text;
  }

  markFailed(clientId) {
    const el = [...this.pending.children].find((c) => c.dataset.clientId === clientId);
    if (!el) return;
    el.classList.remove("is-sending");
    el.classList.add("is-failed");
    el.querySelector(".status").textContent = this.strings.failed;
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  // -- status ----------------------------------------------------------------------------------------
  setNotice(text) {
    this.notice.hidden = !text;
    this.notice.textContent = text || "";
  }

  setBanner(text, { cancellable = false } = {}) {
    this.banner.hidden = !text;
    this.bannerText.textContent = text || "";
    this.cancelButton.hidden = !cancellable;
  }

  setSubtitle(text) {
    this.subtitle.textContent = text || "";
  }

  setTyping(text) {
    this.typing.hidden = !text;
    this.typing.textContent = text || "";
  }

  setAttachable(attachable) {
    this.attachButton.hidden = !attachable;
  }

  setEndable(endable) {
    this.endButton.hidden = !endable;
  }

  // -- the composer and the end-chat confirmation ---------------------------------------------------
  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.fitInput();
    this.actions.say(text);
    this.input.focus();
  }

  fitInput() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 120)}px`;
  }

  askToEnd() {
    this.confirm.hidden = false;
    this.confirmNo.focus();
  }

  closeConfirm(returnFocus) {
    this.confirm.hidden = true;
    if (returnFocus) this.endButton.focus();
  }
}
