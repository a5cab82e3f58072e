// Agent console of the 8x8 Chat API emulator. Plain ES module, no build step.
//
// Reads the emulator's control API (/_emulator/config, /_emulator/conversations[/{id}]) and re-reads it on
// every "change" of the live feed (/_emulator/stream, Server-Sent Events). Acts through
// /_emulator/conversations/{id}/agent/{join,messages,leave,transfer}, and for Chat Gateway conversations
// also agent/{typing,read,attachments}: typing while the agent writes, read receipts when a customer line is
// on screen, files, and cards (quick replies, an Adaptive Card) through agent/messages. Chat API v2 and Chat Gateway conversations look and work the same otherwise. Every piece
// of data reaches the page through textContent (or an attribute), never as markup.

const STATE_LABELS = { created: "Created", queued: "Queued", agent: "Active", closed: "Closed" };
const STATE_ORDER = { queued: 0, agent: 1, created: 2, closed: 3 };
const AUTHOR_LABELS = { user: "Customer", bot: "Bot", agent: "Agent", system: "System" };
const API_LABELS = { chat_api: "Chat API", chat_gateway: "Chat Gateway" };
// Shown as history lines or not at all: messages are lines of their own, the rest is state the page shows.
const HIDDEN_EVENTS = ["TEXT", "MESSAGE", "ACTIVITY", "CONVERSATION_UPDATE"];
const TYPING_EVERY_MS = 3000; // agent typing is re-sent at most this often while the agent writes
const TYPING_IDLE_MS = 5000; // ... and stopped after this long without a keystroke

const model = {
  config: { queues: [], agents: [], tenantId: "", mode: "" },
  conversations: [],
  selectedId: decodeURIComponent(location.hash.slice(1)) || null,
  selected: null,
  selectedEvents: [],
  showClosed: false,
  historyKey: "",
  historyConversation: null,
  readSent: {}, // conversation id -> last readAt sent
  typing: { conversationId: null, sentAt: 0, idleTimer: null },
  indicatorTimer: null,
};

const $ = (id) => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`console.html has no #${id}`);
  return found;
};

/** Create an element; string children become text nodes (never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function time(ms) {
  if (typeof ms !== "number") return "";
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** The customer's name or e-mail; an anonymous one is "Visitor" and a short id (not a 32-character one). */
function customerName(conv) {
  const c = conv.customer || {};
  if (c.name || c.email) return c.name || c.email;
  const id = String(c.customerId || c.userId || conv.id || "");
  return id ? `Visitor ${id.replace(/[^0-9a-z]/gi, "").slice(0, 6)}` : "Visitor";
}

function agentName(agentId) {
  const agent = model.config.agents.find((a) => a.id === agentId);
  return agent ? agent.name : agentId;
}

function queueName(queueId) {
  const queue = model.config.queues.find((q) => q.id === queueId);
  return queue ? queue.name : queueId;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

// -- HTTP ------------------------------------------------------------------------------------------------

class ApiError extends Error {}

async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const errors = data && Array.isArray(data.errors) ? data.errors.map(String).join("; ") : "";
    throw new ApiError(errors || (data && data.message) || `${response.status} ${response.statusText}`);
  }
  return data;
}

// -- refresh (coalesced: one re-read at a time, one more if changes arrived meanwhile) ------------------

let refreshing = null;
let refreshAgain = false;

function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      try {
        await load();
      } catch (err) {
        showError(`Could not reach the emulator: ${err.message}`);
      }
    } while (refreshAgain);
    refreshing = null;
  })();
  return refreshing;
}

async function load() {
  const list = await request("GET", "/_emulator/conversations");
  model.conversations = list.conversations || [];
  model.selected = null;
  model.selectedEvents = [];
  if (model.selectedId) {
    const id = model.selectedId;
    try {
      const [conv, events] = await Promise.all([
        request("GET", `/_emulator/conversations/${encodeURIComponent(id)}`),
        request("GET", "/_emulator/events"),
      ]);
      model.selected = conv;
      model.selectedEvents = (events.events || [])
        .filter((e) => e.conversationId === id && !HIDDEN_EVENTS.includes(e.type))
        .map((e) => ({ ...e, payload: parseJson(e.body) }));
    } catch {
      model.selected = null;
    }
  }
  render();
}

