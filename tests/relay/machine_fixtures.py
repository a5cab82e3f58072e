"""Conversations in every state, and one event of every type, for the state-machine tests."""

from __future__ import annotations

from dataclasses import replace

from gateway.relay.events import (
    AgentJoined,
    AgentLeft,
    AgentSaid,
    BotMessage,
    BotSaid,
    CancelRequested,
    CustomerLeft,
    CustomerSaid,
    CustomerUpdated,
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
from gateway.relay.model import (
    AgentRef,
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

ALICE = AgentRef("alice", "Alice")
BILLING = QueueRef("101", "Billing")
CC_ID = CcConversationId("cc-1")


def escalation(**kwargs: object) -> Escalation:
    return replace(Escalation(id="esc-1", handoff=Handoff(), started_at=10.0, handoff_seq=4), **kwargs)  # type: ignore[arg-type]


def conversation(state: State, **kwargs: object) -> Conversation:
    """A conversation that plausibly reached ``state`` (escalated states have an escalation and an id)."""
    base = Conversation(
        id=ConversationId("c1"), state=state, customer=Customer(name="Ann"), created_at=0.0, last_seq=5
    )
    if state in (State.ESCALATING, State.QUEUED, State.AGENT):
        base = replace(base, escalation=escalation(queued_at=11.0), cc_synced_seq=4)
    if state in (State.QUEUED, State.AGENT):
        base = replace(base, cc_conversation_id=CC_ID, queue=BILLING)
    if state is State.AGENT:
        base = replace(base, agent=ALICE, escalation=escalation(agent=ALICE, agent_joined_at=12.0))
    return replace(base, **kwargs)  # type: ignore[arg-type]


def one_of_each(at: float = 20.0) -> list[Event]:
    return [
        CustomerSaid("hi", "k1", at),
        BotSaid((BotMessage(text="hello"),), at),
        HandoffRequested(Handoff(), "esc-2", at),
        EscalationCreated(CC_ID, at),
        EscalationFailed("rejected", "no agent", at),
        CancelRequested(at),
        CustomerLeft(at),
        SystemNotice("note", at),
        CustomerUpdated(Customer(email="a@b.c"), at),
        QueueWaitOffer("keep waiting?", (), at),
        QueueTimedOut("gave up", at),
        QueueOverflowed(QueueRef("103"), "moved", at),
        InactivityWarning("still there?", at),
        Queued(BILLING, at),
        AgentJoined(ALICE, at),
        AgentSaid(ALICE, "hi from agent", at),
        Transferred(at),
        AgentLeft(ALICE, at),
    ]


__all__ = ["ALICE", "BILLING", "CC_ID", "Outcome", "conversation", "escalation", "one_of_each"]
