"""What Chat Gateway adds, in the pure machine: files on entries and outbox items, and read receipts.

A read receipt is not a transcript entry (no seq is spent on it) and only ever moves forward, so a late
or repeated receipt can neither un-read a line nor tell the customer the same thing twice.
"""

from __future__ import annotations

import pytest

from gateway.relay.events import AgentRead, AgentSaid, CustomerSaid
from gateway.relay.machine import decide
from gateway.relay.model import AttachedFile, Author, MessageEntry, OutboxKind, PostItem, ReadUpTo, State
from tests.relay.machine_fixtures import ALICE, conversation

PDF = AttachedFile(key="k-pdf", name="invoice.pdf", content_type="application/pdf", size=1234)


@pytest.mark.parametrize("state", [State.ESCALATING, State.QUEUED, State.AGENT])
def test_a_customer_file_is_stored_with_the_line_and_queued_for_the_agent(state: State) -> None:
    d = decide(conversation(state), CustomerSaid("see attached", "c-1", 30.0, attachments=(PDF,)))
    (entry,) = d.entries
    assert isinstance(entry, MessageEntry)
    assert (entry.seq, entry.author, entry.text, entry.attachments) == (
        6,
        Author.CUSTOMER,
        "see attached",
        (PDF,),
    )
    (item,) = d.outbox
    assert isinstance(item, PostItem)
    assert (item.kind, item.seq, item.text, item.attachments) == (OutboxKind.POST, 6, "see attached", (PDF,))


def test_an_agent_file_reaches_the_transcript() -> None:
    d = decide(conversation(State.AGENT), AgentSaid(ALICE, "", 30.0, attachments=(PDF,)))
    (entry,) = d.entries
    assert isinstance(entry, MessageEntry)
    assert (entry.author, entry.agent, entry.attachments) == (Author.AGENT, ALICE, (PDF,))
    assert d.outbox == ()


@pytest.mark.parametrize("state", list(State))
def test_a_read_receipt_moves_the_mark_forward_and_signals_once(state: State) -> None:
    conv = conversation(state, agent_read_seq=2)
    d = decide(conv, AgentRead(read_at=29.0, at=30.0, upto_seq=4))
    assert d.entries == ()
    assert d.conversation.state is state
    assert d.conversation.agent_read_seq == 4
    assert d.conversation.last_seq == conv.last_seq
    assert d.signals == (ReadUpTo(Author.AGENT, 4, 30.0),)


@pytest.mark.parametrize("upto", [None, 0, 1, 2])
def test_a_stale_or_empty_receipt_changes_nothing(upto: int | None) -> None:
    conv = conversation(State.AGENT, agent_read_seq=2)
    d = decide(conv, AgentRead(read_at=29.0, at=30.0, upto_seq=upto))
    assert d.conversation.agent_read_seq == 2
    assert d.signals == ()
    assert d.conversation.active_at == conv.active_at  # a receipt is not the customer's activity
