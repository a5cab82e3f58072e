"""What one event decides, as data: the ``Decision`` the machine returns and the ``Draft`` that builds it.

A draft starts from the conversation as loaded; the machine's handlers append entries (each with the next
``seq``), outbox items and effects to it, and ``done()`` freezes the result. Nothing here performs I/O.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace

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

    ``str(uuid.uuid5(_OUTBOX_NAMESPACE, name))``, written out (half the cost, on every customer line).
    """
    digest = bytearray(
        hashlib.sha1(_NAMESPACE_BYTES + f"{conversation_id}/{kind.value}/{seq}".encode()).digest()
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
        last_seq = self.conv.last_seq + len(self.entries)
        # System notices (warnings, offers) are not activity: they must not keep a quiet chat open.
        active = any(isinstance(e, StateEntry) or e.author is not Author.SYSTEM for e in self.entries)
        # A late contact-center event carries its own (older) time: it must not rewind the inactivity clock.
        active_at = max(self.at, self.conv.active_at) if active else self.conv.active_at
        # The decided conversation is the next version of the one loaded (the store's check of it).
        return Decision(
            conversation=replace(
                self.conv, last_seq=last_seq, active_at=active_at, version=self.conv.version + 1
            ),
            entries=tuple(self.entries),
            outbox=tuple(self.outbox),
            drop_outbox=self.drop_outbox,
            effects=tuple(self.effects),
            signals=tuple(self.signals),
        )
