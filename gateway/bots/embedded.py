"""The embedded bot: keyword rules in-process, and the real ``bot_actions`` through rasa-sdk's executor.

It implements the same ``Bot`` port as the Rasa adapter and produces Rasa REST-channel items, so the
demo and the tests exercise the same handoff code a Rasa action server runs.
"""

from __future__ import annotations

from typing import Any

import structlog
from rasa_sdk.executor import ActionExecutor

from bot_actions import ActionHandBack, ActionHandoffToAgent, ActionOfferAgent
from gateway.bots.rest_items import CHANNEL, parse_rest_items, to_rest_messages
from gateway.bots.rules import Rule, RuleSet
from gateway.relay.errors import BotUnavailable
from gateway.relay.events import BotMessage
from gateway.relay.model import Button, ConversationId, Customer, Handback
from gateway.relay.ports import BotReply, BotTurn, NotReady

logger = structlog.get_logger(__name__)

HANDBACK_INTENT = "agent_left"
ACTIONS = (ActionHandoffToAgent, ActionHandBack, ActionOfferAgent)
# rasa-sdk requires a non-empty domain; {} reaches the action as None (specs/rasa.md §4).
_DOMAIN: dict[str, Any] = {"version": "3.1", "slots": {}, "responses": {}}


def customer_metadata(customer: Customer) -> dict[str, str]:
    meta = {"name": customer.name, "email": customer.email, "language": customer.language, **customer.extra}
    return {k: v for k, v in meta.items() if v}


class UnknownAction(ValueError):
    """A rule names an action the embedded bot does not have; the message names the rule and the action."""


class EmbeddedBot:
    """Keyword rules, and bot_actions run in-process.

    Args:
        rules: the rule set (``GATEWAY_BOT__RULES_FILE``).
        handback_intent: the rule run when the conversation comes back from an agent
            (``GATEWAY_BOT__HANDBACK_INTENT``); without such a rule the bot takes over silently.

    Raises:
        UnknownAction: a rule's ``action`` is not one of the bot's actions.
    """

    def __init__(self, rules: RuleSet, *, handback_intent: str = HANDBACK_INTENT) -> None:
        self._rules = rules
        self._handback_intent = handback_intent
        self._executor = ActionExecutor()
        for action in ACTIONS:
            self._executor.register_action(action)
        known = sorted(self._executor.actions)
        for rule in rules.rules:
            if rule.action is not None and rule.action not in known:
                raise UnknownAction(
                    f"rule {rule.intent!r} names unknown action {rule.action!r} (known: {', '.join(known)})"
                )

    async def readiness(self) -> NotReady | None:
        """In-process: ready whenever the gateway is."""
        return None

    async def respond(self, turn: BotTurn) -> BotReply:
        rule = self._rules.match(turn.text)
        if rule is None:
            return BotReply(messages=(BotMessage(text=self._rules.fallback),))
        return await self._answer(
            rule,
            turn.conversation_id,
            turn.text,
            {"customer": customer_metadata(turn.customer), "channel": CHANNEL},
        )

    async def resume(
        self, conversation_id: ConversationId, customer: Customer, handback: Handback
    ) -> BotReply:
        rule = self._rules.by_intent(self._handback_intent)
        if rule is None:
            return BotReply()
        metadata = {
            "customer": customer_metadata(customer),
            "handback": {
                "outcome": handback.outcome.value,
                "agent_name": handback.agent_name,
                "duration_s": handback.duration_s,
                "reason": handback.reason,
            },
        }
        return await self._answer(rule, conversation_id, f"/{self._handback_intent}", metadata)

    async def _answer(
        self, rule: Rule, conversation_id: ConversationId, text: str, metadata: dict[str, Any]
    ) -> BotReply:
        if rule.text is not None:
            buttons = tuple(Button(b.title, b.payload) for b in rule.buttons)
            return BotReply(messages=(BotMessage(text=rule.text, buttons=buttons),))
        assert rule.action is not None
        action_call = {
            "next_action": rule.action,
            "sender_id": conversation_id,
            "version": "3.6.21",
            "domain": _DOMAIN,
            "tracker": {
                "sender_id": conversation_id,
                "slots": {},
                "latest_message": {
                    "text": text,
                    "intent": {"name": rule.intent, "confidence": 1.0},
                    "entities": [],
                    "metadata": metadata,
                },
                "events": [],
                "paused": False,
                "active_loop": {},
                "latest_input_channel": "rest",
            },
        }
        try:
            result = await self._executor.run(action_call)
        except Exception as exc:  # an action is user code: whatever it raises, the bot is unavailable
            raise BotUnavailable(f"action {rule.action} failed: {type(exc).__name__}") from exc
        if result is None:
            return BotReply()
        responses = result.model_dump()["responses"] if hasattr(result, "model_dump") else result["responses"]
        return parse_rest_items(to_rest_messages(conversation_id, responses))
