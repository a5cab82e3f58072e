"""The ports the relay core talks through. Adapters implement them; the core imports no adapter."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from gateway.relay.events import BotMessage, InboundEvent
from gateway.relay.model import (
    AttachedFile,
    Author,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Entry,
    Handback,
    Handoff,
    OutboxItem,
    Signal,
    State,
)


@dataclass(frozen=True, slots=True)
class Change:
    """Everything one decision stores, atomically.

    The store applies it only if the stored conversation still has ``expected_version``
    (else ``StaleConversation``), so two writers can never interleave within one conversation.
    A change whose ``conversation.version`` equals ``expected_version`` leaves the stored conversation
    as it is and only applies the rest (delivered outbox items, say): no rewrite of its row.
    An entry whose ``client_id`` the conversation has stored already makes the store raise
    ``RepeatedClientId``, with nothing applied.
    """

    conversation: Conversation
    expected_version: int
    entries: tuple[Entry, ...] = ()
    outbox_add: tuple[OutboxItem, ...] = ()
    outbox_done: tuple[str, ...] = ()
    drop_outbox: bool = False
    inbound_done: tuple[str, ...] = ()
    inbound_add: InboundEvent | None = None
    """A contact-center event stored by this change as applied already (its webhook's record and its
    application in one write); if its id is stored already the store raises ``DuplicateEvent``."""


class Store(Protocol):
    """Durable state: conversations, sessions, transcript, outbox and the contact-center inbox."""

    async def create_conversation(
        self, conversation: Conversation, token_hash: bytes, entries: Sequence[Entry] = ()
    ) -> None: ...

    async def conversation(self, conversation_id: ConversationId) -> Conversation | None: ...

    async def conversation_by_token(self, token_hash: bytes) -> Conversation | None: ...

    async def conversation_by_cc_id(self, cc_conversation_id: CcConversationId) -> Conversation | None: ...

    async def commit(self, change: Change) -> None:
        """Store the change atomically; raise ``StaleConversation`` if the version moved on."""
        ...

    async def entries(
        self, conversation_id: ConversationId, *, after: int = 0, upto: int | None = None, limit: int = 1000
    ) -> list[Entry]:
        """Transcript entries with ``after < seq <= upto``, oldest first."""
        ...

    async def seq_of_client_id(self, conversation_id: ConversationId, client_id: str) -> int | None: ...

    async def outbox_delivered(self, conversation_id: ConversationId, keys: Sequence[str]) -> None:
        """Remove delivered outbox items, whatever the conversation's version (bookkeeping, idempotent:
        keys no longer stored, or a conversation purged meanwhile, are no error)."""
        ...

    async def outbox(self, conversation_id: ConversationId) -> list[OutboxItem]:
        """Undelivered items of one conversation, in order."""
        ...

    async def conversations_with_outbox(self) -> list[ConversationId]: ...

    async def stats(self) -> StoreStats:
        """Counts for operators: conversations by state, outbox depth and its oldest item."""
        ...

    async def idle_conversations(
        self, states: Sequence[State], *, before: float, after: float = 0.0, limit: int = 500
    ) -> list[ConversationId]:
        """Conversations in one of ``states`` whose last activity lies in [after, before), oldest first."""
        ...

    async def record_inbound(self, event: InboundEvent) -> bool:
        """Store a contact-center event; False if its event id was seen before (nothing stored)."""
        ...

    async def pending_inbound(self, cc_conversation_id: CcConversationId | None = None) -> list[InboundEvent]:
        """Events stored but not yet applied, in arrival order (all conversations when no id is given)."""
        ...

    async def put_attachment(self, file: StoredFile) -> None:
        """Store a file's record (and its bytes, when known) under ``file.attachment.key``.

        Storing the same key again only fills in bytes that were missing (a proxied file cached).
        """
        ...

    async def attachment(self, key: str) -> StoredFile | None: ...

    async def ping(self) -> None:
        """Raise if the store is not usable."""
        ...

    async def readiness(self) -> NotReady | None:
        """``None`` when the store is usable now (``/readyz``), else why not."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class StoredFile:
    conversation_id: ConversationId
    attachment: AttachedFile
    data: bytes | None  # None: a contact-center file not fetched yet
    created_at: float


