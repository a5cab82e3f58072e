"""The default store: one SQLite file in WAL mode, through aiosqlite.

Layout (schema version in ``PRAGMA user_version``; migrations below run in order at open):
- ``conversations``: one row per conversation, the domain object as JSON plus the columns we look up by.
- ``sessions``: sha256 of the session token -> conversation (the token itself is never stored).
- ``entries``: the transcript, primary key (conversation_id, seq); a partial unique index dedupes client_id.
- ``outbox``: undelivered contact-center work, delivered in ``id`` order per conversation.
- ``inbound``: contact-center events by event id (unique), with ``applied`` once the relay has applied them.
- ``attachments`` (v2): files by their unguessable key; ``data`` is NULL for a contact-center file not yet fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from gateway.relay import codec
from gateway.relay.errors import StaleConversation
from gateway.relay.events import InboundEvent
from gateway.relay.model import CcConversationId, Conversation, ConversationId, Entry, OutboxItem, State
from gateway.relay.ports import Change, StoredFile, StoreStats

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


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def path_from_url(url: str) -> Path:
    """``sqlite:///relative.db`` or ``sqlite:////absolute.db`` -> a path."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError("must look like sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return Path(url[len(prefix) :])


class SqliteStore:
    """``Store`` on one SQLite connection; writes are serialised by a lock (one transaction at a time)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._write = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, synchronous: str = "FULL") -> SqliteStore:
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute(f"PRAGMA synchronous={synchronous}")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await _migrate(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def close(self) -> None:
        await self._conn.close()

    async def _rollback(self) -> None:
        # A cancellation can land before BEGIN ran; then there is nothing to roll back.
        with contextlib.suppress(sqlite3.OperationalError):
            await self._conn.execute("ROLLBACK")

    async def ping(self) -> None:
        await self._conn.execute_fetchall("SELECT 1")

    # --- conversations ---------------------------------------------------------------------------

    async def create_conversation(
        self, conversation: Conversation, token_hash: bytes, entries: Sequence[Entry] = ()
    ) -> None:
        async with self._write:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                await self._conn.execute(
                    "INSERT INTO conversations (id, version, cc_conversation_id, state, active_at, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    _conversation_row(conversation),
                )
                await self._conn.execute(
                    "INSERT INTO sessions (token_hash, conversation_id) VALUES (?, ?)",
                    (token_hash, conversation.id),
                )
                await self._insert_entries(conversation.id, entries)
                await self._conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise

    async def conversation(self, conversation_id: ConversationId) -> Conversation | None:
        rows = await self._conn.execute_fetchall(
            "SELECT data FROM conversations WHERE id = ?", (conversation_id,)
        )
        return _one_conversation(rows)

    async def conversation_by_token(self, token_hash: bytes) -> Conversation | None:
        rows = await self._conn.execute_fetchall(
            "SELECT c.data FROM sessions s JOIN conversations c ON c.id = s.conversation_id "
            "WHERE s.token_hash = ?",
            (token_hash,),
        )
        return _one_conversation(rows)

    async def conversation_by_cc_id(self, cc_conversation_id: CcConversationId) -> Conversation | None:
        rows = await self._conn.execute_fetchall(
            "SELECT data FROM conversations WHERE cc_conversation_id = ?", (cc_conversation_id,)
        )
        return _one_conversation(rows)

    async def commit(self, change: Change) -> None:
        conv = change.conversation
        async with self._write:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = await self._conn.execute(
                    "UPDATE conversations SET version = ?, cc_conversation_id = ?, state = ?, active_at = ?, data = ? "
                    "WHERE id = ? AND version = ?",
                    (*_conversation_row(conv)[1:], conv.id, change.expected_version),
                )
                if cursor.rowcount != 1:
                    raise StaleConversation(conv.id)
                await self._insert_entries(conv.id, change.entries)
                if change.drop_outbox:
                    await self._conn.execute("DELETE FROM outbox WHERE conversation_id = ?", (conv.id,))
                elif change.outbox_done:
                    await self._conn.executemany(
                        "DELETE FROM outbox WHERE key = ?", [(k,) for k in change.outbox_done]
                    )
                if change.outbox_add:
                    await self._conn.executemany(
                        "INSERT INTO outbox (key, conversation_id, data) VALUES (?, ?, ?)",
                        [
                            (o.key, o.conversation_id, _dumps(codec.outbox_to_json(o)))
                            for o in change.outbox_add
                        ],
                    )
                if change.inbound_done:
                    await self._conn.executemany(
                        "UPDATE inbound SET applied = 1 WHERE event_id = ?",
                        [(e,) for e in change.inbound_done],
                    )
                await self._conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise

    async def _insert_entries(self, conversation_id: str, entries: Sequence[Entry]) -> None:
        if entries:
            await self._conn.executemany(
                "INSERT INTO entries (conversation_id, seq, client_id, data) VALUES (?, ?, ?, ?)",
                [(conversation_id, e.seq, e.client_id, _dumps(codec.entry_to_json(e))) for e in entries],
            )

    async def idle_conversations(
        self, states: Sequence[State], *, before: float, after: float = 0.0, limit: int = 500
    ) -> list[ConversationId]:
        marks = ",".join("?" for _ in states)
        rows = await self._conn.execute_fetchall(
            f"SELECT id FROM conversations WHERE state IN ({marks}) AND active_at < ? AND active_at >= ? "
            "ORDER BY active_at LIMIT ?",
            (*(s.value for s in states), before, after, limit),
        )
        return [ConversationId(r[0]) for r in rows]

    # --- transcript ------------------------------------------------------------------------------

    async def entries(
        self, conversation_id: ConversationId, *, after: int = 0, upto: int | None = None, limit: int = 1000
    ) -> list[Entry]:
        rows = await self._conn.execute_fetchall(
            "SELECT data FROM entries WHERE conversation_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            (conversation_id, after, upto if upto is not None else 2**62, limit),
        )
        return [codec.entry_from_json(json.loads(r[0])) for r in rows]

    async def seq_of_client_id(self, conversation_id: ConversationId, client_id: str) -> int | None:
        rows = list(
            await self._conn.execute_fetchall(
                "SELECT seq FROM entries WHERE conversation_id = ? AND client_id = ?",
                (conversation_id, client_id),
            )
        )
        return int(rows[0][0]) if rows else None

    # --- outbox ----------------------------------------------------------------------------------

    async def outbox(self, conversation_id: ConversationId) -> list[OutboxItem]:
        rows = await self._conn.execute_fetchall(
            "SELECT data FROM outbox WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        )
        return [codec.outbox_from_json(json.loads(r[0])) for r in rows]

    async def stats(self) -> StoreStats:
        by_state = await self._conn.execute_fetchall(
            "SELECT state, COUNT(*) FROM conversations GROUP BY state"
        )
        rows = list(await self._conn.execute_fetchall("SELECT COUNT(*), MIN(id) FROM outbox"))
        depth, oldest_id = int(rows[0][0]), rows[0][1]
        oldest: float | None = None
        if oldest_id is not None:
            found = list(
                await self._conn.execute_fetchall("SELECT data FROM outbox WHERE id = ?", (oldest_id,))
            )
            if found:
                oldest = codec.outbox_from_json(json.loads(found[0][0])).created_at
        return StoreStats(
            conversations_by_state={str(r[0]): int(r[1]) for r in by_state},
            outbox_depth=depth,
            outbox_oldest_created_at=oldest,
        )

    async def conversations_with_outbox(self) -> list[ConversationId]:
        rows = await self._conn.execute_fetchall(
            "SELECT conversation_id FROM outbox GROUP BY conversation_id ORDER BY MIN(id)"
        )
        return [ConversationId(r[0]) for r in rows]

    # --- attachments -----------------------------------------------------------------------------

    async def put_attachment(self, file: StoredFile) -> None:
        async with self._write:
            await self._conn.execute(
                "INSERT INTO attachments (key, conversation_id, created_at, meta, data) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET data = excluded.data WHERE attachments.data IS NULL",
                (
                    file.attachment.key,
                    file.conversation_id,
                    file.created_at,
                    _dumps(codec.attachment_to_json(file.attachment)),
                    file.data,
                ),
            )

    async def attachment(self, key: str) -> StoredFile | None:
        rows = list(
            await self._conn.execute_fetchall(
                "SELECT conversation_id, created_at, meta, data FROM attachments WHERE key = ?", (key,)
            )
        )
        if not rows:
            return None
        conversation_id, created_at, meta, data = rows[0]
        return StoredFile(
            conversation_id=ConversationId(conversation_id),
            attachment=codec.attachment_from_json(json.loads(meta)),
            data=None if data is None else bytes(data),
            created_at=created_at,
        )

    # --- inbound ---------------------------------------------------------------------------------

    async def record_inbound(self, event: InboundEvent) -> bool:
        async with self._write:
            cursor = await self._conn.execute(
                "INSERT INTO inbound (event_id, cc_conversation_id, received_at, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (event_id) DO NOTHING",
                (
                    event.event_id,
                    event.cc_conversation_id,
                    event.received_at,
                    _dumps(codec.cc_event_to_json(event.event)),
                ),
            )
            return cursor.rowcount == 1

    async def pending_inbound(self, cc_conversation_id: CcConversationId | None = None) -> list[InboundEvent]:
        if cc_conversation_id is None:
            rows = await self._conn.execute_fetchall(
                "SELECT event_id, cc_conversation_id, received_at, data FROM inbound WHERE applied = 0 ORDER BY id"
            )
        else:
            rows = await self._conn.execute_fetchall(
                "SELECT event_id, cc_conversation_id, received_at, data FROM inbound "
                "WHERE applied = 0 AND cc_conversation_id = ? ORDER BY id",
                (cc_conversation_id,),
            )
        return [
            InboundEvent(
                event_id=r[0],
                cc_conversation_id=CcConversationId(r[1]),
                received_at=r[2],
                event=codec.cc_event_from_json(json.loads(r[3])),
            )
            for r in rows
        ]


def _conversation_row(c: Conversation) -> tuple[str, int, str | None, str, float, str]:
    return (
        c.id,
        c.version,
        c.cc_conversation_id,
        c.state.value,
        c.active_at,
        _dumps(codec.conversation_to_json(c)),
    )


def _one_conversation(rows: object) -> Conversation | None:
    found = list(rows)  # type: ignore[call-overload]
    return codec.conversation_from_json(json.loads(found[0][0])) if found else None


async def _migrate(conn: aiosqlite.Connection) -> None:
    rows = list(await conn.execute_fetchall("PRAGMA user_version"))
    current = int(rows[0][0])
    if current > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {current} is newer than this gateway knows ({len(MIGRATIONS)})"
        )
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        await conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
