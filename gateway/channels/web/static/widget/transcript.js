// The transcript inside the chat panel: message bubbles, state lines, the customer's lines waiting for
// their ack, and files. Pure view, like the panel around it; text goes in through textContent (and
// dom.linkify) only.

import { h, linkify, safeUrl } from "./dom.js";

const PREVIEWED = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

function sizeText(size) {
  if (!Number.isInteger(size) || size < 0) return "";
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

export class Transcript {
  /** `choose(payload, title, byKeyboard)` is called for a bot button; `changed()` after anything is added. */
  constructor(config, { choose, changed }) {
    this.strings = config.strings;
    this.base = config.base;
    this.choose = choose;
    this.changed = changed;
    this.timeFormat = new Intl.DateTimeFormat(config.lang, { hour: "2-digit", minute: "2-digit" });
    this.entries = h("div", { class: "entries" });
    this.pending = h("div", { class: "entries pending" });
    if (config.greeting) {
      this.entries.append(this.bubble("bot", this.strings.assistant, config.greeting, null, { greeting: true }));
    }
  }

  clear() {
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
      h("div", { class: "text", dir: "auto" }, linkify(String(text ?? ""))), // each line its own direction
    );
    if (extra.greeting) el.dataset.greeting = "true";
    return el;
  }

  /** A transcript message; `label` is who said it as shown. Returns the element. */
  addMessage(frame, label, shownText) {
    const el = this.bubble(frame.author, label, shownText, frame.ts);
    el.dataset.seq = String(frame.seq);
    if (frame.client_id) el.dataset.clientId = frame.client_id;
    if (frame.card) el.classList.add("has-card"); // an agent's card: its text is the readable fallback
    const image = frame.image && safeUrl(frame.image);
    if (image) el.append(h("a", { class: "image-link", href: image.href, target: "_blank", rel: "noopener noreferrer", text: image.href }));
    for (const file of Array.isArray(frame.attachments) ? frame.attachments : []) {
      const link = this.fileLink(file);
      if (link) el.append(link);
    }
    if (Array.isArray(frame.buttons) && frame.buttons.length) {
      const group = h("div", { class: "buttons", role: "group", "aria-label": label });
      for (const b of frame.buttons) {
        if (!b || typeof b.title !== "string" || typeof b.payload !== "string") continue;
        group.append(
          h("button", {
            type: "button",
            class: "choice",
            text: b.title,
            onclick: (event) => this.choose(b.payload, b.title, event.detail === 0), // detail 0: by keyboard
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
    this.changed();
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
    this.changed();
    return el;
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
    this.changed();
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
    this.fail(this.findUpload(uploadId), text);
  }

  markFailed(clientId) {
    this.fail([...this.pending.children].find((c) => c.dataset.clientId === clientId), this.strings.failed);
  }

  fail(el, text) {
    if (!el) return;
    el.classList.remove("is-sending");
    el.classList.add("is-failed");
    el.querySelector(".status").textContent = text;
  }
}
