"""``GET /chat/sessions/{id}/transcript``: the whole chat as plain text, for the customer to keep.

Authenticated like the other REST routes: the session token as ``Authorization: Bearer``, and it must
belong to ``{id}``. One line per transcript entry, oldest first, each with its date and time in UTC: the
customer's own lines, the bot's, the agent's (by name), the gateway's system lines, and the state changes
(connecting, waiting in a queue, an agent joined or left, the chat ended). A file is listed by name with
its link. Served as a download (``Content-Disposition: attachment``), never cached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from aiohttp import web

from gateway.channels.web.frames import file_path
from gateway.channels.web.rest import authorised
from gateway.keys import relay_key, settings_key
from gateway.relay.model import Author, Conversation, Entry, MessageEntry, Outcome, State, StateEntry

routes = web.RouteTableDef()

PAGE = 1000
MAX_ENTRIES = 20_000
"""A transcript longer than this ends with a line saying how many entries were left out."""

_AUTHORS = {Author.CUSTOMER: "You", Author.BOT: "Assistant", Author.SYSTEM: "System"}
_OUTCOMES = {
    Outcome.CANCELLED: "You stopped waiting for an agent",
    Outcome.FAILED: "No agent could be reached",
    Outcome.ABANDONED: "You left while waiting for an agent",
}


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _state_text(entry: StateEntry) -> str:
    match entry.state:
        case State.ESCALATING:
            return "Connecting you to an agent"
        case State.QUEUED:
            name = entry.queue.name if entry.queue is not None else None
            return f"Waiting in queue {name}" if name else "Waiting for an agent"
        case State.AGENT:
            return f"{entry.agent.name if entry.agent is not None else 'An agent'} joined"
        case State.BOT:
            if entry.outcome in _OUTCOMES:
                return f"{_OUTCOMES[entry.outcome]}; the assistant is back"
            return "The assistant is back"
        case State.CLOSED:
            return "Chat ended"


def entry_lines(entry: Entry, base_url: str, *, titles: Mapping[str, str] | None = None) -> list[str]:
    """One entry as the customer reads it: ``[time] Who: text``, a file per extra line.

    ``titles`` maps button payloads to their titles: a customer's line that is a payload reads as the
    button the customer chose, as the widget shows it.
    """
    when = f"[{_when(entry.ts)}]"
    if isinstance(entry, StateEntry):
        return [f"{when} -- {_state_text(entry)} --"]
    if entry.author is Author.AGENT:
        who = entry.agent.name if entry.agent is not None else "Agent"
    else:
        who = _AUTHORS[entry.author]
    # Continuation lines are indented so a line of the text never looks like a new entry.
    text = entry.text or ""
    if entry.author is Author.CUSTOMER and titles:
        text = titles.get(text, text)
    text = text.replace("\r\n", "\n").replace("\n", "\n    ")
    lines = [f"{when} {who}: {text}".rstrip()]
    if entry.buttons:
        lines.append("    (choices: " + " | ".join(b.title for b in entry.buttons) + ")")
    if entry.image:
        lines.append(f"    image: {entry.image}")
    lines.extend(f"    file: {f.name} {base_url}{file_path(f)}" for f in entry.attachments)
    return lines


def render_transcript(
    conv: Conversation, entries: Sequence[Entry], *, base_url: str, left_out: int = 0
) -> str:
    """The text file: a heading, then every entry."""
    started = _when(entries[0].ts if entries else conv.created_at)
    lines = [f"Chat transcript (conversation {conv.id}, started {started})", ""]
    titles: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, MessageEntry):
            titles.update((b.payload, b.title) for b in entry.buttons)
        lines.extend(entry_lines(entry, base_url, titles=titles))
    if left_out:
        lines.append(f"... and {left_out} more entries, left out of this file")
    return "\n".join(lines) + "\n"


@routes.get("/chat/sessions/{id}/transcript")
async def transcript(request: web.Request) -> web.Response:
    conv = await authorised(request)
    relay = request.app[relay_key]
    entries: list[Entry] = []
    after = 0
    while len(entries) < MAX_ENTRIES:
        page = await relay.entries(conv.id, after=after, limit=PAGE)
        entries.extend(page)
        if len(page) < PAGE:
            break
        after = page[-1].seq
    shown = entries[:MAX_ENTRIES]
    left_out = max(0, conv.last_seq - shown[-1].seq) if len(entries) >= MAX_ENTRIES else 0
    text = render_transcript(conv, shown, base_url=request.app[settings_key].base_url, left_out=left_out)
    day = _when(entries[0].ts if entries else conv.created_at)[:10]
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="chat-transcript-{day}.txt"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
