"""What can happen to a conversation: the inputs of the state machine.

Every event carries ``at`` (seconds since the epoch) so the machine itself never reads a clock.
Customer events come from the channels, bot events from the Bot port, contact-center events from
verified webhooks (through the store's inbox), outbox events from the delivery worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    Button,
    Card,
    CcConversationId,
    Customer,
    Handoff,
    QueueRef,
)


@dataclass(frozen=True, slots=True)
class CustomerSaid:
    text: str
    client_id: str
    at: float
    forward: bool = True  # False: stored (and acked) but for the gateway itself, not the agent
    attachments: tuple[AttachedFile, ...] = ()  # files the customer uploaded with the line (stored already)


@dataclass(frozen=True, slots=True)
class BotMessage:
    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: str | None = None  # a bot's custom payload other than the handoff, as compact JSON (an object)


@dataclass(frozen=True, slots=True)
class BotSaid:
    messages: tuple[BotMessage, ...]
    at: float


@dataclass(frozen=True, slots=True)
class HandoffRequested:
    handoff: Handoff
    escalation_id: str
    at: float
    closed_notice: str | None = None  # outside business hours: say this and stay with the bot


@dataclass(frozen=True, slots=True)
class QueueWaitOffer:
    """Waiting long: offer the customer to keep waiting or go back to the bot (buttons)."""

    text: str
    buttons: tuple[Button, ...]
    at: float


@dataclass(frozen=True, slots=True)
class QueueTimedOut:
    """Waited too long: leave the queue, tell the customer, and hand back to the bot."""

    notice: str
    at: float


@dataclass(frozen=True, slots=True)
class QueueOverflowed:
    """Waited long: the contact center moved the chat to the overflow queue; its wait starts again."""

    queue: QueueRef
    notice: str
    at: float


@dataclass(frozen=True, slots=True)
class InactivityWarning:
    text: str
    at: float


@dataclass(frozen=True, slots=True)
class EscalationCreated:
    """The contact center accepted the conversation (created, or reopened with the lines since).

    ``replaces``: a new conversation was created because the stored one cannot be reused (the API that
    opened it is no longer configured); it is the stored id, which the new one replaces.
    """

    cc_conversation_id: CcConversationId
    at: float
    replaces: CcConversationId | None = None


@dataclass(frozen=True, slots=True)
class EscalationFailed:
    reason: str
    notice: str  # what the customer is told
    at: float


@dataclass(frozen=True, slots=True)
class CancelRequested:
    at: float


@dataclass(frozen=True, slots=True)
class CustomerLeft:
    at: float
    reason: str = "customer"  # or "inactivity"


@dataclass(frozen=True, slots=True)
class SystemNotice:
    """A line from the gateway itself (e.g. a message could not be delivered)."""

    text: str
    at: float


@dataclass(frozen=True, slots=True)
class CustomerUpdated:
    customer: Customer
    at: float


# --- contact-center events --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Queued:
    queue: QueueRef
    at: float


@dataclass(frozen=True, slots=True)
class AgentJoined:
    agent: AgentRef
    at: float


@dataclass(frozen=True, slots=True)
class AgentSaid:
    agent: AgentRef
    text: str
    at: float
    attachments: tuple[AttachedFile, ...] = ()
    buttons: tuple[Button, ...] = ()  # quick replies: the customer's choice goes back as its payload
    card: Card | None = None  # an Adaptive Card (``text`` then includes its readable fallback)


@dataclass(frozen=True, slots=True)
class AgentRead:
    """The agent has read everything the customer said up to ``read_at`` (seconds since the epoch).

    The relay fills ``upto_seq`` (the customer's last entry stored by then) before the machine sees it.
    """

    read_at: float
    at: float
    upto_seq: int | None = None


@dataclass(frozen=True, slots=True)
class Transferred:
    at: float


@dataclass(frozen=True, slots=True)
class AgentLeft:
    agent: AgentRef | None
    at: float
    # 8x8 post-agent assignment: the bot goes on in the contact center's conversation for at most
    # (max_total_s, user_timeout_s); None: the gateway's own hand-back
    bot_continues: tuple[float, float] | None = None


CcEvent = Queued | AgentJoined | AgentSaid | Transferred | AgentLeft | AgentRead

Event = (
    CustomerSaid
    | BotSaid
    | HandoffRequested
    | EscalationCreated
    | EscalationFailed
    | CancelRequested
    | CustomerLeft
    | SystemNotice
    | CustomerUpdated
    | QueueWaitOffer
    | QueueTimedOut
    | QueueOverflowed
    | InactivityWarning
    | CcEvent
)


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """A contact-center event from a verified webhook, stored before the webhook is answered."""

    event_id: str
    cc_conversation_id: CcConversationId
    event: CcEvent
    received_at: float
