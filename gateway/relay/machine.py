"""The conversation state machine of design.md, as pure code.

Rules of this module:
- ``decide(conversation, event)`` returns a ``Decision``: the new conversation, the transcript entries to
  append (each with the next ``seq``), the outbox items to store with them and the side effects to perform
  once all of it is stored. It never performs anything itself: no I/O, no clock, no randomness.
- Every (state, event) pair that is allowed has one line in ``TRANSITIONS``. Any other pair raises
  ``IllegalTransition``; the orchestrator turns that into ``wrong_state`` for a customer and records and
  ignores it for a contact-center or bot event that arrived too late.
- Invariants (checked by the property tests): a conversation gets at most one contact-center conversation
  id and keeps it; ``seq`` increases by one per entry; only ``CustomerLeft`` leads to ``closed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.relay.events import (
    AgentJoined,
    AgentLeft,
    AgentRead,
    AgentSaid,
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
    Author,
    BotWindow,
    Conversation,
    Entry,
    EntryKind,
    Escalation,
    Handback,
    OutboxItem,
    OutboxKind,
    Outcome,
    QueueRef,
    ReadUpTo,
    Signal,
    State,
)

_OUTBOX_NAMESPACE = uuid.UUID("3f0f9f56-2a53-4c1e-9d8a-6f1c7e0b2a11")


class IllegalTransition(Exception):
    """The event does not apply in the conversation's current state."""

    def __init__(self, state: State, event: Event) -> None:
        super().__init__(f"{type(event).__name__} is not allowed in state {state.value}")
        self.state = state
        self.event = event


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
    """A stable UUID per logical contact-center operation: the Idempotency-Key of all its retries."""
    return str(uuid.uuid5(_OUTBOX_NAMESPACE, f"{conversation_id}/{kind.value}/{seq}"))


@dataclass(slots=True)
class _Draft:
    """Accumulates one decision: entries get consecutive seqs starting after the conversation's last."""

    conv: Conversation
    at: float
    entries: list[Entry] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    drop_outbox: bool = False

    def add(self, kind: EntryKind, **fields: object) -> Entry:
        seq = self.conv.last_seq + len(self.entries) + 1
        entry = Entry(seq=seq, kind=kind, ts=self.at, **fields)  # type: ignore[arg-type]
        self.entries.append(entry)
        return entry

    def message(self, author: Author, text: str | None, **fields: object) -> Entry:
        return self.add(EntryKind.MESSAGE, author=author, text=text, **fields)

    def state(self, state: State, **fields: object) -> Entry:
        self.conv = replace(self.conv, state=state)
        return self.add(EntryKind.STATE, state=state, **fields)

    def queue_item(self, kind: OutboxKind, seq: int, **fields: object) -> None:
        key = outbox_key(self.conv.id, kind, seq)
        self.outbox.append(
            OutboxItem(
                key=key,
                conversation_id=self.conv.id,
                kind=kind,
                seq=seq,
                created_at=self.at,
                **fields,  # type: ignore[arg-type]
            )
        )

    def done(self) -> Decision:
        last_seq = self.conv.last_seq + len(self.entries)
        # System notices (warnings, offers) are not activity: they must not keep a quiet chat open.
        active = any(e.author is not Author.SYSTEM for e in self.entries)
        # A late contact-center event carries its own (older) time: it must not rewind the inactivity clock.
        active_at = max(self.at, self.conv.active_at) if active else self.conv.active_at
        return Decision(
            conversation=replace(self.conv, last_seq=last_seq, active_at=active_at),
            entries=tuple(self.entries),
            outbox=tuple(self.outbox),
            drop_outbox=self.drop_outbox,
            effects=tuple(self.effects),
            signals=tuple(self.signals),
        )


def _end_escalation(d: _Draft, outcome: Outcome, *, failure: str | None = None) -> Handback:
    """Close the current escalation with its outcome; the contact center knows everything up to now."""
    esc = d.conv.escalation
    duration = None
    if esc is not None and esc.agent_joined_at is not None:
        duration = round(d.at - esc.agent_joined_at, 3)
    agent = esc.agent if esc is not None else None
    if esc is not None:
        esc = replace(esc, outcome=outcome, failure=failure)
    d.conv = replace(
        d.conv,
        escalation=esc,
        agent=None,
        queue=None,
        transferring=False,
        cc_synced_seq=d.conv.last_seq + len(d.entries),
    )
    return Handback(
        outcome=outcome,
        agent_name=agent.name if agent else None,
        duration_s=duration,
        reason=failure,
    )


