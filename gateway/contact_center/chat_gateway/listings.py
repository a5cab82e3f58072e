"""Reading what Chat Gateway holds: how many messages like ours, the card a choice answers, when a
conversation began. ``messages`` are as ``GET …/messages`` lists them (newest first), ``interactions`` as
``GET …/interactions``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gateway.contact_center.chat_gateway.cards import QUICK_REPLIES


def quick_reply_card(messages: Sequence[dict[str, Any]], postback: str) -> str | None:
    """The id of the newest agent quick-replies card that offers ``postback`` (messages newest first)."""
    for message in messages:
        if (message.get("author") or {}).get("type") != "agent":
            continue
        for card in message.get("cards") or []:
            if not isinstance(card, dict) or card.get("contentType") != QUICK_REPLIES or not card.get("id"):
                continue
            options = (card.get("content") or {}).get("options") or []
            if any(
                isinstance(o, dict) and str((o.get("data") or {}).get("postback")) == postback
                for o in options
            ):
                return str(card["id"])
    return None


def began(interactions: Sequence[dict[str, Any]]) -> float | None:
    """When the conversation's first interaction started, if 8x8 says."""
    starts = [t for i in interactions if (t := _timestamp(i.get("startTime"))) is not None]
    return min(starts, default=None)


def _created_at(message: dict[str, Any]) -> float | None:
    return _timestamp(message.get("createdAt"))


def _timestamp(value: object) -> float | None:
    """An ISO-8601 time or an epoch (seconds or milliseconds), as epoch seconds."""
    if isinstance(value, int | float):
        return float(value) / (1000 if value > 1e11 else 1)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    return None


def matches(
    messages: Sequence[dict[str, Any]],
    *,
    kind: str,
    text: str | None,
    attachment_id: str | None,
    since: float,
) -> int:
    """How many messages by ``kind`` created since ``since`` have this text (or this attachment)."""
    found = 0
    for message in messages:
        if (message.get("author") or {}).get("type") != kind:
            continue
        created = _created_at(message)
        if created is not None and created < since:
            continue
        ids = {a.get("id") for a in message.get("attachments") or [] if isinstance(a, dict)}
        if (text is not None and message.get("text") == text) or (
            attachment_id is not None and attachment_id in ids
        ):
            found += 1
    return found
