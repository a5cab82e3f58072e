"""The custom actions. Each is constructible with no arguments (config then comes from the environment when
it runs) or with a ``BotActionsConfig`` for in-process use."""

from __future__ import annotations

from typing import Any, Dict

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot_actions import responses
from bot_actions.config import BotActionsConfig, load_config
from bot_actions.payload import build_handoff, metadata_of, read_handback
from bot_actions.responses import render

# rasa_sdk ships no type information, so Action is Any to mypy: hence the ignores on the class lines.
Event = Dict[str, Any]

__all__ = ["ActionHandBack", "ActionHandoffToAgent", "ActionOfferAgent", "render"]


class _Configured:
    """The config of an action: the one given to the constructor, else the environment's when it runs.

    A mixin, not an ``Action`` subclass: rasa-sdk registers every concrete ``Action`` subclass it finds.
    """

    def __init__(self, config: BotActionsConfig | None = None) -> None:
        self._config = config

    def config(self) -> BotActionsConfig:
        return self._config if self._config is not None else load_config()


class ActionHandoffToAgent(_Configured, Action):  # type: ignore[misc]
    """Say the "connecting you" line, send the ``handoff`` payload, and pause the bot.

    Only on a channel where a person can take over (``metadata["channel"]`` in ``handoff_channels``);
    elsewhere it says ``not_available_text`` (response ``utter_handoff_not_available``) and the bot stays.
    An active form is deactivated first, so the form does not pick up again after the hand-back.
    """

    def name(self) -> str:
        return "action_handoff_to_agent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Event]:
        config = self.config()
        channel = metadata_of(tracker).get("channel")
        if not config.handoff_allowed_on(channel if isinstance(channel, str) else None):
            responses.say(dispatcher, domain, responses.NOT_AVAILABLE, config.not_available_text)
            return []
        handoff = build_handoff(tracker, config)
        responses.say(dispatcher, domain, responses.CONNECTING, config.connecting_text)
        dispatcher.utter_message(json_message={"handoff": handoff})
        events: list[Event] = []
        if (tracker.active_loop or {}).get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return [*events, SlotSet(config.requested_slot, True), ConversationPaused()]


class ActionHandBack(_Configured, Action):  # type: ignore[misc]
    """Run on the gateway's hand-back intent (e.g. ``/agent_left``) after it resumed the conversation:
    say how the escalation ended and clear the handoff slots."""

    def name(self) -> str:
        return "action_hand_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Event]:
        config = self.config()
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
        response = responses.HANDBACK.get(handback.outcome or "", responses.HANDBACK["completed"])
        responses.say(dispatcher, domain, response, template, values)
        return [
            SlotSet(config.requested_slot, None),
            SlotSet(config.reason_slot, None),
            SlotSet(config.queue_slot, None),
        ]


class ActionOfferAgent(_Configured, Action):  # type: ignore[misc]
    """Offer a human: a text with one button whose payload is the handoff intent (``/human_handoff``), or the
    domain's ``utter_offer_agent``."""

    def name(self) -> str:
        return "action_offer_agent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Event]:
        config = self.config()
        button = {"title": config.offer_button_title, "payload": f"/{config.handoff_intent}"}
        responses.say(dispatcher, domain, responses.OFFER_AGENT, config.offer_text, buttons=[button])
        return []