# --- customer ------------------------------------------------------------------------------------


def _mirrored(d: _Draft, entry: Entry, author: Author) -> None:
    """With the bot inside the contact center's conversation (post-agent): the line goes there too."""
    w = d.conv.cc_bot
    if w is None or entry.text is None:
        return
    if not w.open_at(d.at):
        d.conv = replace(d.conv, cc_bot=None)  # the contact center has ended it by now
        return
    d.queue_item(OutboxKind.POST, entry.seq, text=entry.text, author=author)
    d.conv = replace(d.conv, cc_bot=replace(w, last_at=d.at), cc_synced_seq=entry.seq)


def _customer_to_bot(d: _Draft, ev: CustomerSaid) -> None:
    entry = d.message(Author.CUSTOMER, ev.text, client_id=ev.client_id, attachments=ev.attachments)
    if ev.forward:
        _mirrored(d, entry, Author.CUSTOMER)
    d.effects.append(AskBot(ev.text))


def _customer_reopens(d: _Draft, ev: CustomerSaid) -> None:
    d.state(State.BOT)
    _customer_to_bot(d, ev)


def _customer_to_agent(d: _Draft, ev: CustomerSaid) -> None:
    entry = d.message(Author.CUSTOMER, ev.text, client_id=ev.client_id, attachments=ev.attachments)
    if ev.forward:
        d.queue_item(
            OutboxKind.POST, entry.seq, text=ev.text, author=Author.CUSTOMER, attachments=ev.attachments
        )


def _cancel(d: _Draft, ev: CancelRequested) -> None:
    seq = d.state(State.BOT, outcome=Outcome.CANCELLED).seq
    d.queue_item(OutboxKind.LEAVE, seq)
    d.effects.append(ResumeBot(_end_escalation(d, Outcome.CANCELLED)))


def _leave_while_with_bot(d: _Draft, ev: CustomerLeft) -> None:
    seq = d.state(State.CLOSED).seq
    if d.conv.cc_bot is not None and d.conv.cc_bot.open_at(ev.at):
        d.queue_item(OutboxKind.LEAVE, seq)  # the contact center's conversation ends with the customer
    d.conv = replace(d.conv, cc_bot=None)


def _leave_while_escalated(d: _Draft, ev: CustomerLeft) -> None:
    with_agent = d.conv.state is State.AGENT
    outcome = Outcome.COMPLETED if with_agent else Outcome.ABANDONED
    seq = d.state(State.CLOSED, outcome=outcome).seq
    d.queue_item(OutboxKind.LEAVE, seq)
    handback = _end_escalation(d, outcome)
    d.effects.append(ResumeBot(replace(handback, speak=False)))


def _customer_updated(d: _Draft, ev: CustomerUpdated) -> None:
    d.conv = replace(d.conv, customer=d.conv.customer.merged(ev.customer))


# --- bot -----------------------------------------------------------------------------------------


def _bot_said(d: _Draft, ev: BotSaid) -> None:
    for m in ev.messages:
        _mirrored(
            d, d.message(Author.BOT, m.text, buttons=m.buttons, image=m.image, custom=m.custom), Author.BOT
        )


def _handoff(d: _Draft, ev: HandoffRequested) -> None:
    h = ev.handoff
    handoff_seq = d.conv.last_seq + len(d.entries)
    d.conv = replace(
        d.conv,
        cc_bot=None,
        escalation=Escalation(id=ev.escalation_id, handoff=h, started_at=ev.at, handoff_seq=handoff_seq),
    )
    queue = QueueRef(h.queue_id) if h.queue_id else None
    d.conv = replace(d.conv, queue=queue)
    entry = d.state(State.ESCALATING, queue=queue)
    if ev.closed_notice is not None:
        # Outside business hours: the contact center is never asked; the bot takes over at once.
        d.message(Author.SYSTEM, ev.closed_notice)
        d.state(State.BOT, outcome=Outcome.FAILED)
        synced = d.conv.cc_synced_seq
        handback = _end_escalation(d, Outcome.FAILED, failure="outside_business_hours")
        d.conv = replace(d.conv, cc_synced_seq=synced)  # nothing reached the contact center
        d.effects.append(ResumeBot(handback))
        return
    # The transcript so far travels with the OPEN item: as the create's history, or, when the
    # conversation already exists, as the lines posted since it last knew.
    d.queue_item(OutboxKind.OPEN, entry.seq, escalation_id=ev.escalation_id, from_seq=d.conv.cc_synced_seq)
    d.conv = replace(d.conv, cc_synced_seq=handoff_seq)


