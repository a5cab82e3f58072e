// The launcher button and the chat panel, inside the widget's shadow root. Pure view: it shows what
// the chat tells it to and reports what the customer does through `actions`. Text goes in through
// textContent (and dom.linkify) only.
//
// Accessibility: the panel is a non-modal dialog named by its title, with no landmarks of its own (a
// host page has its own banner and main). One polite live region, the announcer, says what is new
// (bot and agent lines, state changes, connection trouble), each once; the log itself is not live, so
// a reload or a resume's replay is never read out again.

import { fill, h } from "./dom.js";
import { Transcript } from "./transcript.js";

const SVG = "http://www.w3.org/2000/svg";
const ANNOUNCEMENTS_KEPT = 3;

function icon(d) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  svg.append(path);
  return svg;
}

const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
const CLIP_ICON = "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5";

let nextId = 0;

export class Panel {
  constructor(root, config, actions) {
    const s = (this.strings = config.strings);
    this.root = root;
    this.actions = actions;
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
      icon(CHAT_ICON),
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
    // A <div>, not a <header>: a header outside sectioning content is a second "banner" landmark.
    const header = h(
      "div",
      { class: "header" },
      h("div", { class: "heading" }, h("h2", { id: titleId, text: config.title }), this.subtitle),
      this.endButton,
      this.closeButton,
    );

    this.notice = h("div", { class: "notice", hidden: true, "data-testid": "chat-notice" });
    this.bannerText = h("span", { class: "banner-text" });
    this.cancelButton = h("button", {
      type: "button",
      class: "banner-button",
      text: s.cancel,
      "data-testid": "chat-cancel",
      onclick: (event) => {
        this.refocus(event); // the banner (and this button) goes away
        actions.cancel();
      },
    });
    this.downloadButton = h("button", {
      type: "button",
      class: "banner-button",
      text: s.download,
      "data-testid": "chat-download",
      onclick: () => actions.download(),
    });
    this.banner = h(
      "div",
      { class: "banner", hidden: true, "data-testid": "chat-banner" },
      this.bannerText,
      this.cancelButton,
      this.downloadButton,
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
        this.input.focus();
        actions.leave();
      },
    });
    const confirmText = h("p", { id: id("confirm"), text: s.endConfirm });
    this.confirm = h(
      "div",
      { class: "confirm", role: "alertdialog", "aria-labelledby": confirmText.id, hidden: true, "data-testid": "chat-confirm" },
      confirmText,
      h("div", { class: "confirm-buttons" }, this.confirmNo, this.confirmYes),
    );

    this.transcript = new Transcript(config, {
      choose: (payload, title, byKeyboard) => {
        this.refocus({ detail: byKeyboard ? 0 : 1 }); // the button is about to be disabled
        actions.choose(payload, title);
      },
      changed: () => this.scrollToEnd(),
    });
    // role=log for navigation; not live (aria-live=off): the announcer says what is new, once.
    this.log = h(
      "div",
      { class: "log", role: "log", "aria-live": "off", "aria-label": s.logLabel, tabindex: "0" },
      this.transcript.entries,
      this.transcript.pending,
    );
    this.log.dataset.testid = "chat-log";
    this.typing = h("div", { class: "typing", hidden: true, "data-testid": "chat-typing" });
    this.announcer = h("div", { class: "visually-hidden", "aria-live": "polite", "data-testid": "chat-announcer" });

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
      icon(CLIP_ICON),
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
      "div",
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
    root.append(this.launcher, this.panel, this.announcer);
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

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight; // at once: a smooth scroll would be motion to reduce
  }

  /** Say `text` once through the polite live region (the last few stay, older ones go). */
  announce(text) {
    if (!text) return;
    this.announcer.append(h("p", { text }));
    while (this.announcer.childElementCount > ANNOUNCEMENTS_KEPT) this.announcer.firstElementChild.remove();
  }

  /** Focus for a control that is going away: the input after a key press, the log after a tap or click
   *  (so no on-screen keyboard pops up on a phone); never the page's body. */
  refocus(event) {
    if (event.detail === 0) this.input.focus();
    else this.log.focus({ preventScroll: true });
  }

  /** Run `change`; if it hid or disabled the focused control, focus goes to the input, not the page.
   *  A log scrolled to its end stays at its end when the change takes or gives back room. */
  keepingFocus(change) {
    const before = this.root.getRootNode().activeElement;
    const atEnd = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 8;
    change();
    if (atEnd) this.scrollToEnd();
    if (!before || this.panel.hidden || !this.panel.contains(before)) return;
    if (before.disabled || before.closest("[hidden]")) this.input.focus();
  }

  // -- status ----------------------------------------------------------------------------------------
  setNotice(text) {
    this.keepingFocus(() => {
      this.notice.hidden = !text;
      this.notice.textContent = text || "";
    });
  }

  setBanner(text, { cancellable = false, downloadable = false } = {}) {
    this.keepingFocus(() => {
      this.banner.hidden = !text;
      this.bannerText.textContent = text || "";
      this.cancelButton.hidden = !cancellable;
      this.downloadButton.hidden = !downloadable;
    });
  }

  setSubtitle(text) {
    this.subtitle.textContent = text || "";
  }

  setTyping(text) {
    this.keepingFocus(() => {
      this.typing.hidden = !text;
      this.typing.textContent = text || "";
    });
  }

  setAttachable(attachable) {
    this.keepingFocus(() => (this.attachButton.hidden = !attachable));
  }

  setEndable(endable) {
    this.keepingFocus(() => (this.endButton.hidden = !endable));
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
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 240)}px`;
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
