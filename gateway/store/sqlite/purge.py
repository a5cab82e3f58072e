"""Deleting conversations from the SQLite store: retention and erasure on request (``chat-gateway purge``).

One write transaction per batch: a conversation goes with its session tokens (hashes), transcript,
undelivered work, files (customer uploads and agent files kept here) and the contact-center events
recorded for it, or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gateway.relay.model import ConversationId


def purge(conversation_ids: Sequence[ConversationId], conn: sqlite3.Connection) -> int:
    """Delete each conversation and everything of it; returns how many existed."""
    purged = 0
    for conversation_id in conversation_ids:
        row = conn.execute(
            "SELECT cc_conversation_id FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            continue
        for table in ("sessions", "entries", "outbox", "attachments"):
            conn.execute(f"DELETE FROM {table} WHERE conversation_id = ?", (conversation_id,))
        if row[0] is not None:
            conn.execute("DELETE FROM inbound WHERE cc_conversation_id = ?", (row[0],))
        conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        purged += 1
    return purged
