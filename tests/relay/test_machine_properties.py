"""Random event sequences never break the machine's invariants (hypothesis).

- a conversation gets at most one contact-center conversation id, and keeps it;
- seq increases by exactly one per entry, with no gap and no repeat;
- only the customer's leaving closes a conversation;
- the bot is handed back only at the end of an escalation;
- every outbox item has its own key (its Idempotency-Key).
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.relay.decision import ResumeBot
from gateway.relay.errors import IllegalTransition
from gateway.relay.events import (
    AgentJoined,
    AgentLeft,
    AgentSaid,
    BotMessage,
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
    SystemNotice,
    Transferred,
)
from gateway.relay.machine import decide
from gateway.relay.model import (
    AgentRef,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Handoff,
    QueueRef,
    State,
)

agents = st.sampled_from([AgentRef("a1", "Alice"), AgentRef("b2", "Bob")])
texts = st.text(min_size=1, max_size=20)


AT = st.just(0.0)  # every event gets its own time below
EVENTS: st.SearchStrategy[Event] = st.one_of(
    st.builds(CustomerSaid, texts, st.sampled_from(["k1", "k2", "k3"]), AT, st.booleans()),
    st.builds(BotSaid, st.lists(st.builds(BotMessage, texts), max_size=3).map(tuple), AT),
    st.builds(
        HandoffRequested,
        st.builds(Handoff, queue_id=st.sampled_from([None, "101", "102"])),
        st.sampled_from(["e1", "e2", "e3"]),
        AT,
        st.sampled_from([None, None, None, "closed"]),
    ),
    st.builds(EscalationCreated, st.sampled_from([CcConversationId("cc-1"), CcConversationId("cc-2")]), AT),
    st.builds(EscalationFailed, st.just("rejected"), st.just("no agent"), AT),
    st.builds(CancelRequested, AT),
    st.builds(CustomerLeft, AT),
    st.builds(SystemNotice, texts, AT),
    st.builds(Queued, st.builds(QueueRef, st.sampled_from(["101", "102"])), AT),
    st.builds(AgentJoined, agents, AT),
    st.builds(AgentSaid, agents, texts, AT),
    st.builds(Transferred, AT),
    st.builds(AgentLeft, agents, AT),
    st.builds(QueueWaitOffer, texts, st.just(()), AT),
    st.builds(QueueTimedOut, texts, AT),
    st.builds(QueueOverflowed, st.builds(QueueRef, st.sampled_from(["103"])), texts, AT),
    st.builds(InactivityWarning, texts, AT),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(EVENTS, min_size=1, max_size=60))
def test_invariants_hold_for_any_sequence_of_events(seq: list[Event]) -> None:
    conv = Conversation(id=ConversationId("c1"), state=State.BOT, customer=Customer(), created_at=0.0)
    keys: set[str] = set()
    for i, drawn in enumerate(seq):
        event = replace(drawn, at=float(i + 1))
        before = conv
        try:
            decision = decide(conv, event)
        except IllegalTransition:
            assert conv is before  # refused: nothing changed
            continue
        after = decision.conversation
        # one contact-center conversation, kept once known
        if before.cc_conversation_id is not None:
            assert after.cc_conversation_id == before.cc_conversation_id
        # seq: exactly one more per entry
        assert [e.seq for e in decision.entries] == list(range(before.last_seq + 1, after.last_seq + 1))
        # closed only by leave
        if after.state is State.CLOSED and before.state is not State.CLOSED:
            assert isinstance(event, CustomerLeft)
        # hand-back only when an escalation ends (or is refused outright outside business hours)
        if any(isinstance(e, ResumeBot) for e in decision.effects):
            refused = isinstance(event, HandoffRequested) and event.closed_notice is not None
            assert before.state in (State.ESCALATING, State.QUEUED, State.AGENT) or refused
        # every outbox item is its own operation
        for item in decision.outbox:
            assert item.key not in keys
            keys.add(item.key)
        assert after.cc_synced_seq <= after.last_seq
        conv = after