// -- rendering ---------------------------------------------------------------------------------------------

function render() {
  renderList();
  renderConversation();
  const queued = model.conversations.filter((c) => c.state === "queued").length;
  document.title = `${queued ? `(${queued}) ` : ""}Agent console · 8x8 emulator`;
}

function renderList() {
  const list = $("conversation-list");
  const visible = model.conversations
    .filter((c) => model.showClosed || c.state !== "closed" || c.id === model.selectedId)
    .sort((a, b) => (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) || a.startTime - b.startTime);
  const items = visible.map((conv) => {
    const selected = conv.id === model.selectedId;
    const item = el(
      "li",
      {
        class: `conversation-item state-${conv.state}${selected ? " is-selected" : ""}`,
        "data-testid": "conversation-item",
        "data-conversation-id": conv.id,
        "data-state": conv.state,
        "aria-current": selected ? "true" : null,
      },
      el(
        "button",
        { type: "button", class: "item-button" },
        el(
        "span",
        { class: "item-top" },
        el("span", { class: "item-name", text: customerName(conv) }),
        el("span", { class: `badge badge-${conv.state}`, text: STATE_LABELS[conv.state] || conv.state }),
      ),
      el(
        "span",
        { class: "item-meta" },
        el("span", { text: conv.queue ? conv.queue.name : "" }),
        conv.agent ? el("span", { text: `· ${conv.agent.name}` }) : null,
        el("span", { class: "item-time", text: time(conv.startTime) }),
        isGateway(conv) ? el("span", { class: "tag tag-api", text: "gateway" }) : null,
      ),
      el("span", { class: "item-last", text: conv.lastMessage || "—" }),
      ),
    );
    item.addEventListener("click", () => select(conv.id)); // the button inside: a click, Enter or Space
    return item;
  });
  list.replaceChildren(...items);
  $("list-empty").hidden = items.length > 0;
  const count = (s) => model.conversations.filter((c) => c.state === s).length;
  $("counts").textContent = `${count("queued")} queued · ${count("agent")} active · ${count("closed")} closed`;
}

function renderConversation() {
  const conv = model.selected;
  $("placeholder").hidden = conv !== null;
  $("conversation").hidden = conv === null;
  if (conv === null) {
    model.historyKey = "";
    return;
  }
  $("conv-name").textContent = customerName(conv);
  const badge = $("conv-state");
  badge.textContent = STATE_LABELS[conv.state] || conv.state;
  badge.dataset.state = conv.state;
  badge.className = `badge badge-${conv.state}`;
  const sub = [API_LABELS[conv.api] || conv.api, `Queue ${conv.queue.name}`];
  if (conv.agent) sub.push(`Agent ${conv.agent.name}`);
  sub.push(`started ${time(conv.startTime)}`);
  $("conv-sub").textContent = sub.join(" · ");

  renderActions(conv);
  renderDetails(conv);
  renderHistory(conv);
  renderIndicators(conv);
  markRead(conv);
}

function isGateway(conv) {
  return conv.api === "chat_gateway";
}

function renderIndicators(conv) {
  const parts = [];
  const typing = conv.typing || [];
  if (typing.includes("user")) parts.push(`${customerName(conv)} is typing…`);
  if (typing.includes("bot")) parts.push("The bot is typing…");
  if (conv.thinking) parts.push("The bot is thinking…");
  if (conv.withBotAfterAgent) parts.push("With the customer's bot after the agent (post-agent assignment)");
  const readAt = (conv.readAt || {}).user;
  if (readAt) parts.push(`Read by the customer up to ${time(readAt)}`);
  const line = $("indicators");
  line.textContent = parts.join(" · ");
  line.hidden = !isGateway(conv);
  clearTimeout(model.indicatorTimer);
  if (typing.length || conv.thinking) model.indicatorTimer = setTimeout(() => refresh(), 6500);
}

