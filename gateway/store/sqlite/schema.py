"""The SQLite store's schema: the tables, their migrations (run in order at open), and the URL to a path.

Layout (schema version in ``PRAGMA user_version``):
- ``conversations``: one row per conversation, the domain object as JSON plus the columns we look up by.
- ``sessions``: sha256 of the session token -> conversation (the token itself is never stored).
- ``entries``: the transcript, primary key (conversation_id, seq); a partial unique index dedupes client_id.
- ``outbox``: undelivered contact-center work, delivered in ``id`` order per conversation.
- ``inbound``: contact-center events by event id (unique), with ``applied`` once the relay has applied them.
- ``attachments`` (v2): files by their unguessable key; ``data`` is NULL for a contact-center file not yet fetched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        cc_conversation_id TEXT UNIQUE,
        state TEXT NOT NULL,
        active_at REAL NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX conversations_idle ON conversations (state, active_at);
    CREATE TABLE sessions (
        token_hash BLOB PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id)
    );
    CREATE TABLE entries (
        conversation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        client_id TEXT,
        data TEXT NOT NULL,
        PRIMARY KEY (conversation_id, seq)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX entries_client_id ON entries (conversation_id, client_id)
        WHERE client_id IS NOT NULL;
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX outbox_conversation ON outbox (conversation_id, id);
    CREATE TABLE inbound (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        cc_conversation_id TEXT NOT NULL,
        received_at REAL NOT NULL,
        applied INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL
    );
    CREATE INDEX inbound_pending ON inbound (cc_conversation_id, id) WHERE applied = 0;
    """,
    """
    CREATE TABLE attachments (
        key TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        created_at REAL NOT NULL,
        meta TEXT NOT NULL,
        data BLOB
    );
    CREATE INDEX attachments_conversation ON attachments (conversation_id);
    """,
)


def path_from_url(url: str) -> Path:
    """``sqlite:///relative.db`` or ``sqlite:////absolute.db`` -> a path."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError("must look like sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return Path(url[len(prefix) :])


def migrate(conn: sqlite3.Connection) -> None:
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {current} is newer than this gateway knows ({len(MIGRATIONS)})"
        )
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
