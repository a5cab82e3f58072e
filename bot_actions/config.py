"""Settings of the custom actions, read from ``BOT_ACTIONS_*`` environment variables.

The actions load them when they run, not at import, so ``python -m rasa_sdk --actions bot_actions`` and
``ActionExecutor.register_action(ActionHandoffToAgent)`` both work without any configuration. In-process
callers (the gateway's embedded bot) pass a ``BotActionsConfig`` to the action's constructor instead.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "BOT_ACTIONS_"

SlotName = Annotated[str, Field(min_length=1)]


class BotActionsConfigError(ValueError):
    """A ``BOT_ACTIONS_*`` variable has a bad value; the message names the variable, never its value."""


class BotActionsConfig(BaseSettings):
    """What the actions say and which slots they read. An empty text means "say nothing"."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    # action_handoff_to_agent
    connecting_text: str = "Connecting you to a human agent..."
    default_reason: Annotated[str, Field(min_length=1)] = "customer_asked"
    requested_slot: SlotName = "handoff_requested"
    reason_slot: SlotName = "handoff_reason"
    queue_slot: SlotName = "handoff_queue"
    customer_name_slot: SlotName = "customer_name"
    customer_email_slot: SlotName = "customer_email"
    customer_language_slot: SlotName = "customer_language"
    # Slots copied into the payload's ``context`` (name -> stringified value). Env: comma-separated or JSON.
    context_slots: Annotated[tuple[SlotName, ...], NoDecode] = ()

    # action_hand_back; "{agent_name}", "{duration_s}" and "{reason}" are filled in ("" when unknown), other text is kept
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
    offer_button_title: Annotated[str, Field(min_length=1)] = "Talk to an agent"
    handoff_intent: Annotated[str, Field(min_length=1, pattern=r"^[^/\s{}]+$")] = "human_handoff"

    @field_validator("context_slots", mode="before")
    @classmethod
    def _split_slot_list(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError("not a valid JSON list") from exc
        return [part.strip() for part in text.split(",") if part.strip()]


def load_config() -> BotActionsConfig:
    """Read the configuration from the environment.

    Raises:
        BotActionsConfigError: a variable has a bad value; the message is one line naming it.
    """
    try:
        return BotActionsConfig()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        raise BotActionsConfigError(f"{ENV_PREFIX}{field.upper()}: {err['msg']}") from None