function markRead(conv) {
  // A customer line shown to the active agent of a Chat Gateway conversation counts as read.
  if (!isGateway(conv) || conv.state !== "agent" || document.visibilityState !== "visible") return;
  const lines = (conv.messages || []).filter((m) => m.authorType === "user");
  if (!lines.length) return;
  const last = lines[lines.length - 1].timestamp;
  if ((model.readSent[conv.id] || 0) >= last) return;
  model.readSent[conv.id] = last;
  const path = `/_emulator/conversations/${encodeURIComponent(conv.id)}/agent/read`;
  request("POST", path, { readAt: last }).catch(() => {
    model.readSent[conv.id] = 0;
  });
}

function setOptions(select, options) {
  // Rebuild only when the choices changed, so a live update does not reset what the agent picked.
  const key = JSON.stringify(options);
  if (select.dataset.key === key) return;
  const previous = select.value;
  select.replaceChildren(
    ...options.map((o) => el("option", { value: o.value, disabled: o.disabled || null, text: o.label })),
  );
  select.dataset.key = key;
  const keep = options.find((o) => o.value === previous && !o.disabled);
  const first = options.find((o) => !o.disabled);
  select.value = keep ? keep.value : first ? first.value : "";
}

function agentLoad(agentId) {
  return model.conversations.filter((c) => c.state === "agent" && c.agent && c.agent.id === agentId).length;
}

function renderActions(conv) {
  const queued = conv.state === "queued";
  const active = conv.state === "agent";
  const language = (conv.customer && conv.customer.language) || "en";
  const candidates = model.config.agents
    .filter((a) => a.queues.includes(conv.queue.id))
    .map((a) => {
      const busy = agentLoad(a.id) >= a.capacity;
      const speaks = !a.languages.length || a.languages.includes(language);
      const why = busy ? " (busy)" : speaks ? "" : ` (no ${language})`;
      return { value: a.id, label: `${a.name}${why}`, disabled: busy || !speaks };
    });
  const agentSelect = $("agent-select");
  setOptions(agentSelect, candidates);
  $("accept-group").hidden = !queued;
  agentSelect.disabled = !queued || candidates.length < 2;
  $("accept").disabled = !queued || !candidates.some((c) => !c.disabled);
  $("accept").title = candidates.some((c) => !c.disabled) ? "" : "No free agent serves this queue";

  const transferSelect = $("transfer-select");
  setOptions(
    transferSelect,
    model.config.queues.filter((q) => q.id !== conv.queue.id).map((q) => ({ value: q.id, label: q.name })),
  );
  transferSelect.disabled = !active;
  $("transfer").disabled = !active || !transferSelect.value;
  $("end").disabled = !active;
  $("reply-input").disabled = !active;
  $("reply-send").disabled = !active;
  for (const id of ["attach", "quick-replies", "send-card"]) {
    $(id).hidden = !isGateway(conv);
    $(id).disabled = !active;
  }
  $("reply-input").placeholder = active
    ? "Type a reply… (Enter sends, Shift+Enter for a new line)"
    : queued
      ? "Accept the conversation to reply"
      : "The conversation is not active";
}

function renderKv(dl, pairs) {
  dl.replaceChildren(
    ...pairs.flatMap(([key, value]) => [
      el("dt", { text: key }),
      el("dd", { text: value === null || value === undefined || value === "" ? "—" : String(value) }),
    ]),
  );
}

function renderDetails(conv) {
  const customer = conv.customer || {};
  renderKv($("customer-details"), Object.entries(customer));
  const interactions = conv.interactions || [];
  renderKv($("conversation-details"), [
    ["id", conv.id],
    ["status", conv.status],
    ["channel", conv.channelId],
    ["queue", `${conv.queue.name} (${conv.queue.id})`],
    ["agent", conv.agent ? `${conv.agent.name} (${conv.agent.id})` : null],
    ["interaction", conv.interactionId],
    ["interactions", String(interactions.length)],
    ["messages", String(conv.messageCount)],
  ]);
}