@dataclass(frozen=True, slots=True)
class StoreStats:
    conversations_by_state: dict[str, int]
    outbox_depth: int
    outbox_oldest_created_at: float | None


@dataclass(frozen=True, slots=True)
class BotTurn:
    conversation_id: ConversationId
    text: str
    customer: Customer


@dataclass(frozen=True, slots=True)
class BotReply:
    messages: tuple[BotMessage, ...] = ()
    handoff: Handoff | None = None


class Bot(Protocol):
    """The assistant that answers first (Rasa over REST, or the embedded rule bot)."""

    async def respond(self, turn: BotTurn) -> BotReply:
        """Answer a customer line; raise ``BotUnavailable`` on timeout or a broken answer."""
        ...

    async def resume(
        self, conversation_id: ConversationId, customer: Customer, handback: Handback
    ) -> BotReply:
        """Take the conversation back after an escalation; what the bot says first again."""
        ...

    async def readiness(self) -> NotReady | None:
        """``None`` when the bot can answer now (``/readyz``), else why not."""
        ...


@dataclass(frozen=True, slots=True)
class HistoryLine:
    author: Author  # CUSTOMER or BOT
    text: str
    sent_before: int | None = None
    """Set when a process that died (or another instance) may already have sent this line: how many lines
    by the same author with the same text came before it in the conversation. An adapter that finds more
    than that many at 8x8 knows the line went through and does not send it again."""


@dataclass(frozen=True, slots=True)
class OpenRequest:
    conversation_id: ConversationId
    customer: Customer
    queue_id: str | None
    reason: str
    context: dict[str, str] = field(default_factory=dict)
    history: tuple[HistoryLine, ...] = ()
    maybe_created_since: float | None = None
    """Set when a process that died (or another instance) may already have created the conversation: when
    the handoff was queued. An adapter first looks at 8x8 for a conversation of this chat begun since then
    and returns it instead of creating a second one."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the customer sends to the agent (already checked for size and type by the channel)."""

    filename: str
    content_type: str
    data: bytes


class ContactCenter(Protocol):
    """The contact center the bot escalates to (8x8 Chat API v2, 8x8 Chat Gateway, or nothing configured).

    ``CcConversationId`` values are opaque to the core: an adapter may qualify them (the Chat Gateway
    adapter prefixes ``cgw:``) so that a stored conversation keeps the API that opened it.
    """

    async def open_conversation(self, request: OpenRequest, *, idempotency_key: str) -> CcConversationId: ...

    async def readiness(self) -> NotReady | None:
        """``None`` when new escalations can reach the contact center now (or none is configured: that is no
        fault of the gateway's), else why not (``/readyz``, ``/bot/availability``)."""
        ...

    async def post_message(
        self, cc_conversation_id: CcConversationId, line: HistoryLine, *, idempotency_key: str
    ) -> None: ...

    async def customer_left(self, cc_conversation_id: CcConversationId, *, idempotency_key: str) -> None: ...

    def can_reuse(self, cc_conversation_id: CcConversationId) -> bool:
        """Whether a stored conversation can go on (False when the API that opened it is not configured:
        a re-escalation then opens a new conversation with the whole transcript)."""
        ...

    def extras(self, cc_conversation_id: CcConversationId | None = None) -> ContactCenterExtras | None:
        """What this conversation's API offers beyond text (or the API new conversations go to, when no id
        is given); ``None`` where it offers nothing more (Chat API v2, nothing configured).

        One gateway may hold conversations on both 8x8 APIs while an operator switches: only those on
        Chat Gateway have typing and files; for the others the relay uses the degraded forms.
        """
        ...


