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

from gateway.contact_center.core.text import MAX_HISTORY, MAX_VALUE, author_type, cc_language, history_pieces
from gateway.relay.ports import HistoryLine, OpenRequest

__all__ = ["MAX_HISTORY", "MAX_PROPERTIES", "author_type", "create_body", "history_items", "user_of"]

MAX_PROPERTIES = 30


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
    user["language"] = cc_language(c.language) or "en"
    props: dict[str, str] = {}
    for key, value in [("handoffReason", request.reason), *request.context.items(), *c.extra.items()]:
        if value and key not in props and len(props) < MAX_PROPERTIES:
            props[key] = value[:MAX_VALUE]
    if props:
        user["additionalProperties"] = [{"key": k, "value": v} for k, v in props.items()]
    return user


def history_items(lines: tuple[HistoryLine, ...] | list[HistoryLine]) -> list[dict[str, str]]:
    return [{"authorType": kind, "text": text} for kind, text in history_pieces(lines)]


def create_body(request: OpenRequest, *, channel_id: str, queue_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"channelId": channel_id, "user": user_of(request)}
    if queue_id is not None:
        body["assignment"] = {"type": "queue", "id": queue_id}
    items = history_items(request.history)
    if items:
        body["history"] = {"messages": items}
    return body
