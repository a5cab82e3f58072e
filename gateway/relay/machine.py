"""The conversation state machine of design.md, as pure code.

Rules of this module:
- ``decide(conversation, event)`` returns a ``Decision``: the new conversation, the transcript entries to
  append (each with the next ``seq``), the outbox items to store with them and the side effects to perform
  once all of it is stored. It never performs anything itself: no I/O, no clock, no randomness.
- Every (state, event) pair that is allowed has one line in ``TRANSITIONS``. Any other pair raises
  ``IllegalTransition``; the orchestrator turns that into ``wrong_state`` for a customer and records and
  ignores it for a contact-center or bot event that arrived too late.
- The two lines of every round trip (the customer's to an agent, the agent's) are decided by ``lines``
  without a ``Draft`` (``_WITHOUT_DRAFT``); a property test holds them equal to their ``TRANSITIONS`` arrow.
- Invariants (checked by the property tests): a conversation gets at most one contact-center conversation
  id and keeps it; ``seq`` increases by one per entry; only ``CustomerLeft`` leads to ``closed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TypeVar, cast

from gateway.relay.decision import AskBot, Decision, Draft, ResumeBot
from gateway.relay.errors import IllegalTransition
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
from gateway.relay.lines import agent_line, customer_line_to_agent
from gateway.relay.model import (
    Author,
    BotWindow,
    Conversation,
    Escalation,
    Handback,
    MessageEntry,
    Outcome,
    QueueRef,
    ReadUpTo,
    State,
)


def _end_escalation(d: Draft, outcome: Outcome, *, failure: str | None = None) -> Handback:
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


def _mirrored(d: Draft, entry: MessageEntry, author: Author) -> None:
    """With the bot inside the contact center's conversation (post-agent): the line goes there too."""
    w = d.conv.cc_bot
    if w is None or entry.text is None:
        return
    if not w.open_at(d.at):
        d.conv = replace(d.conv, cc_bot=None)  # the contact center has ended it by now
        return
    d.post_item(entry.seq, text=entry.text, author=author)
    d.conv = replace(d.conv, cc_bot=replace(w, last_at=d.at), cc_synced_seq=entry.seq)


def _customer_to_bot(d: Draft, ev: CustomerSaid) -> None:
    entry = d.message(Author.CUSTOMER, ev.text, client_id=ev.client_id, attachments=ev.attachments)
    if ev.forward:
        _mirrored(d, entry, Author.CUSTOMER)
    d.effects.append(AskBot(ev.text))


def _customer_reopens(d: Draft, ev: CustomerSaid) -> None:
    d.state(State.BOT)
    _customer_to_bot(d, ev)


def _customer_to_agent(d: Draft, ev: CustomerSaid) -> None:
    entry = d.message(Author.CUSTOMER, ev.text, client_id=ev.client_id, attachments=ev.attachments)
    if ev.forward:
        d.post_item(entry.seq, text=ev.text, author=Author.CUSTOMER, attachments=ev.attachments)


def _cancel(d: Draft, ev: CancelRequested) -> None:
    seq = d.state(State.BOT, outcome=Outcome.CANCELLED).seq
    d.leave_item(seq)
    d.effects.append(ResumeBot(_end_escalation(d, Outcome.CANCELLED)))


def _leave_while_with_bot(d: Draft, ev: CustomerLeft) -> None:
    seq = d.state(State.CLOSED).seq
    if d.conv.cc_bot is not None and d.conv.cc_bot.open_at(ev.at):
        d.leave_item(seq)  # the contact center's conversation ends with the customer
    d.conv = replace(d.conv, cc_bot=None)


def _leave_while_escalated(d: Draft, ev: CustomerLeft) -> None:
    with_agent = d.conv.state is State.AGENT
    outcome = Outcome.COMPLETED if with_agent else Outcome.ABANDONED
    seq = d.state(State.CLOSED, outcome=outcome).seq
    d.leave_item(seq)
    handback = _end_escalation(d, outcome)
    d.effects.append(ResumeBot(replace(handback, speak=False)))


def _customer_updated(d: Draft, ev: CustomerUpdated) -> None:
    d.conv = replace(d.conv, customer=d.conv.customer.merged(ev.customer))


# --- bot -----------------------------------------------------------------------------------------


def _bot_said(d: Draft, ev: BotSaid) -> None:
    for m in ev.messages:
        _mirrored(
            d, d.message(Author.BOT, m.text, buttons=m.buttons, image=m.image, custom=m.custom), Author.BOT
        )


def _handoff(d: Draft, ev: HandoffRequested) -> None:
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
    d.open_item(entry.seq, escalation_id=ev.escalation_id, from_seq=d.conv.cc_synced_seq)
    d.conv = replace(d.conv, cc_synced_seq=handoff_seq)