# --- outbox results ------------------------------------------------------------------------------


def _created(d: _Draft, ev: EscalationCreated) -> None:
    known = d.conv.cc_conversation_id
    if known is not None and known not in (ev.cc_conversation_id, ev.replaces):
        raise IllegalTransition(d.conv.state, ev)
    d.conv = replace(d.conv, cc_conversation_id=ev.cc_conversation_id)
    if d.conv.state is State.ESCALATING:
        _waiting_since(d, ev.at)
        d.state(State.QUEUED, queue=d.conv.queue)


def _failed(d: _Draft, ev: EscalationFailed) -> None:
    d.drop_outbox = True
    d.message(Author.SYSTEM, ev.notice)
    d.state(State.BOT, outcome=Outcome.FAILED)
    d.effects.append(ResumeBot(_end_escalation(d, Outcome.FAILED, failure=ev.reason)))


def _notice(d: _Draft, ev: SystemNotice) -> None:
    d.message(Author.SYSTEM, ev.text)


# --- contact center ------------------------------------------------------------------------------


def _waiting_since(d: _Draft, at: float) -> None:
    esc = d.conv.escalation
    if esc is not None and (d.conv.state is not State.QUEUED or esc.queued_at is None):
        d.conv = replace(d.conv, escalation=replace(esc, queued_at=at, offered_at=None))


def _queued(d: _Draft, ev: Queued) -> None:
    _waiting_since(d, ev.at)
    d.conv = replace(d.conv, queue=ev.queue, agent=None)
    d.state(State.QUEUED, queue=ev.queue)


def _queue_offer(d: _Draft, ev: QueueWaitOffer) -> None:
    esc = d.conv.escalation
    if esc is not None:
        d.conv = replace(d.conv, escalation=replace(esc, offered_at=ev.at))
    d.message(Author.SYSTEM, ev.text, buttons=ev.buttons)


def _queue_overflowed(d: _Draft, ev: QueueOverflowed) -> None:
    esc = d.conv.escalation
    if esc is not None:
        esc = replace(esc, queued_at=ev.at, offered_at=None, overflowed_at=ev.at)
    d.conv = replace(d.conv, queue=ev.queue, escalation=esc)
    d.message(Author.SYSTEM, ev.notice, queue=ev.queue)


def _queue_timed_out(d: _Draft, ev: QueueTimedOut) -> None:
    d.message(Author.SYSTEM, ev.notice)
    seq = d.state(State.BOT, outcome=Outcome.FAILED).seq
    d.queue_item(OutboxKind.LEAVE, seq)
    d.effects.append(ResumeBot(_end_escalation(d, Outcome.FAILED, failure="queue_timeout")))


def _inactivity_warning(d: _Draft, ev: InactivityWarning) -> None:
    d.conv = replace(d.conv, warned_at=ev.at)
    d.message(Author.SYSTEM, ev.text)


def _agent_joined(d: _Draft, ev: AgentJoined) -> None:
    esc = d.conv.escalation
    if esc is not None:
        joined_at = esc.agent_joined_at if esc.agent_joined_at is not None else ev.at
        esc = replace(esc, agent=ev.agent, agent_joined_at=joined_at)
    d.conv = replace(d.conv, agent=ev.agent, escalation=esc, transferring=False)
    d.state(State.AGENT, agent=ev.agent, queue=d.conv.queue)


def _agent_said(d: _Draft, ev: AgentSaid) -> None:
    d.message(
        Author.AGENT, ev.text, agent=ev.agent, attachments=ev.attachments, buttons=ev.buttons, card=ev.card
    )


def _agent_read(d: _Draft, ev: AgentRead) -> None:
    # Receipts only move forward; a late or repeated one changes nothing and says nothing.
    seq = ev.upto_seq or 0
    if seq > d.conv.agent_read_seq:
        d.conv = replace(d.conv, agent_read_seq=seq)
        d.signals.append(ReadUpTo(Author.AGENT, seq, ev.at))


def _transferred(d: _Draft, ev: Transferred) -> None:
    d.conv = replace(d.conv, transferring=True)
    d.message(Author.SYSTEM, "transfer")


