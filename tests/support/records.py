"""Stored records built for tests: conversations, transcript entries, outbox items, and appending entries.

The focused tests of the relay's collaborators (hub, fan-out, reconciler) build what they store here, so a
change to the records' shape is made in this one place.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace

from gateway.relay.model import (
    Author,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Entry,
    Escalation,
    Handoff,
    LeaveItem,
    MessageEntry,
    OutboxItem,
    Outcome,
    State,
)
from gateway.relay.ports import Change, Store


def conversation(
    cid: str,
    *,
    state: State = State.BOT,
    active_at: float = 0.0,
    cc_id: str | None = None,
    outcome: Outcome | None = None,
) -> Conversation:
    """A conversation; with ``cc_id`` it was escalated (and the escalation ended with ``outcome``, if given)."""
    escalation = None
    if cc_id is not None:
        escalation = Escalation(
            id=uuid.uuid4().hex, handoff=Handoff(), started_at=0.0, handoff_seq=0, outcome=outcome
        )
    return Conversation(
        id=ConversationId(cid),
        state=state,
        customer=Customer(name="Ann"),
        created_at=0.0,
        active_at=active_at,
        cc_conversation_id=None if cc_id is None else CcConversationId(cc_id),
        escalation=escalation,
    )


def message(
    seq: int, text: str, *, author: Author = Author.CUSTOMER, client_id: str | None = None
) -> MessageEntry:
    return MessageEntry(
        seq=seq,
        ts=1_700_000_000.0 + seq,
        author=author,
        text=text,
        client_id=client_id,
    )


def leave(conversation_id: str, seq: int) -> OutboxItem:
    """A customer-leave still to deliver to the contact center."""
    return LeaveItem(key=uuid.uuid4().hex, conversation_id=ConversationId(conversation_id), seq=seq)


async def create(store: Store, conv: Conversation, *entries: Entry) -> Conversation:
    """Store a new conversation (with a token of its own) and its first entries."""
    stored = replace(conv, last_seq=max((e.seq for e in entries), default=conv.last_seq))
    await store.create_conversation(stored, hashlib.sha256(conv.id.encode()).digest(), entries)
    return stored


async def append(
    store: Store, conv: Conversation, *entries: Entry, outbox: tuple[OutboxItem, ...] = ()
) -> Conversation:
    """Store more entries (and outbox items) in one change, as the relay would; the conversation after it."""
    new = replace(
        conv, version=conv.version + 1, last_seq=max((e.seq for e in entries), default=conv.last_seq)
    )
    await store.commit(
        Change(conversation=new, expected_version=conv.version, entries=entries, outbox_add=outbox)
    )
    return new
