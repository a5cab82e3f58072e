"""Rasa REST-channel answers (a JSON list of items) -> a ``BotReply``.

Both the Rasa adapter and the embedded bot produce these items, so there is one reading of them:
``text`` (+ ``buttons``), ``image`` and ``attachment`` become bot messages; a ``custom`` item holding a
``handoff`` object is the escalation signal (never shown). Any other ``custom`` object up to
``MAX_CUSTOM_BYTES`` of JSON becomes a bot message of its own carrying it: the widget gets it as the
message frame's ``custom`` (docs/rasa.md, "Custom payloads"); anything else there is dropped with a warning.
"""

from __future__ import annotations

import json
from typing import Any, Final

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.relay.errors import BotUnavailable
from gateway.relay.events import BotMessage
from gateway.relay.model import Button, Customer, Handoff
from gateway.relay.ports import BotReply

logger = structlog.get_logger(__name__)

MAX_CUSTOM_BYTES: Final = 8192
CHANNEL: Final = "web"
"""``metadata["channel"]`` of every turn the gateway sends: bot_actions hands off only on this channel."""


def _stringify(values: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in values.items() if v is not None}


class HandoffCustomerPayload(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str | None = None
    email: str | None = None
    language: str | None = None


class HandoffPayload(BaseModel):
    """The ``custom.handoff`` object of design.md; ``null`` fields count as absent."""

    model_config = ConfigDict(extra="ignore")
    reason: str | None = Field(default=None, max_length=256)
    queue_id: str | None = Field(default=None, max_length=256)
    customer: HandoffCustomerPayload | None = None
    context: dict[str, Any] | None = None

    @field_validator("queue_id", "reason", mode="before")
    @classmethod
    def _scalar_to_str(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) else value

    def to_handoff(self) -> Handoff:
        customer = self.customer or HandoffCustomerPayload()
        return Handoff(
            reason=self.reason or "customer_asked",
            queue_id=self.queue_id or None,
            customer=Customer(
                name=customer.name or None,
                email=customer.email or None,
                language=customer.language or None,
                extra=_stringify(customer.model_extra or {}),
            ),
            context=_stringify(self.context or {}),
        )


class ButtonPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str
    payload: str


def parse_rest_items(items: object) -> BotReply:
    """Read a REST-channel answer; raise ``BotUnavailable`` if it is not a list of objects."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BotUnavailable("the bot's answer is not a list of message objects")
    messages: list[BotMessage] = []
    handoff: Handoff | None = None
    for item in items:
        custom = item.get("custom")
        if isinstance(custom, dict) and "handoff" in custom:
            try:
                handoff = HandoffPayload.model_validate(custom["handoff"] or {}).to_handoff()
            except ValidationError as exc:
                raise BotUnavailable(f"malformed handoff payload: {exc.error_count()} errors") from exc
            continue
        text = item.get("text")
        raw_buttons = item.get("buttons") or []
        try:
            buttons = tuple(
                Button(b.title, b.payload) for b in map(ButtonPayload.model_validate, raw_buttons)
            )
        except (ValidationError, TypeError) as exc:
            raise BotUnavailable("malformed buttons in the bot's answer") from exc
        if (isinstance(text, str) and text) or buttons:
            messages.append(BotMessage(text=text if isinstance(text, str) else None, buttons=buttons))
        if isinstance(item.get("image"), str):
            messages.append(BotMessage(image=item["image"]))
        if isinstance(item.get("attachment"), str):
            messages.append(BotMessage(text=item["attachment"]))
        if custom is not None:
            messages.extend(_custom_message(custom))
    return BotReply(messages=tuple(messages), handoff=handoff)


def _custom_message(custom: object) -> list[BotMessage]:
    if not isinstance(custom, dict):
        logger.warning("bot_custom_item_dropped", why="not an object")
        return []
    encoded = json.dumps(custom, ensure_ascii=False, separators=(",", ":"), default=str)
    if len(encoded.encode()) > MAX_CUSTOM_BYTES:
        logger.warning("bot_custom_item_dropped", why="too large", size=len(encoded.encode()))
        return []
    return [BotMessage(custom=encoded)]


def to_rest_messages(recipient_id: str, responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """rasa-sdk dispatcher responses -> REST items, exactly as Rasa 3.6 shapes them (specs/rasa.md §5)."""
    out: list[dict[str, Any]] = []
    for r in responses:
        text, buttons = r.get("text"), r.get("buttons") or []
        if buttons:
            out.append(
                {
                    k: v
                    for k, v in (("recipient_id", recipient_id), ("text", text), ("buttons", buttons))
                    if v is not None
                }
            )
        elif text:
            out.extend({"recipient_id": recipient_id, "text": part} for part in text.strip().split("\n\n"))
        if r.get("custom"):
            out.append({"recipient_id": recipient_id, "custom": r["custom"]})
        if r.get("image"):
            out.append({"recipient_id": recipient_id, "image": r["image"]})
        if r.get("attachment") and r.get("attachment") != r.get("image"):
            out.append({"recipient_id": recipient_id, "attachment": r["attachment"]})
    return out