class ContactCenterExtras(Protocol):
    """What a contact center may offer beyond text: typing, read receipts, files, queue moves, a thinking
    bot (8x8 Chat Gateway). The relay asks ``ContactCenter.extras`` per conversation."""

    async def bot_thinking(self, cc_conversation_id: CcConversationId) -> None:
        """Best effort: the bot is computing an answer inside the contact center's conversation (post-agent
        assignment). May raise ``ContactCenterError``."""
        ...

    async def move_to_queue(self, cc_conversation_id: CcConversationId, queue_id: str) -> None:
        """Move a waiting conversation to ``queue_id`` (idempotent). ``ContactCenterRejected`` when refused,
        ``ContactCenterUnavailable`` to try again later."""
        ...

    async def customer_typing(self, cc_conversation_id: CcConversationId) -> None:
        """Best effort, never queued or retried: the customer is typing. May raise ``ContactCenterError``
        (the caller logs it and carries on)."""
        ...

    async def customer_read(self, cc_conversation_id: CcConversationId, *, read_at: float) -> None:
        """Best effort: the customer has read everything up to ``read_at`` (seconds since the epoch).
        May raise ``ContactCenterError``."""
        ...

    async def post_attachment(
        self,
        cc_conversation_id: CcConversationId,
        attachment: Attachment,
        *,
        author: Author,
        idempotency_key: str,
    ) -> None:
        """Send a file as ``author`` (CUSTOMER or BOT). ``ContactCenterRejected`` when refused,
        ``ContactCenterUnavailable`` when worth retrying with the same key."""
        ...

    async def fetch_attachment(
        self, cc_conversation_id: CcConversationId, attachment: AttachedFile
    ) -> tuple[str, bytes]:
        """The agent's file (``attachment.remote_id`` / ``remote_url`` from an ``AgentSaid``) as
        (content type, bytes), for the gateway to serve to the customer. ``ContactCenterRejected`` when
        gone, ``ContactCenterUnavailable`` when worth asking again later."""
        ...


class Telemetry(Protocol):
    """What the relay reports for metrics; adapters (Prometheus) implement it, the core never imports them."""

    def message_relayed(self, direction: str, seconds: float | None = None) -> None:
        """``direction``: customer_to_bot, bot_to_customer, customer_to_agent, agent_to_customer."""
        ...

    def bot_answered(self, result: str, seconds: float) -> None:
        """``result``: answered, handoff, empty, unavailable."""
        ...

    def escalation(self, outcome: str, reason: str = "") -> None:
        """``outcome``: created, reused, failed, completed, cancelled, abandoned."""
        ...


class NoTelemetry:
    def message_relayed(self, direction: str, seconds: float | None = None) -> None:
        pass

    def bot_answered(self, result: str, seconds: float) -> None:
        pass

    def escalation(self, outcome: str, reason: str = "") -> None:
        pass


class Fanout(Protocol):
    """Delivers stored entries to the customer's open sockets (possibly on other instances)."""

    async def publish(
        self, conversation_id: ConversationId, entries: Sequence[Entry], *, origin: str | None = None
    ) -> None:
        """``origin`` names the socket that sent a customer entry; it gets an ack instead of an echo."""
        ...

    async def signal(self, conversation_id: ConversationId, signal: Signal) -> None:
        """Tell the customer's open sockets something that is not a transcript entry (typing, read)."""
        ...


class Leases(Protocol):
    """Claims on work that only one gateway instance may do at a time (a conversation's outbox, ...).

    ``claim(name)`` holds the lease for the block and renews it meanwhile; it yields False, holding
    nothing, when another instance has it. A holder that loses its lease (it stalled longer than the lease)
    is cancelled, so the work moves to one instance and stays there. A dead instance's leases expire.
    Whoever fails to claim may rely on the holder: it checks for more work after it releases.
    """

    def claim(self, name: str) -> AbstractAsyncContextManager[bool]: ...


class SoleInstance:
    """``Leases`` of a gateway that runs alone (the SQLite store): every claim succeeds at once.

    Within one process the relay's own per-key workers already keep the work single.
    """

    def claim(self, name: str) -> AbstractAsyncContextManager[bool]:
        return _GRANTED


class _Granted:
    """A claim that always succeeds and holds nothing (shared: it keeps no state)."""

    async def __aenter__(self) -> bool:
        return True

    async def __aexit__(self, *exc: object) -> None:
        return None


_GRANTED = _Granted()


@dataclass(frozen=True, slots=True)
class NotReady:
    """Why a port's adapter cannot be used now (``/readyz``).

    ``part`` is its public name (``store``, ``bot``, ``chat_api``, ``chat_gateway``); ``why`` is for operators
    only, since an upstream's error text can carry hosts, tenant names or library versions.
    """

    part: str
    why: str
