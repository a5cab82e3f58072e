"""Domain objects to SQLite rows and the inserts shared by the store's write jobs (run on the writer thread)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring as encode_str

from gateway.relay import codec
from gateway.relay.events import InboundEvent
from gateway.relay.model import Conversation, Customer, Entry, Escalation


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


EntryRow = tuple[str, int, str | None, str]
InboundRow = tuple[str, str, float, str]


def inbound_row(event: InboundEvent) -> InboundRow:
    return (
        event.event_id,
        event.cc_conversation_id,
        event.received_at,
        dumps(codec.cc_event_to_json(event.event)),
    )


def insert_inbound(conn: sqlite3.Connection, row: InboundRow, *, applied: int) -> bool:
    """True if the event is new; a known event id stores nothing."""
    cursor = conn.execute(
        "INSERT INTO inbound (event_id, cc_conversation_id, received_at, data, applied) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (event_id) DO NOTHING",
        (*row, applied),
    )
    return cursor.rowcount == 1


def entries_to_rows(conversation_id: str, entries: Sequence[Entry]) -> list[EntryRow]:
    return [
        (conversation_id, e.seq, codec.entry_client_id(e), dumps(codec.entry_to_json(e))) for e in entries
    ]


def insert_entries(conn: sqlite3.Connection, rows: list[EntryRow]) -> None:
    if rows:
        conn.executemany(
            "INSERT INTO entries (conversation_id, seq, client_id, data) VALUES (?, ?, ?, ?)", rows
        )


ConversationRow = tuple[str, int, str | None, str, float, str]


class ConversationRows:
    """A conversation's row, its JSON byte for byte ``codec.conversation_to_json``'s, with the JSON of its
    customer and escalation reused while they are the very objects they were the last time for that
    conversation (``dataclasses.replace`` keeps them, and a conversation's customer and escalation rarely
    change from one commit to the next; a change makes new objects, as everything in the model is frozen).

    The row is put together as text: JSON with compact separators is the members' JSON joined by commas.
    Bounded: the conversations used least recently are forgotten first.
    """

    LIMIT = 4096

    def __init__(self) -> None:
        self._parts: dict[str, tuple[Customer, str, Escalation | None, str]] = {}

    def row(self, c: Conversation) -> ConversationRow:
        return (c.id, c.version, c.cc_conversation_id, c.state.value, c.active_at, self.data(c))

    def data(self, c: Conversation) -> str:
        known = self._parts.pop(c.id, None)
        if known is not None and known[0] is c.customer:
            customer = known[1]
        else:
            customer = dumps(codec.customer_to_json(c.customer))
        if c.escalation is None:
            escalation = ""
        elif known is not None and known[2] is c.escalation:
            escalation = known[3]
        else:
            escalation = ',"escalation":' + dumps(codec.escalation_to_json(c.escalation))
        self._parts[c.id] = (c.customer, customer, c.escalation, escalation)
        if len(self._parts) > self.LIMIT:
            del self._parts[next(iter(self._parts))]
        between, after = codec.conversation_fields(c)
        return (
            f'{{"id":{encode_str(c.id)},"state":{encode_str(c.state)},"customer":{customer}'
            f"{_members(between)}{escalation}{_members(after)}}}"
        )


def _members(d: codec.Json) -> str:
    """``d``'s members as they follow others in an object: ``,"key":value...``, or nothing."""
    return "," + dumps(d)[1:-1] if d else ""