def _transferred_after_agent_left(d: _Draft, ev: Transferred) -> None:
    # The spec lets AGENT_LEFT come before TRANSFER: the escalation that just ended goes on in a queue.
    esc = d.conv.escalation
    if esc is None or esc.outcome is not Outcome.COMPLETED or d.conv.cc_conversation_id is None:
        raise IllegalTransition(d.conv.state, ev)
    d.conv = replace(d.conv, escalation=replace(esc, outcome=None), cc_synced_seq=d.conv.last_seq)
    d.state(State.QUEUED)


def _agent_left(d: _Draft, ev: AgentLeft) -> None:
    if d.conv.transferring:
        # TRANSFER then AGENT_LEFT: the conversation waits for the next agent, the bot stays out.
        d.conv = replace(d.conv, agent=None, transferring=False)
        _waiting_since(d, ev.at)
        d.state(State.QUEUED, queue=d.conv.queue)
        return
    d.state(State.BOT, outcome=Outcome.COMPLETED, agent=ev.agent)
    d.effects.append(ResumeBot(_end_escalation(d, Outcome.COMPLETED)))
    if ev.bot_continues is not None:  # 8x8 post-agent assignment: a minute's margin before 8x8's timers
        total_s, quiet_s = ev.bot_continues
        d.conv = replace(d.conv, cc_bot=BotWindow(ev.at + total_s - 60, quiet_s - 60, ev.at))


def _agent_left_while_queued(d: _Draft, ev: AgentLeft) -> None:
    # An AGENT_LEFT while waiting (the second half of a transfer seen out of order): nothing to show.
    d.conv = replace(d.conv, agent=None, transferring=False)


_Handler = Callable[[_Draft, Any], None]

B, E, Q, A, C = State.BOT, State.ESCALATING, State.QUEUED, State.AGENT, State.CLOSED

TRANSITIONS: dict[tuple[State, type[Event]], _Handler] = {
    # customer
    (B, CustomerSaid): _customer_to_bot,
    (C, CustomerSaid): _customer_reopens,
    (E, CustomerSaid): _customer_to_agent,
    (Q, CustomerSaid): _customer_to_agent,
    (A, CustomerSaid): _customer_to_agent,
    (E, CancelRequested): _cancel,
    (Q, CancelRequested): _cancel,
    (B, CustomerLeft): _leave_while_with_bot,
    (E, CustomerLeft): _leave_while_escalated,
    (Q, CustomerLeft): _leave_while_escalated,
    (A, CustomerLeft): _leave_while_escalated,
    **{(s, CustomerUpdated): _customer_updated for s in State},
    # bot
    (B, BotSaid): _bot_said,
    (B, HandoffRequested): _handoff,
    # outbox results: a creation is recorded whatever happened meanwhile (so leave can reach it)
    **{(s, EscalationCreated): _created for s in State},
    (E, EscalationFailed): _failed,
    **{(s, SystemNotice): _notice for s in State},
    # contact center
    (E, Queued): _queued,
    (Q, Queued): _queued,
    (A, Queued): _queued,
    (E, AgentJoined): _agent_joined,
    (Q, AgentJoined): _agent_joined,
    (A, AgentJoined): _agent_joined,
    (Q, AgentSaid): _agent_said,
    (A, AgentSaid): _agent_said,
    (A, Transferred): _transferred,
    (Q, Transferred): _transferred,
    (B, Transferred): _transferred_after_agent_left,
    (A, AgentLeft): _agent_left,
    (Q, QueueWaitOffer): _queue_offer,
    (Q, QueueTimedOut): _queue_timed_out,
    (Q, QueueOverflowed): _queue_overflowed,
    (B, InactivityWarning): _inactivity_warning,
    (A, InactivityWarning): _inactivity_warning,
    (Q, AgentLeft): _agent_left_while_queued,
    # a read receipt may trail the agent's leaving, or the customer's
    **{(s, AgentRead): _agent_read for s in State},
}


def decide(conversation: Conversation, event: Event) -> Decision:
    """Apply ``event`` to ``conversation``; raise ``IllegalTransition`` if it does not apply."""
    handler = TRANSITIONS.get((conversation.state, type(event)))
    if handler is None:
        raise IllegalTransition(conversation.state, event)
    draft = _Draft(conv=conversation, at=event.at)
    handler(draft, event)
    return draft.done()
