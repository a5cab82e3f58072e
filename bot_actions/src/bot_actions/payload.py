"""Pure functions from a tracker to what the actions send: the handoff payload and the hand-back details.

Every value in ``customer`` and ``context`` is a string (the gateway and 8x8 take strings); ``None`` and empty
values are left out. Only ``queue_id`` may be ``None``: the key is always there, ``null`` meaning "default".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, TypedDict

from rasa_sdk import Tracker

from bot_actions.config import BotActionsConfig

HANDBACK_OUTCOMES: Final = frozenset({"completed", "cancelled", "failed", "abandoned"})
HANDBACK_FIELDS: Final = ("outcome", "agent_name", "duration_s", "reason")


class Handoff(TypedDict):
    reason: str
    queue_id: str | None
    customer: dict[str, str]
    context: dict[str, str]


@dataclass(frozen=True)
class HandBack:
    outcome: str | None = None
    agent_name: str | None = None
    duration_s: str | None = None
    reason: str | None = None


def as_text(value: Any) -> str | None:
    """A payload string for a slot or metadata value; ``None`` for ``None`` and ``""``."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = str(value)
    else:  # lists and dicts (e.g. a list slot) travel as compact JSON
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return text or None


def metadata_of(tracker: Tracker) -> dict[str, Any]:
    meta = (tracker.latest_message or {}).get("metadata")
    return meta if isinstance(meta, dict) else {}


def _customer(tracker: Tracker, config: BotActionsConfig) -> dict[str, str]:
    # The channel's metadata is the base; what the conversation filled into slots overrides it.
    customer: dict[str, str] = {}
    base = metadata_of(tracker).get("customer")
    if isinstance(base, dict):
        for key, value in base.items():
            if (text := as_text(value)) is not None:
                customer[str(key)] = text
    slots = {
        "name": config.customer_name_slot,
        "email": config.customer_email_slot,
        "language": config.customer_language_slot,
    }
    for key, slot in slots.items():
        if (text := as_text(tracker.get_slot(slot))) is not None:
            customer[key] = text
    return customer


def _context(tracker: Tracker, config: BotActionsConfig) -> dict[str, str]:
    # Read latest_message["intent"] directly: get_intent_of_latest_message() needs intent_ranking.
    intent = (tracker.latest_message or {}).get("intent")
    intent = intent if isinstance(intent, dict) else {}
    context: dict[str, str] = {}
    if (name := as_text(intent.get("name"))) is not None:
        context["intent"] = name
    if (confidence := as_text(intent.get("confidence"))) is not None:
        context["confidence"] = confidence
    for slot in config.context_slots:  # "intent" and "confidence" above win over slots of that name
        if (text := as_text(tracker.get_slot(slot))) is not None:
            context.setdefault(slot, text)
    return context


def build_handoff(tracker: Tracker, config: BotActionsConfig) -> Handoff:
    """The ``handoff`` object of the Bot contract (shared/design.md) for this tracker."""
    queue_id = as_text(tracker.get_slot(config.queue_slot)) or as_text(metadata_of(tracker).get("queue_id"))
    return {
        "reason": as_text(tracker.get_slot(config.reason_slot)) or config.default_reason,
        "queue_id": queue_id,
        "customer": _customer(tracker, config),
        "context": _context(tracker, config),
    }


def read_handback(tracker: Tracker) -> HandBack:
    """How the escalation ended: ``metadata["handback"]`` as the base, entities of the same names override.

    The gateway sends entities with ``trigger_intent`` (which carries no metadata) and metadata with a REST
    message. An outcome outside ``HANDBACK_OUTCOMES`` is kept as ``None``.
    """
    base = metadata_of(tracker).get("handback")
    values = {f: as_text(base.get(f)) for f in HANDBACK_FIELDS} if isinstance(base, dict) else {}
    for field in HANDBACK_FIELDS:
        entity = next(tracker.get_latest_entity_values(field), None)
        if (text := as_text(entity)) is not None:
            values[field] = text
    outcome = (values.get("outcome") or "").strip().lower()
    return HandBack(
        outcome=outcome if outcome in HANDBACK_OUTCOMES else None,
        agent_name=values.get("agent_name"),
        duration_s=values.get("duration_s"),
        reason=values.get("reason"),
    )
