"""The conversation state machine of design.md: every arrow, every refusal, and the effects it asks for.

The machine is pure, so these tests need no I/O: each builds a conversation in a state, applies one
event, and checks the new state, the entries (with their seqs), the outbox items and the effects.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest

from gateway.relay.decision import AskBot, ResumeBot, outbox_key
from gateway.relay.errors import IllegalTransition
from gateway.relay.events import (
    AgentJoined,
    AgentLeft,
    AgentSaid,
    BotSaid,
    CancelRequested,
    CustomerLeft,
    CustomerSaid,
    EscalationCreated,
    EscalationFailed,
    Event,
    HandoffRequested,
    InactivityWarning,
    Queued,
    QueueOverflowed,
    QueueTimedOut,
    QueueWaitOffer,
    Transferred,
)
from gateway.relay.machine import TRANSITIONS, decide
from gateway.relay.model import (
    Author,
    CcConversationId,
    Entry,
    Handoff,
    MessageEntry,
    OpenItem,
    OutboxKind,
    Outcome,
    PostItem,
    QueueRef,
    State,
    StateEntry,
)
from tests.relay.machine_fixtures import ALICE, BILLING, CC_ID, conversation, one_of_each

B, E, Q, A, C = State.BOT, State.ESCALATING, State.QUEUED, State.AGENT, State.CLOSED


def _what(e: Entry) -> State | Author:
    """A state entry's state, a message's author."""
    return e.state if isinstance(e, StateEntry) else e.author


# (state, event type) -> the state after it, for every arrow in the table.
EXPECTED: dict[tuple[State, type[Event]], State] = {
    (B, CustomerSaid): B, (C, CustomerSaid): B, (E, CustomerSaid): E, (Q, CustomerSaid): Q, (A, CustomerSaid): A,
    (E, CancelRequested): B, (Q, CancelRequested): B,
    (B, CustomerLeft): C, (E, CustomerLeft): C, (Q, CustomerLeft): C, (A, CustomerLeft): C,
    (B, BotSaid): B, (B, HandoffRequested): E,
    (E, EscalationFailed): B,
    (E, Queued): Q, (Q, Queued): Q, (A, Queued): Q,
    (E, AgentJoined): A, (Q, AgentJoined): A, (A, AgentJoined): A,
    (Q, AgentSaid): Q, (A, AgentSaid): A,
    (A, Transferred): A, (Q, Transferred): Q,
    (A, AgentLeft): B, (Q, AgentLeft): Q,
    (Q, QueueWaitOffer): Q, (Q, QueueTimedOut): B, (Q, QueueOverflowed): Q,
    (B, InactivityWarning): B, (A, InactivityWarning): A,
}  # fmt: skip
SAME_STATE_EVERYWHERE = ("CustomerUpdated", "SystemNotice", "AgentRead")


def _event(kind: type[Event]) -> Event:
    return next(e for e in one_of_each() if type(e) is kind)


def test_the_table_and_the_expectations_name_the_same_arrows() -> None:
    listed = {
        k for k in TRANSITIONS if k[1].__name__ not in SAME_STATE_EVERYWHERE and k[1] is not EscalationCreated
    }
    assert listed - {(B, Transferred)} == set(EXPECTED)


@pytest.mark.parametrize(
    ("state", "kind"), sorted(EXPECTED, key=str), ids=lambda v: getattr(v, "__name__", str(v))
)
def test_every_arrow_leads_where_design_md_says(state: State, kind: type[Event]) -> None:
    conv = conversation(state)
    decision = decide(conv, _event(kind))
    assert decision.conversation.state is EXPECTED[(state, kind)]
    seqs = [e.seq for e in decision.entries]
    assert seqs == list(range(conv.last_seq + 1, conv.last_seq + 1 + len(seqs)))
    assert decision.conversation.last_seq == conv.last_seq + len(seqs)


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", one_of_each(), ids=lambda e: type(e).__name__)
def test_anything_not_in_the_table_is_refused_and_changes_nothing(state: State, event: Event) -> None:
    conv = conversation(state)
    if (state, type(event)) == (B, Transferred):
        return  # allowed only right after an agent left (tested below)
    if (state, type(event)) in TRANSITIONS:
        decide(conv, event)  # allowed: must not raise
        return
    with pytest.raises(IllegalTransition, match=state.value):
        decide(conv, event)


def test_a_customer_line_with_the_bot_is_stored_and_sent_to_the_bot() -> None:
    d = decide(conversation(B), CustomerSaid("hello", "k1", 20.0))
    (entry,) = d.entries
    assert entry == MessageEntry(6, 20.0, Author.CUSTOMER, text="hello", client_id="k1")
    assert d.effects == (AskBot("hello"),)
    assert d.outbox == ()


def test_a_customer_line_while_escalated_goes_to_the_outbox_not_the_bot() -> None:
    d = decide(conversation(A), CustomerSaid("refund?", "k2", 20.0))
    (item,) = d.outbox
    assert isinstance(item, PostItem)
    assert (item.kind, item.seq, item.text, item.author) == (OutboxKind.POST, 6, "refund?", Author.CUSTOMER)
    assert item.key == outbox_key("c1", OutboxKind.POST, 6)
    assert d.effects == ()


def test_a_line_for_the_gateway_itself_is_stored_but_not_forwarded() -> None:
    d = decide(conversation(Q), CustomerSaid("/wait", "k3", 20.0, forward=False))
    assert len(d.entries) == 1
    assert d.outbox == ()


def test_a_returning_customer_starts_with_the_bot() -> None:
    d = decide(conversation(C), CustomerSaid("back", "k4", 20.0))
    assert [type(e) for e in d.entries] == [StateEntry, MessageEntry]
    assert d.entries[0] == StateEntry(6, 20.0, State.BOT)
    assert d.effects == (AskBot("back"),)


def test_handoff_opens_with_the_transcript_so_far() -> None:
    conv = conversation(B, cc_synced_seq=0)
    d = decide(conv, HandoffRequested(Handoff(queue_id="102"), "esc-9", 20.0))
    (state,) = d.entries
    assert state == StateEntry(6, 20.0, State.ESCALATING, queue=QueueRef("102"))
    (item,) = d.outbox
    assert isinstance(item, OpenItem)
    assert (item.kind, item.seq, item.from_seq, item.escalation_id) == (OutboxKind.OPEN, 6, 0, "esc-9")
    assert d.conversation.cc_synced_seq == 5
    assert d.conversation.escalation is not None
    assert d.conversation.escalation.handoff_seq == 5


def test_re_escalation_posts_only_the_lines_since_the_contact_center_last_knew() -> None:
    conv = conversation(B, cc_conversation_id=CC_ID, cc_synced_seq=3)
    d = decide(conv, HandoffRequested(Handoff(), "esc-2", 20.0))
    assert isinstance(d.outbox[0], OpenItem)
    assert d.outbox[0].from_seq == 3


def test_outside_business_hours_the_handoff_is_refused_at_once() -> None:
    d = decide(conversation(B), HandoffRequested(Handoff(), "esc-3", 20.0, closed_notice="closed"))
    assert [_what(e) for e in d.entries] == [State.ESCALATING, Author.SYSTEM, State.BOT]
    assert d.outbox == ()
    (effect,) = d.effects
    assert isinstance(effect, ResumeBot)
    assert effect.handback.outcome is Outcome.FAILED
    assert d.conversation.cc_synced_seq == conversation(B).cc_synced_seq


def test_created_records_the_id_and_queues() -> None:
    conv = conversation(E, queue=BILLING)
    d = decide(conv, EscalationCreated(CC_ID, 20.0))
    assert d.conversation.cc_conversation_id == CC_ID
    assert d.entries == (StateEntry(6, 20.0, State.QUEUED, queue=BILLING),)


def test_a_second_contact_center_id_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        decide(conversation(Q), EscalationCreated(CcConversationId("other"), 20.0))


def test_created_after_the_customer_cancelled_is_still_recorded_so_leave_can_reach_it() -> None:
    d = decide(conversation(B), EscalationCreated(CC_ID, 20.0))
    assert d.conversation.cc_conversation_id == CC_ID
    assert d.conversation.state is State.BOT
    assert d.entries == ()


def test_failure_tells_the_customer_drops_the_outbox_and_hands_back() -> None:
    d = decide(conversation(E), EscalationFailed("rejected: 400", "no agent", 20.0))
    assert [_what(e) for e in d.entries] == [Author.SYSTEM, State.BOT]
    assert d.drop_outbox
    (effect,) = d.effects
    assert isinstance(effect, ResumeBot)
    assert (effect.handback.outcome, effect.handback.reason) == (Outcome.FAILED, "rejected: 400")


def test_transfer_then_agent_left_waits_in_the_queue_and_keeps_the_bot_out() -> None:
    conv = decide(conversation(A), Transferred(20.0)).conversation
    d = decide(conv, AgentLeft(ALICE, 21.0))
    assert d.conversation.state is State.QUEUED
    assert d.effects == ()
    assert d.conversation.escalation is not None
    assert d.conversation.escalation.queued_at == 21.0


def test_agent_left_before_transfer_goes_back_to_the_queue() -> None:
    back = decide(conversation(A), AgentLeft(ALICE, 20.0)).conversation
    d = decide(back, Transferred(21.0))
    assert d.conversation.state is State.QUEUED


def test_agent_left_hands_back_with_name_and_duration() -> None:
    d = decide(conversation(A), AgentLeft(ALICE, 42.0))
    (effect,) = d.effects
    assert isinstance(effect, ResumeBot)
    assert effect.handback.outcome is Outcome.COMPLETED
    assert effect.handback.agent_name == "Alice"
    assert effect.handback.duration_s == 30.0
    assert effect.handback.speak
    assert d.conversation.cc_synced_seq == d.conversation.last_seq


@pytest.mark.parametrize(
    ("state", "outcome"), [(E, Outcome.ABANDONED), (Q, Outcome.ABANDONED), (A, Outcome.COMPLETED)]
)
def test_leaving_while_escalated_frees_the_agent_and_quietly_resumes_the_bot(
    state: State, outcome: Outcome
) -> None:
    d = decide(conversation(state), CustomerLeft(20.0))
    last = d.entries[-1]
    assert isinstance(last, StateEntry)
    assert (last.state, last.outcome) == (State.CLOSED, outcome)
    (item,) = d.outbox
    assert item.kind is OutboxKind.LEAVE
    (effect,) = d.effects
    assert isinstance(effect, ResumeBot)
    assert effect.handback.speak is False


def test_leaving_with_the_bot_asks_nothing_of_the_contact_center() -> None:
    d = decide(conversation(B, cc_conversation_id=CC_ID), CustomerLeft(20.0))
    assert d.outbox == ()
    assert d.effects == ()


@pytest.mark.parametrize("state", [E, Q])
def test_cancel_leaves_the_queue_and_hands_back(state: State) -> None:
    d = decide(conversation(state), CancelRequested(20.0))
    assert d.outbox[0].kind is OutboxKind.LEAVE
    assert d.effects[0].handback.outcome is Outcome.CANCELLED  # type: ignore[union-attr]


def test_queue_timeout_leaves_the_queue_and_hands_back_failed() -> None:
    d = decide(conversation(Q), QueueTimedOut("gave up", 20.0))
    assert d.outbox[0].kind is OutboxKind.LEAVE
    assert d.effects[0].handback.reason == "queue_timeout"  # type: ignore[union-attr]


def test_an_overflow_moves_the_queue_tells_the_customer_and_starts_the_wait_again() -> None:
    waiting = conversation(Q)
    assert waiting.escalation is not None
    waiting = replace(waiting, escalation=replace(waiting.escalation, queued_at=5.0, offered_at=8.0))
    d = decide(waiting, QueueOverflowed(QueueRef("103"), "moved", 20.0))
    assert d.conversation.state is Q
    assert d.conversation.queue == QueueRef("103")
    assert d.conversation.escalation is not None
    esc = d.conversation.escalation
    assert (esc.queued_at, esc.offered_at, esc.overflowed_at) == (20.0, None, 20.0)
    assert d.entries == (MessageEntry(6, 20.0, Author.SYSTEM, text="moved", queue=QueueRef("103")),)
    assert d.outbox == ()  # the move itself is the timer's call to the contact center


def test_system_notices_are_not_activity() -> None:
    conv = conversation(B, active_at=5.0)
    assert decide(conv, InactivityWarning("still there?", 20.0)).conversation.active_at == 5.0
    assert decide(conv, CustomerSaid("yes", "k", 21.0)).conversation.active_at == 21.0
    offered = decide(conversation(Q, active_at=5.0), QueueWaitOffer("wait?", (), 20.0)).conversation
    assert offered.active_at == 5.0
    assert offered.escalation is not None
    assert offered.escalation.offered_at == 20.0


def test_agent_messages_carry_the_agent() -> None:
    d = decide(conversation(A), AgentSaid(ALICE, "hi", 20.0))
    assert d.entries == (MessageEntry(6, 20.0, Author.AGENT, text="hi", agent=ALICE),)


def test_queued_and_joined_remember_queue_and_agent() -> None:
    queued = decide(conversation(E), Queued(BILLING, 20.0))
    assert queued.conversation.queue == BILLING
    assert queued.entries == (StateEntry(6, 20.0, State.QUEUED, queue=BILLING),)
    joined = decide(queued.conversation, AgentJoined(ALICE, 21.0))
    assert joined.entries == (StateEntry(7, 21.0, State.AGENT, queue=BILLING, agent=ALICE),)
    assert joined.conversation.escalation is not None
    assert joined.conversation.escalation.agent_joined_at == 21.0
    again = decide(joined.conversation, AgentJoined(ALICE, 30.0))  # e.g. after a transfer
    assert again.conversation.escalation is not None
    assert again.conversation.escalation.agent_joined_at == 21.0  # the first join counts for the duration


def test_transfer_with_the_bot_is_refused_unless_an_agent_just_left() -> None:
    with pytest.raises(IllegalTransition):
        decide(conversation(B), Transferred(20.0))


def test_decide_never_changes_its_input() -> None:
    conv = conversation(A)
    copy = replace(conv)
    for event in one_of_each():
        with contextlib.suppress(IllegalTransition):
            decide(conv, event)
    assert conv == copy
