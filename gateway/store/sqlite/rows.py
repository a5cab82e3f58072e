"""Domain objects to SQLite rows and the inserts shared by the store's write jobs (run on the writer thread).

Every row's JSON is ``json_text``'s, the same the Redis store writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gateway.relay import codec
from gateway.relay.events import InboundEvent
from gateway.relay.model import Conversation, Entry
from gateway.store.json_text import ConversationJson, cc_event_json, entry_json

EntryRow = tuple[str, int, str | None, str]
InboundRow = tuple[str, str, float, str]


def inbound_row(event: InboundEvent) -> InboundRow:
    return (event.event_id, event.cc_conversation_id, event.received_at, cc_event_json(event.event))


def insert_inbound(conn: sqlite3.Connection, row: InboundRow, *, applied: int) -> bool:
    """True if the event is new; a known event id stores nothing."""
    cursor = conn.execute(
        "INSERT INTO inbound (event_id, cc_conversation_id, received_at, data, applied) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (event_id) DO NOTHING",
        (*row, applied),
    )
    return cursor.rowcount == 1


def entries_to_rows(conversation_id: str, entries: Sequence[Entry]) -> list[EntryRow]:
    rows = []
    for e in entries:  # not a comprehension: Python 3.11 makes a function of each one, every time it runs
        rows.append((conversation_id, e.seq, codec.entry_client_id(e), entry_json(e)))
    return rows


def insert_entries(conn: sqlite3.Connection, rows: list[EntryRow]) -> None:
    if rows:
        conn.executemany(
            "INSERT INTO entries (conversation_id, seq, client_id, data) VALUES (?, ?, ?, ?)", rows
        )


ConversationRow = tuple[str, int, str | None, str, float, str]


class ConversationRows(ConversationJson):
    """A conversation's row: its columns, and its JSON (``ConversationJson``)."""

    def row(self, c: Conversation) -> ConversationRow:
        state = str(c.state)  # a StrEnum's value, as a plain str (``.value`` is an enum property: 5x slower)
        return (c.id, c.version, c.cc_conversation_id, state, c.active_at, self.data(c))