# --- outbox results ------------------------------------------------------------------------------


def _created(d: Draft, ev: EscalationCreated) -> None:
    known = d.conv.cc_conversation_id
    if known is not None and known not in (ev.cc_conversation_id, ev.replaces):
        raise IllegalTransition(d.conv.state, ev)
    d.conv = replace(d.conv, cc_conversation_id=ev.cc_conversation_id)
    if d.conv.state is State.ESCALATING:
        _waiting_since(d, ev.at)
        d.state(State.QUEUED, queue=d.conv.queue)


def _failed(d: Draft, ev: EscalationFailed) -> None:
    d.drop_outbox = True
    d.message(Author.SYSTEM, ev.notice)
    d.state(State.BOT, outcome=Outcome.FAILED)
    d.effects.append(ResumeBot(_end_escalation(d, Outcome.FAILED, failure=ev.reason)))


def _notice(d: Draft, ev: SystemNotice) -> None:
    d.message(Author.SYSTEM, ev.text)


# --- contact center ------------------------------------------------------------------------------


def _waiting_since(d: Draft, at: float) -> None:
    esc = d.conv.escalation
    if esc is not None and (d.conv.state is not State.QUEUED or esc.queued_at is None):
        d.conv = replace(d.conv, escalation=replace(esc, queued_at=at, offered_at=None))


def _queued(d: Draft, ev: Queued) -> None:
    _waiting_since(d, ev.at)
    d.conv = replace(d.conv, queue=ev.queue, agent=None)
    d.state(State.QUEUED, queue=ev.queue)


def _queue_offer(d: Draft, ev: QueueWaitOffer) -> None:
    esc = d.conv.escalation
    if esc is not None:
        d.conv = replace(d.conv, escalation=replace(esc, offered_at=ev.at))
    d.message(Author.SYSTEM, ev.text, buttons=ev.buttons)


def _queue_overflowed(d: Draft, ev: QueueOverflowed) -> None:
    esc = d.conv.escalation
    if esc is not None:
        esc = replace(esc, queued_at=ev.at, offered_at=None, overflowed_at=ev.at)
    d.conv = replace(d.conv, queue=ev.queue, escalation=esc)
    d.message(Author.SYSTEM, ev.notice, queue=ev.queue)


def _queue_timed_out(d: Draft, ev: QueueTimedOut) -> None:
    d.message(Author.SYSTEM, ev.notice)
    seq = d.state(State.BOT, outcome=Outcome.FAILED).seq
    d.leave_item(seq)
    d.effects.append(ResumeBot(_end_escalation(d, Outcome.FAILED, failure="queue_timeout")))


def _inactivity_warning(d: Draft, ev: InactivityWarning) -> None:
    d.conv = replace(d.conv, warned_at=ev.at)
    d.message(Author.SYSTEM, ev.text)


def _agent_joined(d: Draft, ev: AgentJoined) -> None:
    esc = d.conv.escalation
    if esc is not None:
        joined_at = esc.agent_joined_at if esc.agent_joined_at is not None else ev.at
        esc = replace(esc, agent=ev.agent, agent_joined_at=joined_at)
    d.conv = replace(d.conv, agent=ev.agent, escalation=esc, transferring=False)
    d.state(State.AGENT, agent=ev.agent, queue=d.conv.queue)


def _agent_said(d: Draft, ev: AgentSaid) -> None:
    d.message(
        Author.AGENT, ev.text, agent=ev.agent, attachments=ev.attachments, buttons=ev.buttons, card=ev.card
    )


def _agent_read(d: Draft, ev: AgentRead) -> None:
    # Receipts only move forward; a late or repeated one changes nothing and says nothing.
    seq = ev.upto_seq or 0
    if seq > d.conv.agent_read_seq:
        d.conv = replace(d.conv, agent_read_seq=seq)
        d.signals.append(ReadUpTo(Author.AGENT, seq, ev.at))


def _transferred(d: Draft, ev: Transferred) -> None:
    d.conv = replace(d.conv, transferring=True)
    d.message(Author.SYSTEM, "transfer")


def _transferred_after_agent_left(d: Draft, ev: Transferred) -> None:
    # The spec lets AGENT_LEFT come before TRANSFER: the escalation that just ended goes on in a queue.
    esc = d.conv.escalation
    if esc is None or esc.outcome is not Outcome.COMPLETED or d.conv.cc_conversation_id is None:
        raise IllegalTransition(d.conv.state, ev)
    d.conv = replace(d.conv, escalation=replace(esc, outcome=None), cc_synced_seq=d.conv.last_seq)
    d.state(State.QUEUED)


