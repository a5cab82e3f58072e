"""The JSON text both stores write for the model's objects, byte for byte ``dumps`` of the codec's dict.

The common kinds, written with every commit on the event loop, are put together as text by hand instead of
through the codec's dicts, each a copy that ``tests/store/test_sqlite_row_text.py`` holds equal to the codec's
for any value of the model's types.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring as encode_str
from math import isfinite

from gateway.relay import codec
from gateway.relay.events import AgentSaid, CcEvent
from gateway.relay.model import (
    AgentRef,
    Conversation,
    Customer,
    Entry,
    Escalation,
    MessageEntry,
    OutboxItem,
    PostItem,
    QueueRef,
    State,
)


def _compact_json() -> Callable[[object], str]:
    """Compact JSON of the codec's dicts (trees: nothing to check for cycles): ``JSONEncoder.encode``'s very
    output, from the C encoder made once here rather than anew by every ``encode`` call."""
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)  # None where Python has no C accelerator
    if make is None:
        return encoder.encode
    iterencode = make(None, encoder.default, encode_str, None, ":", ",", False, False, True)
    return lambda obj: "".join(iterencode(obj, 0))


dumps = _compact_json()


def cc_event_json(ev: CcEvent) -> str:
    """``dumps(codec.cc_event_to_json(ev))``; an agent's plain line (one per reply) written out by hand."""
    if (
        type(ev) is not AgentSaid
        or ev.attachments
        or ev.buttons
        or ev.card is not None
        or not isfinite(ev.at)
    ):
        return dumps(codec.cc_event_to_json(ev))
    return (
        f'{{"type":"agent_said","agent":{{"id":{encode_str(ev.agent.id)},'
        f'"name":{encode_str(ev.agent.name)}}},"text":{encode_str(ev.text)},"at":{ev.at!r}}}'
    )


def entry_json(e: Entry) -> str:
    """``dumps(codec.entry_to_json(e))``; a plain line (text, maybe a client_id and an agent, as most
    customer and agent lines are) written out by hand."""
    if type(e) is not MessageEntry or not e.plain_text() or e.text is None or not isfinite(e.ts):
        return dumps(codec.entry_to_json(e))
    return (
        f'{{"seq":{e.seq},"kind":"message","ts":{e.ts!r},"author":{encode_str(e.author)},'
        f'"text":{encode_str(e.text)}{codec.plain_line_tail(e)}}}'
    )


def outbox_json(o: OutboxItem) -> str:
    """``dumps(codec.outbox_to_json(o))``; a line without files (most items) written out by hand."""
    if type(o) is not PostItem or o.attachments or not isfinite(o.created_at):
        return dumps(codec.outbox_to_json(o))
    return (
        f'{{"key":{encode_str(o.key)},"conversation_id":{encode_str(o.conversation_id)},"kind":"post",'
        f'"seq":{o.seq},"text":{encode_str(o.text)},"author":{encode_str(o.author)},'
        f'"created_at":{o.created_at!r}}}'
    )


_Parts = tuple[
    State, Customer, float, str, QueueRef | None, AgentRef | None, bool, str, Escalation | None, str
]


class ConversationJson:
    """A conversation's JSON, byte for byte ``codec.conversation_to_json``'s (a property test holds
    them equal), written as text: JSON with compact separators is the members' JSON joined by commas.

    The JSON of the parts that rarely change from one commit to the next (the state with the customer and
    the creation time; the queue, agent and transfer flag; the escalation) is reused while they are the very
    objects they were the last time for that conversation (``dataclasses.replace`` keeps them, and everything
    in the model is frozen, so a change makes new objects); the numbers that change with every commit are
    written out by hand. A time that is not a finite number (JSON's ``NaN``, which Python's repr spells
    otherwise) takes the codec's own path. Bounded: the conversations used least recently are forgotten first.
    """

    LIMIT = 4096

    def __init__(self) -> None:
        self._parts: dict[str, _Parts] = {}

    def data(self, c: Conversation) -> str:
        parts = self._parts.pop(c.id, None)
        bot = c.cc_bot
        times = c.created_at + c.active_at + (c.warned_at or 0.0)
        if not isfinite(times if bot is None else times + bot.ends_at + bot.quiet_s + bot.last_at):
            return dumps(codec.conversation_to_json(c))
        (
            state,
            customer,
            created_at,
            head,
            queue,
            agent,
            transferring,
            between,
            escalation,
            escalation_json,
        ) = parts if parts is not None else _NO_PARTS
        if state is not c.state or customer is not c.customer or created_at is not c.created_at:
            head = (
                f'{{"id":{encode_str(c.id)},"state":{encode_str(c.state)},'
                f'"customer":{dumps(codec.customer_to_json(c.customer))},"created_at":{c.created_at!r}'
            )
        if queue is not c.queue or agent is not c.agent or transferring is not c.transferring:
            between = _queue_agent_transferring(c)
        if escalation is not c.escalation:
            esc = c.escalation
            escalation_json = "" if esc is None else f',"escalation":{dumps(codec.escalation_to_json(esc))}'
        self._parts[c.id] = (
            c.state,
            c.customer,
            c.created_at,
            head,
            c.queue,
            c.agent,
            c.transferring,
            between,
            c.escalation,
            escalation_json,
        )
        if len(self._parts) > self.LIMIT:
            del self._parts[next(iter(self._parts))]
        warned = "" if c.warned_at is None else f',"warned_at":{c.warned_at!r}'
        cc_id = (
            ""
            if c.cc_conversation_id is None
            else f',"cc_conversation_id":{encode_str(c.cc_conversation_id)}'
        )
        read = f',"agent_read_seq":{c.agent_read_seq}' if c.agent_read_seq else ""
        if bot is not None:
            read += (
                f',"cc_bot":{{"ends_at":{bot.ends_at!r},"quiet_s":{bot.quiet_s!r},"last_at":{bot.last_at!r}}}'
            )
        return (
            f'{head},"last_seq":{c.last_seq},"active_at":{c.active_at!r}{warned},'
            f'"version":{c.version}{cc_id},"cc_synced_seq":{c.cc_synced_seq}'
            f"{between}{escalation_json}{read}}}"
        )


_NO_PARTS: _Parts = (State.CLOSED, Customer(), 0.0, "", None, None, False, "", None, "")
"""Parts that match no conversation (their customer is no conversation's very object): all written anew."""


def _queue_agent_transferring(c: Conversation) -> str:
    """``,"queue":...,"agent":...,"transferring":true`` (each where set) as ``codec.conversation_fields``."""
    out = "" if c.queue is None else f',"queue":{dumps(codec.queue_to_json(c.queue))}'
    if c.agent is not None:
        out += f',"agent":{{"id":{encode_str(c.agent.id)},"name":{encode_str(c.agent.name)}}}'
    return out + ',"transferring":true' if c.transferring else out
