"""The custom actions. Each is constructible with no arguments (config then comes from the environment when
it runs) or with a ``BotActionsConfig`` for in-process use."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot_actions.config import BotActionsConfig, load_config
from bot_actions.payload import build_handoff, read_handback

# rasa_sdk ships no type information, so Action is Any to mypy: hence the ignores on the class lines.
Event = dict[str, Any]


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(template: str, values: dict[str, str | None]) -> str:
    """Fill ``{name}`` for the names in ``values`` ("" when the value is unknown); other text stays as written.

    A regex, not ``str.format``: no attribute lookups, and a stray brace in a configured text is harmless.
    """
    return _PLACEHOLDER.sub(lambda m: (values[m[1]] or "") if m[1] in values else m[0], template)


class ActionHandoffToAgent(Action):  # type: ignore[misc]
    """Say the "connecting you" line, send the ``handoff`` payload, and pause the bot."""

    def __init__(self, config: BotActionsConfig | None = None) -> None:
        self._config = config

    def name(self) -> str:
        return "action_handoff_to_agent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Event]:
        config = self._config if self._config is not None else load_config()
        handoff = build_handoff(tracker, config)
        if config.connecting_text:
            dispatcher.utter_message(text=config.connecting_text)
        dispatcher.utter_message(json_message={"handoff": handoff})
        return [SlotSet(config.requested_slot, True), ConversationPaused()]


class ActionHandBack(Action):  # type: ignore[misc]
    """Run on the gateway's hand-back intent (e.g. ``/agent_left``) after it resumed the conversation:
    say how the escalation ended and clear the handoff slots."""

    def __init__(self, config: BotActionsConfig | None = None) -> None:
        self._config = config

    def name(self) -> str:
        return "action_hand_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Event]:
        config = self._config if self._config is not None else load_config()
        handback = read_handback(tracker)
        template = {
            "cancelled": config.handback_cancelled_text,
            "failed": config.handback_failed_text,
            "abandoned": config.handback_abandoned_text,
        }.get(handback.outcome or "", config.handback_text)
        values = {
            "agent_name": handback.agent_name,
            "duration_s": handback.duration_s,
            "reason": handback.reason,
        }
        if text := render(template, values):
            dispatcher.utter_message(text=text)
        return [
            SlotSet(config.requested_slot, None),
            SlotSet(config.reason_slot, None),
            SlotSet(config.queue_slot, None),
        ]


class ActionOfferAgent(Action):  # type: ignore[misc]
    """Offer a human: a text with one button whose payload is the handoff intent (``/human_handoff``)."""

    def __init__(self, config: BotActionsConfig | None = None) -> None:
        self._config = config

    def name(self) -> str:
        return "action_offer_agent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Event]:
        config = self._config if self._config is not None else load_config()
        button = {"title": config.offer_button_title, "payload": f"/{config.handoff_intent}"}
        dispatcher.utter_message(text=config.offer_text or None, buttons=[button])
        return []
