"""The body of ``POST /conversations`` (spec §3.1): the user, the history, and the queue assignment.

- ``user``: ``userId`` is the gateway's conversation id (agents and reports find it; set-up and the
  duplicate check look conversations up by it), ``name``, a well-formed ``email``, a ``language`` from
  8x8's list; the handoff reason, the bot's context and the customer's own properties go to
  ``additionalProperties`` (at most 30, in that order of priority).
- ``history``: every line in order with its ``authorType`` (``user``/``bot``); long lines split; beyond 200
  items the most recent are kept and the first says how many were left out.
- ``assignment``: the handoff's queue, when it is one of the configured queues (one channel serves all).
"""

from __future__ import annotations

from typing import Any

from gateway.contact_center.chat_api.transcript import MAX_VALUE, chat_api_language, split_text
from gateway.relay.model import Author
from gateway.relay.ports import HistoryLine, OpenRequest

MAX_PROPERTIES = 30
MAX_HISTORY = 200


def author_type(author: Author) -> str:
    return "bot" if author is Author.BOT else "user"


def _email(value: str | None) -> str | None:
    if not value or " " in value or value.count("@") != 1:
        return None
    local, domain = value.split("@")
    return value if local and "." in domain.strip(".") else None


def user_of(request: OpenRequest) -> dict[str, Any]:
    c = request.customer
    user: dict[str, Any] = {"userId": request.conversation_id}
    if c.name:
        user["name"] = c.name[:MAX_VALUE]
    if email := _email(c.email):
        user["email"] = email
    user["language"] = chat_api_language(c.language) or "en"
    props: dict[str, str] = {}
    for key, value in [("handoffReason", request.reason), *request.context.items(), *c.extra.items()]:
        if value and key not in props and len(props) < MAX_PROPERTIES:
            props[key] = value[:MAX_VALUE]
    if props:
        user["additionalProperties"] = [{"key": k, "value": v} for k, v in props.items()]
    return user


def history_items(lines: tuple[HistoryLine, ...] | list[HistoryLine]) -> list[dict[str, str]]:
    items = [
        {"authorType": author_type(line.author), "text": piece}
        for line in lines
        for piece in split_text(line.text)
    ]
    if len(items) > MAX_HISTORY:
        left_out = len(items) - (MAX_HISTORY - 1)
        items = [
            {"authorType": "bot", "text": f"[{left_out} earlier messages are not shown]"},
            *items[-(MAX_HISTORY - 1) :],
        ]
    return items


def create_body(request: OpenRequest, *, channel_id: str, queue_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"channelId": channel_id, "user": user_of(request)}
    if queue_id is not None:
        body["assignment"] = {"type": "queue", "id": queue_id}
    items = history_items(request.history)
    if items:
        body["history"] = {"messages": items}
    return body
