"""The lines decided without a draft (``relay/lines.py``) decide exactly what their ``TRANSITIONS`` arrow
decides, on any conversation and along any sequence of events, and ``advanced`` is exactly
``dataclasses.replace`` (hypothesis)."""

from __future__ import annotations

from dataclasses import fields, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.relay.decision import advanced
from gateway.relay.errors import IllegalTransition
from gateway.relay.events import AgentSaid, CustomerSaid, Event
from gateway.relay.machine import _WITHOUT_DRAFT, TRANSITIONS, decide, decide_with_draft
from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    BotWindow,
    Button,
    Card,
    CardAction,
    CardFact,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Escalation,
    Handoff,
    Outcome,
    QueueRef,
    State,
)
from tests.relay.test_machine_properties import EVENTS

texts = st.text(max_size=12)
maybe_texts = st.none() | texts
times = st.floats(min_value=0, max_value=2e9, allow_nan=False) | st.integers(min_value=0, max_value=2**31)
agents = st.builds(AgentRef, texts, texts)
queues = st.builds(QueueRef, texts, maybe_texts)
files = st.lists(
    st.builds(AttachedFile, texts, texts, texts, st.none() | st.integers(0, 10**9), maybe_texts, maybe_texts),
    max_size=2,
).map(tuple)
buttons = st.lists(st.builds(Button, texts, texts), max_size=2).map(tuple)
cards = st.none() | st.builds(
    Card,
    texts,
    maybe_texts,
    st.lists(texts, max_size=2).map(tuple),
    st.lists(st.builds(CardFact, texts, texts), max_size=2).map(tuple),
    st.lists(st.builds(CardAction, texts, maybe_texts), max_size=2).map(tuple),
)
escalations = st.none() | st.builds(
    Escalation,
    texts,
    st.builds(Handoff, texts, maybe_texts),
    times,
    st.integers(0, 100),
    st.none() | agents,
    st.none() | times,
    st.none() | st.sampled_from(Outcome),
    maybe_texts,
    st.none() | times,
    st.none() | times,
    st.none() | times,
)


ANY_STATE = st.sampled_from(State)


def conversations(states: st.SearchStrategy[State] = ANY_STATE) -> st.SearchStrategy[Conversation]:
    """Any conversation: every field drawn, none left at its default."""
    return st.builds(
        Conversation,
        texts.map(ConversationId),
        states,
        st.builds(Customer, maybe_texts, maybe_texts, maybe_texts, st.dictionaries(texts, texts, max_size=2)),
        times,
        st.integers(0, 10**6),
        times,
        st.none() | times,
        st.integers(0, 10**6),
        st.none() | texts.map(CcConversationId),
        st.integers(0, 10**6),
        st.none() | queues,
        st.none() | agents,
        st.booleans(),
        escalations,
        st.integers(0, 10**6),
        st.none() | st.builds(BotWindow, times, times, times),
    )


lines: st.SearchStrategy[Event] = st.one_of(
    st.builds(CustomerSaid, texts, texts, times, st.booleans(), files),
    st.builds(AgentSaid, agents, texts, times, files, buttons, cards),
)


def test_the_lines_without_a_draft_are_arrows_of_the_table() -> None:
    assert set(_WITHOUT_DRAFT) <= set(TRANSITIONS)
    assert {event for _, event in _WITHOUT_DRAFT} == {CustomerSaid, AgentSaid}


@settings(max_examples=500, deadline=None)
@given(conversations(st.sampled_from([State.ESCALATING, State.QUEUED, State.AGENT])), lines)
def test_a_line_decided_without_a_draft_is_the_line_decided_with_one(
    conv: Conversation, event: Event
) -> None:
    if (conv.state, type(event)) not in TRANSITIONS:
        return  # an agent's line while escalating: refused by both, below
    decided, expected = decide(conv, event), decide_with_draft(conv, event)
    assert decided == expected
    assert repr(decided) == repr(expected)  # the same types too (an int time stays an int)


@settings(max_examples=200, deadline=None)
@given(conversations(), lines)
def test_decide_refuses_what_the_table_refuses(conv: Conversation, event: Event) -> None:
    try:
        expected = decide_with_draft(conv, event)
    except Exception as exc:  # whatever the table raises, decide raises too
        try:
            decide(conv, event)
        except type(exc):
            return
        raise AssertionError(f"decide accepted what the table refuses: {exc!r}") from None
    assert decide(conv, event) == expected


@settings(max_examples=300, deadline=None)
@given(conversations(), st.integers(0, 10**6), times)
def test_advanced_is_replace_with_the_next_version(
    conv: Conversation, last_seq: int, active_at: float
) -> None:
    got = advanced(conv, last_seq=last_seq, active_at=active_at)
    assert got == replace(conv, last_seq=last_seq, active_at=active_at, version=conv.version + 1)
    assert repr(got) == repr(replace(conv, last_seq=last_seq, active_at=active_at, version=conv.version + 1))


def test_advanced_knows_every_field_of_a_conversation_in_order() -> None:
    """``advanced`` passes the fields by position: a field added or moved must be added or moved there too."""
    assert [f.name for f in fields(Conversation)] == [
        "id",
        "state",
        "customer",
        "created_at",
        "last_seq",
        "active_at",
        "warned_at",
        "version",
        "cc_conversation_id",
        "cc_synced_seq",
        "queue",
        "agent",
        "transferring",
        "escalation",
        "agent_read_seq",
        "cc_bot",
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(EVENTS, lines), min_size=1, max_size=60))
def test_along_any_conversation_decide_and_the_table_agree_at_every_step(seq: list[Event]) -> None:
    conv = Conversation(id=ConversationId("c1"), state=State.BOT, customer=Customer(), created_at=0.0)
    for i, drawn in enumerate(seq):
        event = replace(drawn, at=float(i + 1))
        try:
            expected = decide_with_draft(conv, event)
        except IllegalTransition:
            try:
                decide(conv, event)
            except IllegalTransition:
                continue
            raise AssertionError(f"decide accepted {event!r} in {conv.state}") from None
        decided = decide(conv, event)
        assert repr(decided) == repr(expected)
        conv = decided.conversation
