"""The body of ``POST /conversations``: customer properties and history within the spec's limits.

- ``customer``: at most 30 keys in all, every value a string, ``language`` one of 8x8's codes, ``email``
  well formed; ``customerId`` is the gateway's conversation id so agents and reports can find it.
  Priority when cutting to 30: predefined fields, then the handoff reason and context, then the
  customer's own custom properties.
- ``history``: every line in order as ``user``/``bot``; lines over 4,096 characters are split; when
  there are more than 200 items the most recent ones are kept and the first says how many were left out.
"""

from __future__ import annotations

import re
from typing import Any

from gateway.contact_center.core.text import (
    MAX_HISTORY,
    MAX_TEXT,
    MAX_VALUE,
    cc_language,
    history_pieces,
    split_text,
)
from gateway.relay.ports import HistoryLine, OpenRequest

__all__ = [
    "MAX_HISTORY",
    "MAX_TEXT",
    "MAX_VALUE",
    "chat_api_language",
    "create_body",
    "customer_properties",
    "history_items",
    "split_text",
]

MAX_CUSTOMER_KEYS = 30
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
chat_api_language = cc_language


def customer_properties(request: OpenRequest) -> dict[str, str]:
    c = request.customer
    props: dict[str, str] = {}

    def put(key: str, value: str | None) -> None:
        if value and key not in props and len(props) < MAX_CUSTOMER_KEYS:
            props[key] = value[:MAX_VALUE]

    put("name", c.name)
    put("customerId", request.conversation_id)
    put("email", c.email if c.email and _EMAIL.match(c.email) else None)
    put("language", cc_language(c.language))
    put("handoffReason", request.reason)
    for key, value in request.context.items():
        put(key, value)
    for key, value in c.extra.items():
        put(key, value)
    return props


def history_items(lines: tuple[HistoryLine, ...] | list[HistoryLine]) -> list[dict[str, str]]:
    """Chat API v2 history items: ``type`` (not ``authorType``) and ``text``."""
    return [{"type": kind, "text": text} for kind, text in history_pieces(lines)]


def create_body(request: OpenRequest, *, channel_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"channelId": channel_id, "customer": customer_properties(request)}
    items = history_items(request.history)
    if items:
        body["history"] = {"messages": items}
    return body