function authorLabel(conv, message) {
  if (message.authorType === "agent") return agentName(message.participantId);
  if (message.authorType === "user") return customerName(conv);
  return AUTHOR_LABELS[message.authorType] || message.authorType;
}

function eventLine(event) {
  const p = event.payload || {};
  const d = p.data || p; // Chat Gateway events carry their fields under data
  const member = () => (d.memberType === "user" ? "The customer" : agentName(d.id));
  const labels = {
    QUEUED: () => `Queued on ${d.queueName || queueName(d.queueId)}`,
    AGENT_JOINED: () => `${p.agentName || p.agentId} joined`,
    AGENT_LEFT: () => `${p.agentName || p.agentId} left`,
    MEMBERS_CHANGED: () => `${member()} ${d.change}`,
    TRANSFER: () => "Transferred to another queue",
  };
  const label = labels[event.type] ? labels[event.type]() : event.type;
  const failed = event.status === "given_up" ? " · webhook given up" : "";
  return el("li", {
    class: "divider event",
    "data-testid": "history-event",
    "data-event-type": event.type,
    "data-delivery": event.status,
    text: `${label} · ${time(p.timestamp)}${failed}`,
  });
}

function fileLinks(message) {
  const files = message.attachments || [];
  if (!files.length) return null;
  return el(
    "div",
    { class: "line-files" },
    ...files.map((f) => {
      const link = el("a", {
        class: "line-file",
        href: f.url,
        target: "_blank",
        rel: "noopener",
        download: f.filename,
        "data-testid": "history-file",
        text: `📎 ${f.filename} (${f.contentType}, ${f.size} bytes)`,
      });
      if (f.contentType.startsWith("image/")) link.prepend(el("img", { src: f.url, alt: f.filename }));
      return link;
    }),
  );
}

function renderHistory(conv) {
  const messages = conv.messages || [];
  const interactions = conv.interactions || [];
  const events = model.selectedEvents;
  // Re-render when anything shown changes, including an event's delivery outcome (given up later).
  const key = JSON.stringify([
    conv.id,
    messages.length,
    interactions.length,
    conv.state,
    events.map((e) => `${e.id}:${e.status}`),
  ]);
  if (key === model.historyKey) return;
  const list = $("history");
  const sameConversation = model.historyConversation === conv.id;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  model.historyKey = key;
  model.historyConversation = conv.id;

  const lines = [];
  let interaction = null;
  let transcriptShown = false;
  let next = 0;
  const eventsBefore = (ms) => {
    while (next < events.length && (ms === null || (events[next].payload.timestamp ?? 0) <= ms)) {
      lines.push(eventLine(events[next]));
      next += 1;
    }
  };
  for (const message of messages) {
    if (!message.fromHistory) eventsBefore(message.timestamp - 1);
    if (message.fromHistory && !transcriptShown) {
      lines.push(el("li", { class: "divider", text: "Bot transcript (before the handoff)" }));
      transcriptShown = true;
    }
    if (message.interactionId !== interaction) {
      const index = interactions.findIndex((i) => i.id === message.interactionId);
      if (interaction !== null && index >= 0) {
        lines.push(el("li", { class: "divider", text: `Reopened · interaction ${index + 1}` }));
      }
      interaction = message.interactionId;
    }
    const author = message.authorType;
    lines.push(
      el(
        "li",
        {
          class: `history-line author-${author}${message.fromHistory ? " from-history" : ""}`,
          "data-testid": "history-line",
          "data-author": author,
          "data-transcript": message.fromHistory ? "true" : null,
        },
        el(
          "div",
          { class: "line-meta" },
          el("span", { class: "line-author", text: authorLabel(conv, message) }),
          el("span", { class: `tag tag-${author}`, text: author }),
          message.fromHistory ? el("span", { class: "tag tag-transcript", text: "transcript" }) : null,
          el("span", { class: "line-time", text: message.fromHistory ? "" : time(message.timestamp) }),
        ),
        message.text ? el("div", { class: "line-text", text: message.text }) : null,
        fileLinks(message),
        message.cards && message.cards.length ? el("div", { class: "line-cards", text: cardsText(message) }) : null,
      ),
    );
  }
  eventsBefore(null);
  if (conv.state === "closed") lines.push(el("li", { class: "divider", text: "Conversation closed" }));
  if (!messages.length) lines.push(el("li", { class: "empty", text: "No messages yet." }));
  list.replaceChildren(...lines);
  if (nearBottom || !sameConversation) list.scrollTop = list.scrollHeight;
}