def _agent_left(d: Draft, ev: AgentLeft) -> None:
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


def _agent_left_while_queued(d: Draft, ev: AgentLeft) -> None:
    # An AGENT_LEFT while waiting (the second half of a transfer seen out of order): nothing to show.
    d.conv = replace(d.conv, agent=None, transferring=False)


_Handler = Callable[[Draft, Event], None]
EventT = TypeVar("EventT", bound=Event)
_Rules = Iterator[tuple[tuple[State, type[object]], _Handler]]


def _on(
    states: State | Iterable[State], event_type: type[EventT], handler: Callable[[Draft, EventT], None]
) -> _Rules:
    """One arrow per state: ``handler`` applies ``event_type`` (and only it) in each of ``states``."""

    def apply(d: Draft, ev: Event) -> None:
        if not isinstance(ev, event_type):  # decide() looks handlers up by the event's type
            raise TypeError(f"{handler.__name__} takes {event_type.__name__}, not {type(ev).__name__}")
        handler(d, ev)

    for state in (states,) if isinstance(states, State) else states:
        yield (state, event_type), apply


def _table(*rules: _Rules) -> dict[tuple[State, type[object]], _Handler]:
    return {key: handler for group in rules for key, handler in group}


B, E, Q, A, C = State.BOT, State.ESCALATING, State.QUEUED, State.AGENT, State.CLOSED
EVERY = tuple(State)

TRANSITIONS = _table(
    # customer
    _on(B, CustomerSaid, _customer_to_bot),
    _on(C, CustomerSaid, _customer_reopens),
    _on((E, Q, A), CustomerSaid, _customer_to_agent),
    _on((E, Q), CancelRequested, _cancel),
    _on(B, CustomerLeft, _leave_while_with_bot),
    _on((E, Q, A), CustomerLeft, _leave_while_escalated),
    _on(EVERY, CustomerUpdated, _customer_updated),
    # bot
    _on(B, BotSaid, _bot_said),
    _on(B, HandoffRequested, _handoff),
    # outbox results: a creation is recorded whatever happened meanwhile (so leave can reach it)
    _on(EVERY, EscalationCreated, _created),
    _on(E, EscalationFailed, _failed),
    _on(EVERY, SystemNotice, _notice),
    # contact center
    _on((E, Q, A), Queued, _queued),
    _on((E, Q, A), AgentJoined, _agent_joined),
    _on((Q, A), AgentSaid, _agent_said),
    _on((A, Q), Transferred, _transferred),
    _on(B, Transferred, _transferred_after_agent_left),
    _on(A, AgentLeft, _agent_left),
    _on(Q, AgentLeft, _agent_left_while_queued),
    _on(Q, QueueWaitOffer, _queue_offer),
    _on(Q, QueueTimedOut, _queue_timed_out),
    _on(Q, QueueOverflowed, _queue_overflowed),
    _on((B, A), InactivityWarning, _inactivity_warning),
    # a read receipt may trail the agent's leaving, or the customer's
    _on(EVERY, AgentRead, _agent_read),
)
"""Every allowed (state, event) pair, one line per arrow of design.md (h11's ``_state.py`` style)."""


_Decider = Callable[[Conversation, Event], Decision]
_customer_decider = cast(_Decider, customer_line_to_agent)  # looked up by the event's type, like a handler
_agent_decider = cast(_Decider, agent_line)

_WITHOUT_DRAFT: dict[tuple[State, type[object]], _Decider] = {
    (E, CustomerSaid): _customer_decider,
    (Q, CustomerSaid): _customer_decider,
    (A, CustomerSaid): _customer_decider,
    (Q, AgentSaid): _agent_decider,
    (A, AgentSaid): _agent_decider,
}
"""Arrows of ``TRANSITIONS`` (the same keys, the same decisions) that skip the draft: one of each per line."""


def decide(conversation: Conversation, event: Event) -> Decision:
    """Apply ``event`` to ``conversation``; raise ``IllegalTransition`` if it does not apply."""
    decider = _WITHOUT_DRAFT.get((conversation.state, type(event)))
    if decider is not None:
        return decider(conversation, event)
    return decide_with_draft(conversation, event)


def decide_with_draft(conversation: Conversation, event: Event) -> Decision:
    """``decide`` through ``TRANSITIONS`` alone (the general path, which the hot arrows skip)."""
    handler = TRANSITIONS.get((conversation.state, type(event)))
    if handler is None:
        raise IllegalTransition(conversation.state, event)
    draft = Draft(conv=conversation, at=event.at)
    handler(draft, event)
    return draft.done()
