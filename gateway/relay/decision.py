"""What one event decides, as data: the ``Decision`` the machine returns and the ``Draft`` that builds it.

A draft starts from the conversation as loaded; the machine's handlers append entries (each with the next
``seq``), outbox items and effects to it, and ``done()`` freezes the result. Nothing here performs I/O.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final

from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    Author,
    Button,
    Card,
    Conversation,
    ConversationId,
    Entry,
    Handback,
    LeaveItem,
    MessageEntry,
    OpenItem,
    OutboxItem,
    OutboxKind,
    Outcome,
    PostItem,
    QueueRef,
    Signal,
    State,
    StateEntry,
)

_OUTBOX_NAMESPACE = uuid.UUID("3f0f9f56-2a53-4c1e-9d8a-6f1c7e0b2a11")
_NAMESPACE_BYTES = _OUTBOX_NAMESPACE.bytes


@dataclass(frozen=True, slots=True)
class AskBot:
    """Forward the customer's line to the bot."""

    text: str


@dataclass(frozen=True, slots=True)
class ResumeBot:
    """Hand the conversation back to the bot."""

    handback: Handback


Effect = AskBot | ResumeBot


@dataclass(frozen=True, slots=True)
class Decision:
    conversation: Conversation
    entries: tuple[Entry, ...] = ()
    outbox: tuple[OutboxItem, ...] = ()
    drop_outbox: bool = False  # remove every undelivered outbox item of the conversation
    effects: tuple[Effect, ...] = ()
    signals: tuple[Signal, ...] = ()  # for the customer's sockets once stored (not transcript entries)


def outbox_key(conversation_id: str, kind: OutboxKind, seq: int) -> str:
    """A stable UUID per logical contact-center operation: the Idempotency-Key of all its retries.

    ``str(uuid.uuid5(_OUTBOX_NAMESPACE, name))``, written out (on every customer line): the version digit
    becomes ``5`` and the variant digit's top two bits ``10``.
    """
    h = hashlib.sha1(_NAMESPACE_BYTES + f"{conversation_id}/{kind}/{seq}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT_DIGIT: Final = MappingProxyType({f"{n:x}": f"{(n & 0x3) | 0x8:x}" for n in range(16)})
"""RFC 4122 variant: a hex digit's top two bits set to ``10``."""


def advanced(conv: Conversation, *, last_seq: int, active_at: float) -> Conversation:
    """The conversation's next version: ``replace(conv, last_seq=.., active_at=.., version=+1)``, written out
    (on every decision; ``dataclasses.replace`` costs twice as much). Positional, in field order: a test holds
    it equal to ``replace`` and to the list of fields."""
    return Conversation(
        conv.id,
        conv.state,
        conv.customer,
        conv.created_at,
        last_seq,
        active_at,
        conv.warned_at,
        conv.version + 1,
        conv.cc_conversation_id,
        conv.cc_synced_seq,
        conv.queue,
        conv.agent,
        conv.transferring,
        conv.escalation,
        conv.agent_read_seq,
        conv.cc_bot,
    )


@dataclass(slots=True)
class Draft:
    """Accumulates one decision: entries get consecutive seqs starting after the conversation's last."""

    conv: Conversation
    at: float
    entries: list[Entry] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    drop_outbox: bool = False

    @property
    def next_seq(self) -> int:
        return self.conv.last_seq + len(self.entries) + 1

    def message(
        self,
        author: Author,
        text: str | None,
        *,
        client_id: str | None = None,
        buttons: tuple[Button, ...] = (),
        image: str | None = None,
        custom: str | None = None,
        attachments: tuple[AttachedFile, ...] = (),
        card: Card | None = None,
        agent: AgentRef | None = None,
        queue: QueueRef | None = None,
    ) -> MessageEntry:
        entry = MessageEntry(
            seq=self.next_seq,
            ts=self.at,
            author=author,
            text=text,
            client_id=client_id,
            buttons=buttons,
            image=image,
            custom=custom,
            attachments=attachments,
            card=card,
            agent=agent,
            queue=queue,
        )
        self.entries.append(entry)
        return entry

    def state(
        self,
        state: State,
        *,
        queue: QueueRef | None = None,
        outcome: Outcome | None = None,
        agent: AgentRef | None = None,
    ) -> StateEntry:
        self.conv = replace(self.conv, state=state)
        entry = StateEntry(
            seq=self.next_seq,
            ts=self.at,
            state=state,
            queue=queue,
            outcome=outcome,
            agent=agent,
        )
        self.entries.append(entry)
        return entry

    def _key(self, kind: OutboxKind, seq: int) -> tuple[str, ConversationId]:
        return outbox_key(self.conv.id, kind, seq), self.conv.id

    def open_item(self, seq: int, *, escalation_id: str, from_seq: int) -> None:
        key, cid = self._key(OutboxKind.OPEN, seq)
        self.outbox.append(OpenItem(key, cid, seq, escalation_id, from_seq=from_seq, created_at=self.at))

    def post_item(
        self, seq: int, *, text: str, author: Author, attachments: tuple[AttachedFile, ...] = ()
    ) -> None:
        key, cid = self._key(OutboxKind.POST, seq)
        self.outbox.append(
            PostItem(key, cid, seq, text, author=author, attachments=attachments, created_at=self.at)
        )

    def leave_item(self, seq: int) -> None:
        key, cid = self._key(OutboxKind.LEAVE, seq)
        self.outbox.append(LeaveItem(key, cid, seq, created_at=self.at))

    def done(self) -> Decision:
        conv = self.conv
        entries = self.entries
        # System notices (warnings, offers) are not activity: they must not keep a quiet chat open.
        active_at = conv.active_at
        for e in entries:
            if isinstance(e, StateEntry) or e.author is not Author.SYSTEM:
                # A late contact-center event carries its own (older) time: it must not rewind the clock.
                active_at = max(self.at, active_at)
                break
        # The decided conversation is the next version of the one loaded (the store's check of it).
        return Decision(
            advanced(conv, last_seq=conv.last_seq + len(entries), active_at=active_at),
            tuple(entries),
            tuple(self.outbox),
            self.drop_outbox,
            tuple(self.effects),
            tuple(self.signals),
        )