// -- actions -----------------------------------------------------------------------------------------------

let errorTimer = null;

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => {
    box.hidden = true;
  }, 8000);
}

function clearError() {
  $("error").hidden = true;
}

function select(id) {
  if (model.selectedId === id) return;
  stopTyping();
  model.selectedId = id;
  model.historyKey = "";
  history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  clearError();
  refresh();
}

async function act(path, body, button) {
  const id = model.selectedId;
  if (!id) return false;
  if (button) button.disabled = true;
  try {
    await request("POST", `/_emulator/conversations/${encodeURIComponent(id)}/agent/${path}`, body);
    clearError();
    return true;
  } catch (err) {
    showError(err.message);
    return false;
  } finally {
    await refresh();
  }
}

function cardsText(message) {
  const parts = message.cards.map((c) => {
    const options = c.contentType === "application/8x8.quick.replies" && c.content && c.content.options;
    if (Array.isArray(options)) return `quick replies: ${options.map((o) => o && o.title).join(" / ")}`;
    return `card: ${c.contentType}`;
  });
  for (const action of Object.values(message.cardActions || {})) parts.push(`customer ${action.action}: ${action.name}`);
  return parts.join(" · ");
}

/** "Question | option one | option two": the text and the options (postbacks "1", "2", …). */
async function sendQuickReplies() {
  const input = $("reply-input");
  const [text, ...titles] = input.value.split("|").map((p) => p.trim());
  const options = titles.filter(Boolean).map((title, i) => ({ title, data: { postback: String(i + 1) } }));
  if (!options.length) {
    showError('Quick replies: type "Question | option one | option two"');
    return;
  }
  stopTyping();
  const cards = [{ contentType: "application/8x8.quick.replies", content: { options } }];
  if (await act("messages", { text, cards }, $("quick-replies"))) input.value = "";
}

/** An example Adaptive Card: the reply text as its title, facts, a link and a submit action. */
async function sendCard() {
  const input = $("reply-input");
  const content = {
    type: "AdaptiveCard",
    version: "1.3",
    body: [
      { type: "TextBlock", size: "Medium", weight: "Bolder", text: input.value.trim() || "Your order" },
      { type: "TextBlock", text: "Shipped today, arriving in two days.", wrap: true },
      { type: "FactSet", facts: [{ title: "Order", value: "A-1042" }, { title: "Status", value: "Shipped" }] },
    ],
    actions: [
      { type: "Action.OpenUrl", title: "Track the parcel", url: "https://example.com/track/A-1042" },
      { type: "Action.Submit", title: "Looks good", data: { ok: true } },
    ],
  };
  stopTyping();
  const cards = [{ contentType: "application/vnd.microsoft.card.adaptive", content }];
  if (await act("messages", { text: "", cards }, $("send-card"))) input.value = "";
}

async function sendReply() {
  const input = $("reply-input");
  const text = input.value.trim();
  if (!text) return;
  stopTyping();
  if (await act("messages", { text }, $("reply-send"))) {
    input.value = "";
    input.focus();
  }
}

