"""Domain objects to SQLite rows and the inserts shared by the store's write jobs (run on the writer thread)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from gateway.relay import codec
from gateway.relay.events import InboundEvent
from gateway.relay.model import Conversation, Entry

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
"""Compact JSON of the codec's dicts (trees: nothing to check for cycles), made once, not per call."""


def dumps(obj: object) -> str:
    return _ENCODER.encode(obj)


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


def conversation_row(c: Conversation) -> tuple[str, int, str | None, str, float, str]:
    return (
        c.id,
        c.version,
        c.cc_conversation_id,
        c.state.value,
        c.active_at,
        dumps(codec.conversation_to_json(c)),
    )
