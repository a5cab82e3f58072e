// One WebSocket to the gateway, reopened after every drop with exponential backoff and full jitter.
// It knows nothing of sessions: the chat sends `start` from onOpen and calls ready() once the
// gateway answers with `session`, which is when the backoff resets and the status becomes "online".
//
// status: "idle" | "connecting" | "online" | "reconnecting" | "offline"

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export class Connection {
  constructor(url, { onOpen, onFrame, onStatus }) {
    this.url = url;
    this.onOpen = onOpen;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.wanted = false;
    this.status = "idle";
    window.addEventListener("offline", () => this.wentOffline());
    window.addEventListener("online", () => this.cameOnline());
  }

  /** Connect now and keep connected. */
  start() {
    if (this.wanted) return;
    this.wanted = true;
    this.open();
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a frame if the socket is open; false when it is not (the caller keeps it for later). */
  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** The gateway accepted our start: we are online, and the next drop starts the backoff afresh. */
  ready() {
    this.attempt = 0;
    this.setStatus("online");
  }

  /** Drop the socket (e.g. no ack came); the usual backoff reconnects. */
  restart() {
    if (this.ws) this.ws.close();
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.onStatus(status);
  }

  open() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.wanted || this.ws) return;
    if (navigator.onLine === false) {
      this.setStatus("offline"); // the "online" event brings us back
      return;
    }
    this.setStatus(this.attempt === 0 && this.status !== "reconnecting" ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws === ws) this.onOpen();
    });
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws || typeof event.data !== "string") return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame === "object" && typeof frame.type === "string") this.onFrame(frame);
    });
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    if (!this.wanted || this.timer) return;
    if (navigator.onLine === false) {
      this.setStatus("offline");
      return;
    }
    this.setStatus("reconnecting");
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt = Math.min(this.attempt + 1, 16);
    this.timer = setTimeout(() => this.open(), delay);
  }

  wentOffline() {
    if (!this.wanted) return;
    clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null; // its close event is ignored: we reconnect on "online"
    if (ws) ws.close();
    this.setStatus("offline");
  }

  cameOnline() {
    if (!this.wanted || this.ws) return;
    this.attempt = 0;
    this.setStatus("reconnecting");
    this.open();
  }
}