function typingPath(id) {
  return `/_emulator/conversations/${encodeURIComponent(id)}/agent/typing`;
}

function agentTyping() {
  const conv = model.selected;
  if (!conv || !isGateway(conv) || conv.state !== "agent") return;
  const t = model.typing;
  const now = Date.now();
  if (t.conversationId !== conv.id || now - t.sentAt > TYPING_EVERY_MS) {
    t.conversationId = conv.id;
    t.sentAt = now;
    request("POST", typingPath(conv.id), { active: true }).catch(() => {});
  }
  clearTimeout(t.idleTimer);
  t.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  const t = model.typing;
  clearTimeout(t.idleTimer);
  if (!t.conversationId) return;
  const id = t.conversationId;
  t.conversationId = null;
  t.sentAt = 0;
  request("POST", typingPath(id), { active: false }).catch(() => {});
}

async function sendFile(file) {
  const id = model.selectedId;
  if (!id || !file) return;
  const input = $("reply-input");
  const params = new URLSearchParams({ filename: file.name, text: input.value.trim() });
  const button = $("attach");
  button.disabled = true;
  stopTyping();
  try {
    const response = await fetch(`/_emulator/conversations/${encodeURIComponent(id)}/agent/attachments?${params}`, {
      method: "POST",
      headers: { "Content-Type": file.type || "application/octet-stream" },
      body: file,
    });
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      throw new ApiError((data && data.errors && data.errors.map(String).join("; ")) || `${response.status}`);
    }
    input.value = "";
    clearError();
  } catch (err) {
    showError(err.message);
  } finally {
    $("attach-input").value = "";
    await refresh();
  }
}

function wire() {
  $("accept").addEventListener("click", () => {
    const agentId = $("agent-select").value;
    act("join", agentId ? { agentId } : {}, $("accept")).then((ok) => ok && $("reply-input").focus());
  });
  $("transfer").addEventListener("click", () => {
    const queueId = $("transfer-select").value;
    if (queueId) act("transfer", { queueId }, $("transfer"));
  });
  $("end").addEventListener("click", () => act("leave", {}, $("end")));
  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sendReply();
  });
  $("reply-input").addEventListener("input", () => {
    if ($("reply-input").value.trim()) agentTyping();
    else stopTyping();
  });
  $("reply-input").addEventListener("blur", () => stopTyping());
  $("attach").addEventListener("click", () => $("attach-input").click());
  $("quick-replies").addEventListener("click", () => sendQuickReplies());
  $("send-card").addEventListener("click", () => sendCard());
  $("attach-input").addEventListener("change", (ev) => sendFile(ev.target.files[0]));
  document.addEventListener("visibilitychange", () => model.selected && markRead(model.selected));
  $("reply-input").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      sendReply();
    }
  });
  $("show-closed").addEventListener("change", (ev) => {
    model.showClosed = ev.target.checked;
    renderList();
  });
  window.addEventListener("hashchange", () => {
    const id = decodeURIComponent(location.hash.slice(1)) || null;
    if (id && id !== model.selectedId) select(id);
  });
}

function connect() {
  const live = $("live");
  const source = new EventSource("/_emulator/stream");
  source.addEventListener("open", () => {
    live.dataset.live = "on";
    live.textContent = "live";
  });
  source.addEventListener("change", () => refresh());
  source.addEventListener("error", () => {
    live.dataset.live = "off";
    live.textContent = "reconnecting…";
  });
  // A slow safety net in case the feed is down; the feed itself reconnects on its own.
  setInterval(() => {
    if (source.readyState !== EventSource.OPEN) refresh();
  }, 5000);
}

async function start() {
  wire();
  try {
    model.config = await request("GET", "/_emulator/config");
    $("tenant").textContent = `tenant ${model.config.tenantId}`;
    $("mode").textContent = `${model.config.mode} mode`;
  } catch (err) {
    showError(`Could not read the emulator's configuration: ${err.message}`);
  }
  await refresh();
  connect();
}

start();
