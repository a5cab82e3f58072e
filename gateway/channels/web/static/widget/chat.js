// The customer's side of the protocol (design.md, "Customer channel"): start or resume a session,
// show every transcript entry once (by seq), send lines with a client_id until they are acked, and
// keep what a reload needs in storage.

import { Connection } from "./connection.js";
import { fill, newClientId } from "./dom.js";
import { SavedChat } from "./storage.js";
import { Panel } from "./panel.js";
import { downloadTranscript, uploadFile } from "./session-api.js";
import { stateText, WAITING } from "./states.js";

const ACK_TIMEOUT_MS = 8000; // no ack this long on an open socket: assume it is dead and reconnect
const RETRY_AFTER_MS = 1500; // after rate_limited / unavailable
const TYPING_SHOWN_MS = 6000;
const TYPING_SENT_EVERY_MS = 3000;

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
      download: () => this.downloadTranscript(),
    });
    this.log = this.panel.transcript;
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
    for (const item of this.data.pending) this.log.addPending(item, this.shownText(item.text));
    this.log.markRead(this.data.readUpTo);
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
      case "typing": // the agent typing, or the bot thinking
        if (frame.author !== "agent" && frame.author !== "bot") break;
        if (frame.active === false) this.stopAgentTyping();
        else this.agentTyping(frame.author === "bot" ? this.s.assistant : frame.agent && frame.agent.name);
        break;
      case "read":
        // Not a transcript entry: the agent has read the customer's lines up to upto_seq.
        if (frame.author !== "agent" || !Number.isInteger(frame.upto_seq)) break;
        this.data.readUpTo = Math.max(this.data.readUpTo || 0, frame.upto_seq);
        this.log.markRead(this.data.readUpTo);
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
    if (!this.log.markSent(item.client_id, frame.seq)) this.log.addMessage(entry, this.s.you, this.shownText(item.text));
    this.log.markRead(this.data.readUpTo);
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
          this.log.markFailed(item.client_id);
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
      const text = this.renderState(frame);
      if (live) {
        this.arrived();
        this.panel.announce(text);
      }
      return;
    }
    if (frame.author === "customer") {
      this.log.retireButtons();
      if (frame.client_id) this.log.removeUpload(frame.client_id); // a file we sent, now stored
      const index = frame.client_id ? this.data.pending.findIndex((p) => p.client_id === frame.client_id) : -1;
      if (index >= 0) this.data.pending.splice(index, 1); // stored, but its ack was lost with the socket
      if (index < 0 || !this.log.markSent(frame.client_id, frame.seq)) {
        this.log.addMessage(frame, this.s.you, this.shownText(frame.text));
      }
      this.log.markRead(this.data.readUpTo);
      return;
    }
    for (const b of Array.isArray(frame.buttons) ? frame.buttons : []) {
      if (b && typeof b.payload === "string" && typeof b.title === "string") this.buttonTitles.set(b.payload, b.title);
    }
    if (frame.custom && typeof frame.custom === "object") {
      // A bot's custom payload (docs/rasa.md, "Custom payloads"): the page shows it, if it wants to.
      window.dispatchEvent(new CustomEvent("chat-gateway:custom", { detail: { seq: frame.seq, custom: frame.custom, live } }));
      if (!frame.text && !frame.image && !(Array.isArray(frame.buttons) && frame.buttons.length)) return;
    }
    let label = "";
    if (frame.author === "bot") label = this.s.assistant;
    if (frame.author === "agent") label = (frame.agent && frame.agent.name) || this.s.agent;
    this.log.addMessage(frame, label, frame.text);
    this.stopAgentTyping(); // whoever was typing has said it
    if (!live) return;
    this.arrived();
    const files = (Array.isArray(frame.attachments) ? frame.attachments : []).map((f) => f && f.name);
    const text = [frame.text, ...files].filter((t) => typeof t === "string" && t).join(" ");
    this.panel.announce(label ? fill(this.s.said, { author: label, text }) : text);
  }

  renderState(frame) {
    const previous = this.data.state;
    this.data.state = frame.state;
    this.data.current = frame.state;
    if (frame.agent && frame.agent.name) this.data.agent = frame.agent.name;
    if (frame.state === "escalating") this.data.queue = null;
    if (frame.queue && frame.queue.name) this.data.queue = frame.queue.name;
    const text = stateText(this.s, frame, previous);
    // Waiting for an agent is the banner's to say (with its "Stop waiting"): no transcript line for it,
    // so an escalation reads as the bot's own words, the gateway's queue notice and one banner.
    if (text && !WAITING.has(frame.state)) this.log.addEvent(frame.seq, frame.state, text);
    if (frame.state !== "agent") this.stopAgentTyping();
    this.showState();
    return text;
  }

  showState() {
    const s = this.s;
    const state = this.data.current || this.data.state;
    if (state === "escalating") this.panel.setBanner(s.escalating, { cancellable: true });
    else if (state === "queued")
      this.panel.setBanner(this.data.queue ? fill(s.queued, { queue: this.data.queue }) : s.queuedNoName, { cancellable: true });
    else if (state === "closed" && this.data.session) this.panel.setBanner(s.transcriptOffer, { downloadable: true });
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
    this.log.clear();
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
    this.log.retireButtons();
    this.log.addPending(item, shown);
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
    this.log.addUpload(id, file.name || this.s.file);
    const { ack, problem } = await uploadFile({ base: this.config.base, session, conversationId }, file, id);
    if (ack) {
      if (Number.isInteger(ack.seq) && this.log.hasSeq(ack.seq)) this.log.removeUpload(id);
      return; // else the socket brings the stored line (or the replay after a reconnect)
    }
    const message = (problem && (problem.detail || problem.title)) || this.s.offline;
    this.log.uploadFailed(id, fill(this.s.fileFailed, { name: file.name || this.s.file, message }));
  }

  /** The whole transcript as a text file (GET /chat/sessions/{id}/transcript), saved by the browser. */
  async downloadTranscript() {
    const { session, conversationId } = this.data;
    if (!session || !conversationId) return;
    try {
      await downloadTranscript({ base: this.config.base, session, conversationId });
    } catch (error) {
      this.flashNotice(fill(this.s.error, { message: error.message || this.s.offline }));
    }
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
    if (status === "reconnecting" || status === "offline") this.panel.announce(notices[status]);
  }

  flashNotice(text) {
    this.panel.setNotice(text);
    this.panel.announce(text);
    setTimeout(() => {
      if (this.panel.notice.textContent === text) this.panel.setNotice(null);
    }, 5000);
  }

  agentTyping(name) {
    const text = fill(this.s.typing, { agent: name || this.data.agent || this.s.agent });
    if (this.panel.typing.hidden) this.panel.announce(text);
    this.panel.setTyping(text);
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopAgentTyping(), TYPING_SHOWN_MS);
  }

  stopAgentTyping() {
    clearTimeout(this.typingTimer);
    this.panel.setTyping(null);
  }
}
