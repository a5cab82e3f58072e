// What survives a reload: the session token, the highest seq seen, the transcript frames already shown
// (so a resume asks only for what is new) and the lines not yet acked. sessionStorage by default,
// localStorage with data-storage="local"; an in-memory fallback where storage is refused.

const MAX_FRAMES = 400;

function pickStorage(kind) {
  try {
    const storage = kind === "local" ? window.localStorage : window.sessionStorage;
    const probe = "__chat_widget_probe__";
    storage.setItem(probe, "1");
    storage.removeItem(probe);
    return storage;
  } catch {
    const memory = new Map();
    return {
      getItem: (k) => (memory.has(k) ? memory.get(k) : null),
      setItem: (k, v) => memory.set(k, String(v)),
      removeItem: (k) => memory.delete(k),
    };
  }
}

export function emptyState() {
  return { session: null, lastSeq: 0, state: "bot", frames: [], pending: [], open: false, unread: 0 };
}

export class SavedChat {
  constructor(kind, gatewayBase) {
    this.storage = pickStorage(kind);
    this.key = "chat-gateway-widget:" + gatewayBase;
  }

  load() {
    try {
      const saved = JSON.parse(this.storage.getItem(this.key) || "null");
      if (!saved || typeof saved !== "object") return emptyState();
      const state = { ...emptyState(), ...saved };
      if (!Array.isArray(state.frames)) state.frames = [];
      if (!Array.isArray(state.pending)) state.pending = [];
      if (!Number.isInteger(state.lastSeq) || state.lastSeq < 0) state.lastSeq = 0;
      return state;
    } catch {
      return emptyState();
    }
  }

  save(state) {
    state.frames = state.frames.slice(-MAX_FRAMES);
    let frames = state.frames;
    for (;;) {
      try {
        this.storage.setItem(this.key, JSON.stringify({ ...state, frames }));
        return;
      } catch {
        if (frames.length === 0) return; // storage refuses even the token: live without it
        frames = frames.slice(Math.ceil(frames.length / 2)); // over quota: keep the newer half
      }
    }
  }
}
