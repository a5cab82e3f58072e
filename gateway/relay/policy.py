"""What the relay is told to do by configuration: built from settings by ``gateway.app``."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.relay.hours import BusinessHours


@dataclass(frozen=True, slots=True)
class BotPolicy:
    """How the relay treats the bot (from ``BotSettings``)."""

    agent_request_payload: str = "/agent"
    unavailable_text: str = "Sorry, the assistant is unavailable right now."
    offer_agent_title: str = "Talk to a person"
    empty_replies_before_offer: int = 2
    thinking_after_s: float = 0.3  # a slower answer shows the assistant typing meanwhile


@dataclass(frozen=True, slots=True)
class ConversationPolicy:
    """What the relay does around escalations (from ``RelaySettings`` and ``HoursSettings``)."""

    hours: BusinessHours | None = None
    closed_text: str = "Our agents are not available right now."
    queue_notice_text: str = ""
    keep_waiting_payload: str = "/wait"
    back_to_bot_payload: str = "/bot"


@dataclass(frozen=True, slots=True)
class ExtrasPolicy:
    """What Chat Gateway adds (from ``LimitsSettings`` and ``AttachmentSettings``)."""

    typing_interval_s: float = 2.0  # the customer's typing reaches the agent at most this often per chat
    call_timeout_s: float = 10.0  # typing and file fetches: give up after this long
