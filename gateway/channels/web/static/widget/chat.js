// The customer's side of the protocol (design.md, "Customer channel"): start or resume a session,
// show every transcript entry once (by seq), send lines with a client_id until they are acked, and
// keep what a reload needs in storage.

import { Connection } from "./connection.js";
import { fill } from "./dom.js";
import { SavedChat } from "./storage.js";
import { Panel } from "./panel.js";

const ACK_TIMEOUT_MS = 8000; // no ack this long on an open socket: assume it is dead and reconnect
const RETRY_AFTER_MS = 1500; // after rate_limited / unavailable
const TYPING_SHOWN_MS = 6000;
const TYPING_SENT_EVERY_MS = 3000;
const WAITING = new Set(["escalating", "queued"]);

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID(); // secure contexts only
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class Chat {
  constructor(root, config) {
    this.config = config;
    this.s = config.strings;
    this.saved = new SavedChat(config.storage, config.base.href);
    this.data = this.saved.load();
    this.started = false; // the gateway answered our start on the current socket
    this.control = null; // a cancel or leave waiting for the socket
    this.buttonTitles = new Map(); // payload -> title, so a chosen button shows as its title
    this.ackTimer = null;
    this.typingTimer = null;
    this.typingSentAt = 0;
    this.panel = new Panel(root, config, {
      toggle: (open) => this.toggle(open),
      say: (text) => this.say(text, text),
      choose: (payload, title) => this.say(payload, title),
      cancel: () => this.sendControl("cancel"),
      leave: () => this.sendControl("leave"),
      typing: () => this.customerTyping(),
      sendFile: (file) => this.sendFile(file),
    });
    this.connection = new Connection(config.socketUrl, {
      onOpen: () => this.sendStart(),
      onFrame: (frame) => this.receive(frame),
      onStatus: (status) => this.connectionChanged(status),
    });

    // Show what was shown before the reload (not unread, not announced), then what is still unsent.
    const saved = { ...this.data };
    Object.assign(this.data, { state: "bot", agent: null, queue: null });
    for (const frame of this.data.frames) this.render(frame, false);
    Object.assign(this.data, { state: saved.state, current: saved.current, agent: saved.agent, queue: saved.queue });
    for (const item of this.data.pending) this.panel.addPending(item, this.shownText(item.text));
    this.panel.markRead(this.data.readUpTo);
    this.showState();
    this.panel.setUnread(this.data.unread);
    if (this.data.open || config.openAtStart) this.toggle(true, { focus: false });
    if (this.data.session || this.data.pending.length) this.connection.start();
    document.addEventListener("visibilitychange", () => this.seen());
  }

  persist() {
    this.saved.save(this.data);
  }

  // -- frames from the gateway -----------------------------------------------------------------------
  receive(frame) {
    switch (frame.type) {
      case "session":
        this.onSession(frame);
        break;
      case "message":
      case "state":
        if (!Number.isInteger(frame.seq) || frame.seq <= this.data.lastSeq) return; // shown already
        this.data.lastSeq = frame.seq;
        this.data.frames.push(frame);
        this.render(frame, true);
        this.persist();
        if (frame.author === "agent") this.seen();
        break;
      case "ack":
        this.onAck(frame);
        break;
      case "typing":
        if (frame.author !== "agent") break;
        if (frame.active === false) this.stopAgentTyping();
        else this.agentTyping(frame.agent && frame.agent.name);
        break;
      case "read":
        // Not a transcript entry: the agent has read the customer's lines up to upto_seq.
        if (frame.author !== "agent" || !Number.isInteger(frame.upto_seq)) break;
        this.data.readUpTo = Math.max(this.data.readUpTo || 0, frame.upto_seq);
        this.panel.markRead(this.data.readUpTo);
        this.persist();
        break;
      case "error":
        this.onError(frame);
        break;
      default:
        break; // newer servers may say more; ignore what we do not know
    }
  }

  onSession(frame) {
    if (this.data.session && frame.session !== this.data.session) this.forgetTranscript();
    this.data.session = frame.session;
    this.data.conversationId = frame.conversation_id;
    this.data.current = frame.state; // the replay that follows brings the transcript up to date
    this.started = true;
    this.connection.ready();
    this.showState();
    this.persist();
    this.flush();
  }

  onAck(frame) {
    const index = this.data.pending.findIndex((p) => p.client_id === frame.client_id);
    if (index < 0 || !Number.isInteger(frame.seq)) return; // acked before (a retry)
    const [item] = this.data.pending.splice(index, 1);
    const entry = { type: "message", seq: frame.seq, author: "customer", text: item.text, client_id: item.client_id, ts: item.ts };
    if (frame.seq > this.data.lastSeq) {
      this.data.lastSeq = frame.seq;
      this.data.frames.push(entry);
    } else if (!this.data.frames.some((f) => f.seq === frame.seq)) {
      const at = this.data.frames.findIndex((f) => f.seq > frame.seq);
      this.data.frames.splice(at < 0 ? this.data.frames.length : at, 0, entry);
    }
    if (!this.panel.markSent(item.client_id, frame.seq)) this.panel.addMessage(entry, this.s.you, this.shownText(item.text));
    this.panel.markRead(this.data.readUpTo);
    if (this.data.pending.length === 0) this.disarmAckTimer();
    this.persist();
  }

  onError(frame) {
    switch (frame.code) {
      case "unknown_session":
        // The token is no good (expired, or another gateway's): forget it and start afresh.
        this.forgetTranscript();
        this.data.session = null;
        this.persist();
        this.sendStart();
        break;
      case "not_started":
        this.sendStart();
        break;
      case "rate_limited":
      case "unavailable":
        if (!this.started) setTimeout(() => this.connection.restart(), RETRY_AFTER_MS);
        else setTimeout(() => this.flush(), RETRY_AFTER_MS);
        break;
      case "too_long":
      case "invalid_frame": {
        // Sending it again would fail again: the oldest unacked line is the one refused.
        const item = this.data.pending.find((p) => p.sentAt);
        if (item) {
          this.data.pending.splice(this.data.pending.indexOf(item), 1);
          this.panel.markFailed(item.client_id);
          this.persist();
        }
        this.flashNotice(fill(this.s.error, { message: frame.message || frame.code }));
        break;
      }
      default:
        break; // wrong_state and the like: the state frames tell the truth
    }
  }

  // -- showing the transcript ------------------------------------------------------------------------
  render(frame, live) {
    if (frame.type === "state") {
      this.renderState(frame);
      if (live) this.arrived();
      return;
    }
    if (frame.author === "customer") {
      this.panel.retireButtons();
      if (frame.client_id) this.panel.removeUpload(frame.client_id); // a file we sent, now stored
      const index = frame.client_id ? this.data.pending.findIndex((p) => p.client_id === frame.client_id) : -1;
      if (index >= 0) this.data.pending.splice(index, 1); // stored, but its ack was lost with the socket
      if (index < 0 || !this.panel.markSent(frame.client_id, frame.seq)) {
        this.panel.addMessage(frame, this.s.you, this.shownText(frame.text));
      }
      this.panel.markRead(this.data.readUpTo);
      return;
    }
    for (const b of Array.isArray(frame.buttons) ? frame.buttons : []) {
      if (b && typeof b.payload === "string" && typeof b.title === "string") this.buttonTitles.set(b.payload, b.title);
    }
    if (frame.custom && typeof frame.custom === "object") {
      // A bot's custom payload (README, "Custom payloads"): the page shows it, if it wants to.
      window.dispatchEvent(new CustomEvent("chat-gateway:custom", { detail: { seq: frame.seq, custom: frame.custom, live } }));
      if (!frame.text && !frame.image && !(Array.isArray(frame.buttons) && frame.buttons.length)) return;
    }
    let label = "";
    if (frame.author === "bot") label = this.s.assistant;
    if (frame.author === "agent") label = (frame.agent && frame.agent.name) || this.s.agent;
    this.panel.addMessage(frame, label, frame.text);
    if (frame.author === "agent") this.stopAgentTyping();
    if (live) this.arrived();
  }

  renderState(frame) {
    const previous = this.data.state;
    this.data.state = frame.state;
    this.data.current = frame.state;
    if (frame.agent && frame.agent.name) this.data.agent = frame.agent.name;
    if (frame.state === "escalating") this.data.queue = null;
    if (frame.queue && frame.queue.name) this.data.queue = frame.queue.name;
    const text = this.stateText(frame, previous);
    if (text) this.panel.addEvent(frame.seq, frame.state, text);
    if (frame.state !== "agent") this.stopAgentTyping();
    this.showState();
  }

  stateText(frame, previous) {
    const s = this.s;
    switch (frame.state) {
      case "escalating":
        return s.escalating;
      case "queued":
        return frame.queue && frame.queue.name ? fill(s.queued, { queue: frame.queue.name }) : s.queuedNoName;
      case "agent":
        return fill(s.agentJoined, { agent: (frame.agent && frame.agent.name) || s.agent });
      case "bot":
        if (previous === "agent") return s.agentLeft;
        return WAITING.has(previous) ? s.botBack : "";
      case "closed":
        return s.closed;
      default:
        return "";
    }
  }

  showState() {
    const s = this.s;
    const state = this.data.current || this.data.state;
    if (state === "escalating") this.panel.setBanner(s.escalating, { cancellable: true });
    else if (state === "queued")
      this.panel.setBanner(this.data.queue ? fill(s.queued, { queue: this.data.queue }) : s.queuedNoName, { cancellable: true });
    else this.panel.setBanner(null);
    if (state === "agent") this.panel.setSubtitle(fill(s.chattingWith, { agent: this.data.agent || s.agent }));
    else if (state === "closed") this.panel.setSubtitle(s.closed);
    else this.panel.setSubtitle(s.assistant);
    this.panel.setEndable(Boolean(this.data.session) && state !== "closed");
    // Files go to agents: offered while waiting for one or talking to one.
    this.panel.setAttachable(Boolean(this.data.session) && (WAITING.has(state) || state === "agent"));
  }

  shownText(text) {
    return this.buttonTitles.get(text) || text;
  }

  arrived() {
    if (!this.panel.panel.hidden) return;
    this.data.unread += 1;
    this.panel.setUnread(this.data.unread);
  }

  forgetTranscript() {
    Object.assign(this.data, { readUpTo: 0, readSent: 0, lastSeq: 0, frames: [], state: "bot", current: "bot", agent: null, queue: null, unread: 0 });
    this.panel.clearLog();
    this.panel.setUnread(0);
    this.showState();
  }

  // -- what the customer does ------------------------------------------------------------------------
  toggle(open, { focus = true } = {}) {
    const want = open === undefined ? this.panel.panel.hidden : open;
    this.data.open = want;
    if (want) {
      this.data.unread = 0;
      this.panel.setUnread(0);
      this.connection.start();
    }
    this.panel.setOpen(want, { focus });
    this.persist();
    if (want) this.seen();
  }

  /** The customer can see the agent's newest line: say so (a read receipt for the agent, where shown). */
  seen() {
    if (!this.started || this.panel.panel.hidden || document.visibilityState !== "visible") return;
    const agentSeqs = this.data.frames.filter((f) => f.author === "agent").map((f) => f.seq);
    const newest = Math.max(0, ...agentSeqs);
    if (newest <= (this.data.readSent || 0)) return;
    if (this.connection.send({ type: "read", upto_seq: this.data.lastSeq })) {
      this.data.readSent = this.data.lastSeq;
      this.persist();
    }
  }

  say(text, shown) {
    const item = { client_id: newClientId(), text, ts: new Date().toISOString() };
    if (shown !== text) this.buttonTitles.set(text, shown);
    this.data.pending.push(item);
    this.panel.retireButtons();
    this.panel.addPending(item, shown);
    this.persist();
    this.connection.start();
    if (this.started) this.sendMessage(item);
  }

  sendControl(type) {
    if (type === "leave" && !this.data.session) return;
    this.control = type;
    this.connection.start();
    if (this.started) this.flush();
  }

  customerTyping() {
    const now = Date.now();
    if (!this.started || this.data.current !== "agent" || now - this.typingSentAt < TYPING_SENT_EVERY_MS) return;
    this.typingSentAt = now;
    this.connection.send({ type: "typing" });
  }

  /** Upload a file over REST (the socket carries JSON only); the transcript shows it once stored. */
  async sendFile(file) {
    const { session, conversationId } = this.data;
    if (!session || !conversationId || !file) return;
    const id = newClientId();
    this.panel.addUpload(id, file.name || this.s.file);
    const url = new URL(`chat/sessions/${encodeURIComponent(conversationId)}/attachments`, this.config.base);
    url.searchParams.set("filename", file.name || "file");
    url.searchParams.set("client_id", id);
    let problem = null;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { Authorization: `Bearer ${session}`, "Content-Type": file.type || "application/octet-stream" },
        body: file,
      });
      if (response.ok) {
        const ack = await response.json();
        if (Number.isInteger(ack.seq) && this.panel.hasSeq(ack.seq)) this.panel.removeUpload(id);
        return; // else the socket brings the stored line (or the replay after a reconnect)
      }
      problem = await response.json().catch(() => null);
    } catch {
      problem = null;
    }
    const message = (problem && (problem.detail || problem.title)) || this.s.offline;
    this.panel.uploadFailed(id, fill(this.s.fileFailed, { name: file.name || this.s.file, message }));
  }

  // -- sending ---------------------------------------------------------------------------------------
  sendStart() {
    this.started = false;
    const frame = { type: "start" };
    if (this.data.session) {
      frame.session = this.data.session;
      frame.last_seq = this.data.lastSeq;
    } else {
      frame.customer = { language: String(this.config.lang).slice(0, 16) };
    }
    this.connection.send(frame);
  }

  /** Send every unacked line (the gateway stores a client_id once), then a waiting cancel/leave. */
  flush() {
    if (!this.started) return;
    for (const item of this.data.pending) this.sendMessage(item);
    if (this.control && this.connection.send({ type: this.control })) this.control = null;
  }

  sendMessage(item) {
    if (!this.connection.send({ type: "message", text: item.text, client_id: item.client_id })) return;
    item.sentAt = Date.now();
    this.armAckTimer();
  }

  armAckTimer() {
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      if (this.data.pending.some((p) => p.sentAt && Date.now() - p.sentAt >= ACK_TIMEOUT_MS)) this.connection.restart();
      else if (this.data.pending.length) this.armAckTimer();
    }, ACK_TIMEOUT_MS);
  }

  disarmAckTimer() {
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  // -- status ----------------------------------------------------------------------------------------
  connectionChanged(status) {
    if (status !== "online") this.started = false;
    const notices = { connecting: this.s.connecting, reconnecting: this.s.reconnecting, offline: this.s.offline };
    this.panel.setNotice(notices[status] || null);
  }

  flashNotice(text) {
    this.panel.setNotice(text);
    setTimeout(() => {
      if (this.panel.notice.textContent === text) this.panel.setNotice(null);
    }, 5000);
  }

  agentTyping(name) {
    this.panel.setTyping(fill(this.s.typing, { agent: name || this.data.agent || this.s.agent }));
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopAgentTyping(), TYPING_SHOWN_MS);
  }

  stopAgentTyping() {
    clearTimeout(this.typingTimer);
    this.panel.setTyping(null);
  }
}
