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

from gateway.relay.model import Author
from gateway.relay.ports import HistoryLine, OpenRequest

MAX_CUSTOMER_KEYS = 30
MAX_HISTORY = 200
MAX_TEXT = 4096
MAX_VALUE = 255
LANGUAGES = frozenset(
    [
        "en",
        "ru",
        "de",
        "ja",
        "es",
        "fr",
        "pt",
        "it",
        "pl",
        "hr",
        "nl",
        "ar",
        "da",
        "ko",
        "no",
        "sv",
        "vi",
        "cy",
        "th",
        "zh-CN",
        "zh-TW",
    ]
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def chat_api_language(language: str | None) -> str | None:
    """``en-US`` -> ``en``, ``zh-cn`` -> ``zh-CN``; None when 8x8 has no such language."""
    if not language:
        return None
    lang = language.strip().replace("_", "-")
    for candidate in (lang, lang.lower(), lang.split("-")[0].lower()):
        if candidate in LANGUAGES:
            return candidate
    if lang.lower() in ("zh-cn", "zh-hans"):
        return "zh-CN"
    if lang.lower() in ("zh-tw", "zh-hant"):
        return "zh-TW"
    return None


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at whitespace where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ")
    if text:
        pieces.append(text)
    return pieces


def customer_properties(request: OpenRequest) -> dict[str, str]:
    c = request.customer
    props: dict[str, str] = {}

    def put(key: str, value: str | None) -> None:
        if value and key not in props and len(props) < MAX_CUSTOMER_KEYS:
            props[key] = value[:MAX_VALUE]

    put("name", c.name)
    put("customerId", request.conversation_id)
    put("email", c.email if c.email and _EMAIL.match(c.email) else None)
    put("language", chat_api_language(c.language))
    put("handoffReason", request.reason)
    for key, value in request.context.items():
        put(key, value)
    for key, value in c.extra.items():
        put(key, value)
    return props


def history_items(lines: tuple[HistoryLine, ...] | list[HistoryLine]) -> list[dict[str, str]]:
    items = [
        {"type": "bot" if line.author is Author.BOT else "user", "text": piece}
        for line in lines
        for piece in split_text(line.text)
    ]
    if len(items) > MAX_HISTORY:
        left_out = len(items) - (MAX_HISTORY - 1)
        items = [
            {"type": "bot", "text": f"[{left_out} earlier messages are not shown]"},
            *items[-(MAX_HISTORY - 1) :],
        ]
    return items


def create_body(request: OpenRequest, *, channel_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"channelId": channel_id, "customer": customer_properties(request)}
    items = history_items(request.history)
    if items:
        body["history"] = {"messages": items}
    return body
