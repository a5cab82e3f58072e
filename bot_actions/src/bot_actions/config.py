"""Settings of the custom actions, read from ``BOT_ACTIONS_*`` environment variables (standard library only).

The actions load them when they run, not at import, so ``python -m rasa_sdk --actions bot_actions`` and
``ActionExecutor.register_action(ActionHandoffToAgent)`` both work without any configuration. In-process
callers (the gateway's embedded bot) pass a ``BotActionsConfig`` to the action's constructor instead.

Texts here are the built-in ones: a domain response of the documented name (``utter_handoff_connecting``, ...)
wins over them (see ``bot_actions.responses``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

ENV_PREFIX = "BOT_ACTIONS_"
_INTENT_NAME = re.compile(r"^[^/\s{}]+$")
_SLOT_FIELDS = (
    "requested_slot",
    "reason_slot",
    "queue_slot",
    "customer_name_slot",
    "customer_email_slot",
    "customer_language_slot",
    "available_slot",
    "next_open_slot",
)


class BotActionsConfigError(ValueError):
    """A ``BOT_ACTIONS_*`` variable has a bad value; the message names the variable, never its value."""


@dataclass(frozen=True)
class BotActionsConfig:
    """What the actions say, which slots they read and write, and where the gateway is.

    An empty text means "say nothing". Build one directly (keyword arguments, checked) or with
    ``load_config()`` from the environment.
    """

    # action_handoff_to_agent
    connecting_text: str = "Connecting you to a human agent..."
    default_reason: str = "customer_asked"
    requested_slot: str = "handoff_requested"
    reason_slot: str = "handoff_reason"
    queue_slot: str = "handoff_queue"
    customer_name_slot: str = "customer_name"
    customer_email_slot: str = "customer_email"
    customer_language_slot: str = "customer_language"
    # Slots copied into the payload's ``context`` (name -> stringified value). Env: comma-separated or JSON.
    context_slots: tuple[str, ...] = ()
    # The handoff is sent only when the request metadata's "channel" is one of these ("*": any channel).
    # The gateway sends "web"; elsewhere (rasa shell, another channel) nobody could take the chat over.
    handoff_channels: tuple[str, ...] = ("web",)
    not_available_text: str = (
        "Sorry, I can't connect you to a person here. Please use the chat on our website."
    )

    # action_hand_back; "{agent_name}", "{duration_s}" and "{reason}" are filled in ("" when unknown)
    handback_text: str = "The agent has left the chat. I'm here again if you need anything."
    handback_cancelled_text: str = (
        "OK, I've stopped looking for an agent. I'm here again if you need anything."
    )
    handback_failed_text: str = (
        "Sorry, no agent could be reached right now. I'm here again if you need anything, "
        "or you can try again later."
    )
    handback_abandoned_text: str = "Welcome back! I'm here again if you need anything."

    # action_offer_agent
    offer_text: str = "Would you like to talk to a human agent?"
    offer_button_title: str = "Talk to an agent"
    handoff_intent: str = "human_handoff"

    # action_check_agent_availability: GET {gateway_url}/bot/availability with the gateway's bot token
    gateway_url: str = ""
    gateway_token: str = field(default="", repr=False)
    availability_timeout_s: float = 5.0
    available_slot: str = "agents_available"
    next_open_slot: str = "agents_next_open"

    def __post_init__(self) -> None:
        for name in _SLOT_FIELDS:
            if not getattr(self, name):
                raise BotActionsConfigError(f"{ENV_PREFIX}{name.upper()}: must not be empty")
        for name in ("default_reason", "offer_button_title"):
            if not getattr(self, name):
                raise BotActionsConfigError(f"{ENV_PREFIX}{name.upper()}: must not be empty")
        if not _INTENT_NAME.match(self.handoff_intent):
            raise BotActionsConfigError(
                f"{ENV_PREFIX}HANDOFF_INTENT: an intent name without '/', spaces or braces"
            )
        if any(not slot for slot in self.context_slots):
            raise BotActionsConfigError(f"{ENV_PREFIX}CONTEXT_SLOTS: a slot name is empty")
        if not self.handoff_channels:
            raise BotActionsConfigError(f"{ENV_PREFIX}HANDOFF_CHANNELS: name at least one channel, or '*'")
        if not 0 < self.availability_timeout_s <= 60:
            raise BotActionsConfigError(f"{ENV_PREFIX}AVAILABILITY_TIMEOUT_S: must be > 0 and <= 60")
        if self.gateway_url and not self.gateway_url.startswith(("http://", "https://")):
            raise BotActionsConfigError(f"{ENV_PREFIX}GATEWAY_URL: must start with http:// or https://")

    def handoff_allowed_on(self, channel: str | None) -> bool:
        return "*" in self.handoff_channels or (channel is not None and channel in self.handoff_channels)


def _split_list(name: str, raw: str) -> tuple[str, ...]:
    text = raw.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise BotActionsConfigError(f"{ENV_PREFIX}{name.upper()}: not a valid JSON list") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BotActionsConfigError(f"{ENV_PREFIX}{name.upper()}: a JSON list of strings is needed")
        return tuple(v.strip() for v in value)
    return tuple(part.strip() for part in text.split(",") if part.strip())


def load_config(environ: Mapping[str, str] | None = None) -> BotActionsConfig:
    """Read the configuration from the environment (``BOT_ACTIONS_<FIELD>``, case-insensitive).

    Raises:
        BotActionsConfigError: a variable has a bad value; the message is one line naming it.
    """
    env = {k.upper(): v for k, v in (os.environ if environ is None else environ).items()}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(BotActionsConfig):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is None:
            continue
        if f.name in ("context_slots", "handoff_channels"):
            values[f.name] = _split_list(f.name, raw)
        elif f.name == "availability_timeout_s":
            try:
                values[f.name] = float(raw)
            except ValueError:
                raise BotActionsConfigError(f"{ENV_PREFIX}{f.name.upper()}: not a number") from None
        else:
            values[f.name] = raw.strip() if f.name.endswith(("_slot", "_url", "_intent")) else raw
    return BotActionsConfig(**values)
