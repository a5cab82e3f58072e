"""The relay's domain model: plain frozen dataclasses, no I/O, no wire formats.

A *conversation* is what a customer session talks in. Everything said or changed in it is a transcript
*entry* with its own ``seq`` (1, 2, 3 ... per conversation), so a client that saw up to ``seq`` N can be
brought up to date exactly by replaying the entries after N.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, NewType

ConversationId = NewType("ConversationId", str)
CcConversationId = NewType("CcConversationId", str)
"""The contact center's id of the conversation (8x8 ``conversationId``)."""


class State(enum.StrEnum):
    BOT = "bot"
    ESCALATING = "escalating"
    QUEUED = "queued"
    AGENT = "agent"
    CLOSED = "closed"


class Author(enum.StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class EntryKind(enum.StrEnum):
    MESSAGE = "message"
    STATE = "state"


class Outcome(enum.StrEnum):
    """How one escalation ended; the bot is told on hand-back."""

    COMPLETED = "completed"  # an agent took part and then left, or the customer left while with the agent
    CANCELLED = "cancelled"  # the customer stopped waiting
    FAILED = "failed"  # the contact center could not be reached or refused
    ABANDONED = "abandoned"  # the customer left while waiting


@dataclass(frozen=True, slots=True)
class Customer:
    name: str | None = None
    email: str | None = None
    language: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def merged(self, other: Customer) -> Customer:
        """``other``'s fields win where given."""
        return Customer(
            name=other.name or self.name,
            email=other.email or self.email,
            language=other.language or self.language,
            extra={**self.extra, **other.extra},
        )


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class CardFact:
    title: str
    value: str


@dataclass(frozen=True, slots=True)
class CardAction:
    """A card's button: a link (``url``) or an action the agent's side receives (no url)."""

    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """A rich card from the agent (an Adaptive Card), reduced to what can be shown as plain text.

    The entry's ``text`` carries the same content as a readable fallback, so that a client that does not
    know cards still shows it.
    """

    kind: str  # "adaptive"
    title: str | None = None
    body: tuple[str, ...] = ()
    facts: tuple[CardFact, ...] = ()
    actions: tuple[CardAction, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class QueueRef:
    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AttachedFile:
    """A file in the conversation: uploaded by the customer, or sent by the agent through the contact center.

    ``key`` is the gateway's own unguessable id (the file is served at ``/chat/files/{key}/{name}``); an
    adapter leaves it empty and the relay assigns one before the event is stored.
    """

    key: str
    name: str
    content_type: str
    size: int | None = None
    remote_id: str | None = None  # the contact center's id of the file (agent files)
    remote_url: str | None = None  # a download URL the contact center gave (possibly short-lived)


@dataclass(frozen=True, slots=True)
class Typing:
    """Someone is typing (``active``) or stopped; shown to the customer, never stored."""

    author: Author
    active: bool
    agent: AgentRef | None = None


@dataclass(frozen=True, slots=True)
class ReadUpTo:
    """The agent has read the customer's entries up to ``seq`` (inclusive)."""

    author: Author
    seq: int
    at: float | None = None  # when the receipt came, where known


Signal = Typing | ReadUpTo
"""What reaches the customer's sockets besides transcript entries: no seq, not replayed."""


@dataclass(frozen=True, slots=True)
class MessageEntry:
    """A line someone said: ``text`` and/or buttons, an image, a bot's payload, files or a card."""

    seq: int
    ts: float  # seconds since the epoch
    author: Author
    text: str | None = None
    client_id: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: str | None = None  # a bot's custom payload (compact JSON of an object); the widget's to show
    attachments: tuple[AttachedFile, ...] = ()
    card: Card | None = None
    agent: AgentRef | None = None  # the agent who said it (agent lines)
    queue: QueueRef | None = None  # the queue an overflow notice names
    kind: ClassVar[EntryKind] = EntryKind.MESSAGE

    def plain_text(self) -> bool:
        """Text alone (with maybe a client_id and an agent), as most customer and agent lines are: what the
        stores and the customer channel write out by hand instead of through their dicts."""
        return (
            self.text is not None
            and not self.buttons
            and self.image is None
            and self.custom is None
            and not self.attachments
            and self.card is None
            and self.queue is None
        )


@dataclass(frozen=True, slots=True)
class StateEntry:
    """The conversation changed state; ``outcome`` says how an escalation ended."""

    seq: int
    ts: float  # seconds since the epoch
    state: State
    queue: QueueRef | None = None
    outcome: Outcome | None = None
    agent: AgentRef | None = None  # the agent who joined, or who left
    kind: ClassVar[EntryKind] = EntryKind.STATE


Entry = MessageEntry | StateEntry
"""One transcript entry (one class per kind)."""


@dataclass(frozen=True, slots=True)
class Handoff:
    """What the bot asked for when it decided a person is needed (design.md, Bot contract)."""

    reason: str = "customer_asked"
    queue_id: str | None = None
    customer: Customer = field(default_factory=Customer)
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Escalation:
    """The current (or last) escalation of a conversation."""

    id: str
    handoff: Handoff
    started_at: float
    handoff_seq: int  # entries up to here are the transcript handed to the agent
    agent: AgentRef | None = None
    agent_joined_at: float | None = None
    outcome: Outcome | None = None
    failure: str | None = None
    queued_at: float | None = None  # when it last started waiting in a queue
    offered_at: float | None = None  # when the customer was last offered to stop waiting
    overflowed_at: float | None = None  # when it was moved to the overflow queue


@dataclass(frozen=True, slots=True)
class BotWindow:
    """After the agent, the contact center's conversation goes on with our bot (8x8 post-agent assignment):
    both sides' lines are posted there until ``ends_at``, or until nobody spoke for ``quiet_s``."""

    ends_at: float
    quiet_s: float
    last_at: float

    def open_at(self, at: float) -> bool:
        return at < self.ends_at and at - self.last_at < self.quiet_s


@dataclass(frozen=True, slots=True)
class Conversation:
    id: ConversationId
    state: State
    customer: Customer
    created_at: float
    last_seq: int = 0
    active_at: float = 0.0  # time of the last entry that is not a system notice (inactivity timeout)
    warned_at: float | None = None  # when the customer was last warned about inactivity
    version: int = 0  # +1 per stored change; the store refuses a change made from a stale copy
    cc_conversation_id: CcConversationId | None = None
    cc_synced_seq: int = 0  # entries up to here are known to the contact center (or never need to be)
    queue: QueueRef | None = None
    agent: AgentRef | None = None
    transferring: bool = False
    escalation: Escalation | None = None
    agent_read_seq: int = (
        0  # the agent has read the customer's entries up to here (contact centers that say so)
    )
    cc_bot: BotWindow | None = None  # the bot goes on inside the contact center's conversation


@dataclass(frozen=True, slots=True)
class Handback:
    """What the bot is told when it takes over again after an escalation."""

    outcome: Outcome
    agent_name: str | None = None
    duration_s: float | None = None
    reason: str | None = None
    speak: bool = True  # False when the customer left: unpause the bot, but nobody is there to hear it


class OutboxKind(enum.StrEnum):
    OPEN = "open"  # create the contact-center conversation, or reopen it by posting the lines since
    POST = "post"  # one customer line
    LEAVE = "leave"  # customer-leave: frees the agent, drops the interaction from the queue


@dataclass(frozen=True, slots=True)
class OpenItem:
    """Create the contact-center conversation, or reopen it by posting the lines it has not seen.

    ``key`` (in every item) is a UUID that doubles as the Idempotency-Key of every retry of the item;
    ``seq`` is the entry the item stems from (its position in the conversation).
    """

    key: str
    conversation_id: ConversationId
    seq: int
    escalation_id: str
    from_seq: int = 0  # the lines in (from_seq, seq] go to the contact center
    created_at: float = 0.0
    kind: ClassVar[OutboxKind] = OutboxKind.OPEN


@dataclass(frozen=True, slots=True)
class PostItem:
    """One line (the customer's, or the bot's inside the contact center's conversation), with its files."""

    key: str
    conversation_id: ConversationId
    seq: int
    text: str
    author: Author = Author.CUSTOMER
    attachments: tuple[AttachedFile, ...] = ()  # the customer's files that go with the line
    created_at: float = 0.0
    kind: ClassVar[OutboxKind] = OutboxKind.POST


@dataclass(frozen=True, slots=True)
class LeaveItem:
    """Customer-leave: frees the agent, drops the interaction from the queue."""

    key: str
    conversation_id: ConversationId
    seq: int
    created_at: float = 0.0
    kind: ClassVar[OutboxKind] = OutboxKind.LEAVE


OutboxItem = OpenItem | PostItem | LeaveItem
"""Work still to deliver to the contact center, in order, per conversation (one class per kind)."""
