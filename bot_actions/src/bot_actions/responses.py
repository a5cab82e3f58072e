"""Texts from the domain: an action utters the ``utter_*`` response of the documented name when the domain has
one (so Rasa renders it with its variations, languages, channels and slot values), and the built-in text of
``BotActionsConfig`` otherwise.

Response names (all optional):

- ``utter_handoff_connecting``: said before the handoff payload.
- ``utter_handoff_not_available``: said instead of a handoff on a channel where no person can take over.
- ``utter_handback_completed``, ``utter_handback_cancelled``, ``utter_handback_failed``,
  ``utter_handback_abandoned``: said on hand-back, by outcome (``completed`` also for an unknown outcome).
  ``{agent_name}``, ``{duration_s}`` and ``{reason}`` are filled in, like slots.
- ``utter_offer_agent``: the offer of a person; give it a button with the handoff intent's payload.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from rasa_sdk.executor import CollectingDispatcher

CONNECTING = "utter_handoff_connecting"
NOT_AVAILABLE = "utter_handoff_not_available"
HANDBACK = {
    "completed": "utter_handback_completed",
    "cancelled": "utter_handback_cancelled",
    "failed": "utter_handback_failed",
    "abandoned": "utter_handback_abandoned",
}
OFFER_AGENT = "utter_offer_agent"

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(template: str, values: Mapping[str, str | None]) -> str:
    """Fill ``{name}`` for the names in ``values`` ("" when the value is unknown); other text stays as written.

    A regex, not ``str.format``: no attribute lookups, and a stray brace in a configured text is harmless.
    """
    return _PLACEHOLDER.sub(lambda m: (values[m[1]] or "") if m[1] in values else m[0], template)


def has_response(domain: dict[str, Any] | None, name: str) -> bool:
    """Whether the domain Rasa sent with the action call defines the response ``name``."""
    responses = (domain or {}).get("responses")
    return isinstance(responses, dict) and bool(responses.get(name))


def say(
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any] | None,
    response: str,
    text: str,
    values: Mapping[str, str | None] | None = None,
    **extra: Any,
) -> None:
    """Utter ``response`` if the domain has it (Rasa fills ``values`` in), else ``text`` (skipped when empty).

    ``extra`` (e.g. ``buttons``) goes with the built-in text only: a domain response brings its own.
    """
    filled = {k: v or "" for k, v in (values or {}).items()}
    if has_response(domain, response):
        dispatcher.utter_message(response=response, **filled)
    elif text or extra.get("buttons"):
        dispatcher.utter_message(text=render(text, filled) or None, **extra)
