"""What the relay is told to do by configuration: built from settings by ``gateway.policies.policies_from``.

No field has a default here: each value's one source is its settings class (``gateway.settings``)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.relay.hours import BusinessHours


@dataclass(frozen=True, slots=True)
class BotPolicy:
    """How the relay treats the bot (from ``BotSettings``)."""

    agent_request_payload: str
    unavailable_text: str
    offer_agent_title: str
    empty_replies_before_offer: int
    thinking_after_s: float  # a slower answer shows the assistant typing meanwhile


@dataclass(frozen=True, slots=True)
class ConversationPolicy:
    """What the relay does around escalations (from ``RelaySettings`` and ``HoursSettings``)."""

    hours: BusinessHours | None
    closed_text: str
    queue_notice_text: str
    keep_waiting_payload: str
    back_to_bot_payload: str


@dataclass(frozen=True, slots=True)
class ExtrasPolicy:
    """What Chat Gateway adds (from ``LimitsSettings`` and ``AttachmentSettings``)."""

    typing_interval_s: float  # the customer's typing reaches the agent at most this often per chat
    call_timeout_s: float  # typing and file fetches: give up after this long
