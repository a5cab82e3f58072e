"""The two lines of every round trip, decided without a ``Draft``: the customer's line while an agent is
asked for or there, and the agent's line.

Each is its ``machine`` handler and ``Draft.done`` written out as one function, for the path every message
takes (the draft, its lists and the handler's wrapper cost as much as the decision itself). ``machine.decide``
picks them by (state, event type); tests/relay/test_machine_lines.py holds each equal to ``decide_with_draft``.
"""

from __future__ import annotations

from gateway.relay.decision import Decision, advanced, outbox_key
from gateway.relay.events import AgentSaid, CustomerSaid
from gateway.relay.model import Author, Conversation, MessageEntry, OutboxKind, PostItem


def customer_line_to_agent(conv: Conversation, ev: CustomerSaid) -> Decision:
    """``machine._customer_to_agent``: the line, and (unless it is for the gateway) its ``PostItem``."""
    seq = conv.last_seq + 1
    at = ev.at
    entry = MessageEntry(seq, at, Author.CUSTOMER, ev.text, ev.client_id, (), None, None, ev.attachments)
    outbox: tuple[PostItem, ...] = ()
    if ev.forward:
        key = outbox_key(conv.id, OutboxKind.POST, seq)
        outbox = (PostItem(key, conv.id, seq, ev.text, Author.CUSTOMER, ev.attachments, at),)
    return Decision(advanced(conv, last_seq=seq, active_at=max(at, conv.active_at)), (entry,), outbox)


def agent_line(conv: Conversation, ev: AgentSaid) -> Decision:
    """``machine._agent_said``: the agent's line, with its files, quick replies or card."""
    seq = conv.last_seq + 1
    at = ev.at
    entry = MessageEntry(
        seq, at, Author.AGENT, ev.text, None, ev.buttons, None, None, ev.attachments, ev.card, ev.agent
    )
    return Decision(advanced(conv, last_seq=seq, active_at=max(at, conv.active_at)), (entry,))
