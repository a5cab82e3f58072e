"""The default store: one SQLite file in WAL mode; writes group-committed on a writer thread, reads on the loop.

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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from gateway.relay import codec
from gateway.relay.errors import DuplicateEvent, StaleConversation
from gateway.relay.events import InboundEvent
from gateway.relay.model import CcConversationId, Conversation, ConversationId, Entry, OutboxItem, State
from gateway.relay.ports import Change, NotReady, StoredFile, StoreStats
from gateway.store.decoded import DecodedConversations
from gateway.store.readiness import pinged

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


T = TypeVar("T")


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def path_from_url(url: str) -> Path:
    """``sqlite:///relative.db`` or ``sqlite:////absolute.db`` -> a path."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError("must look like sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return Path(url[len(prefix) :])


class _Connection:
    """One ``sqlite3`` connection: ``run(fn)`` calls ``fn(conn)`` on the connection's own thread, or, with
    ``inline``, right here on the event loop."""

    def __init__(self, name: str, *, inline: bool = False) -> None:
        self._executor = None if inline else ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    async def connect(self, path: Path, *pragmas: str) -> None:
        def connect(_: object) -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            try:
                for pragma in pragmas:
                    conn.execute(pragma)
            except BaseException:
                conn.close()
                raise
            return conn

        self._conn = await self._run(connect)

    async def _run(self, fn: Callable[[Any], T]) -> T:
        if self._executor is None:
            return fn(self._conn)
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, self._conn)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            raise sqlite3.ProgrammingError("the store is closed")
        return await self._run(fn)

    async def fetchall(self, sql: str, parameters: Sequence[object] = ()) -> list[Any]:
        return await self.run(lambda conn: conn.execute(sql, parameters).fetchall())

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(lambda conn: conn.close())
            self._conn = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)


WriteJob = Callable[[sqlite3.Connection], Any]


def _transaction(jobs: Sequence[WriteJob], conn: sqlite3.Connection) -> list[tuple[bool, Any]]:
    """Run ``jobs`` in one transaction (one fsync), each in its own savepoint: a job that raises is undone
    alone and its exception returned in its place."""
    outcomes: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for job in jobs:
            conn.execute("SAVEPOINT job")
            try:
                value = job(conn)
            except Exception as exc:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((False, exc))
            else:
                conn.execute("RELEASE job")
                outcomes.append((True, value))
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return outcomes


class SqliteStore:
    """``Store`` on two SQLite connections: one writes, on its own thread; one reads, on the event loop.

    Reads are point lookups and short index range scans of a local file in WAL mode, where a reader never
    waits for the writer (not even while a commit waits for its fsync): each takes some microseconds, less
    than handing it to a thread and back would (profiled with ``python -m bench --profile``).

    Writes are group-committed: every write that arrives while a transaction is being written joins the
    next one, each in its own savepoint, so N concurrent writers cost one fsync instead of N. A write's
    caller resumes only after the COMMIT that contains it (persist before ack). Writes apply in the order
    they were asked for.
    """

    def __init__(self, writer: _Connection, reader: _Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._decoded = DecodedConversations()
        self._queued: list[tuple[WriteJob, asyncio.Future[Any]]] = []
        self._flushing: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: Path, *, synchronous: str = "FULL") -> SqliteStore:
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        writer, reader = _Connection("sqlite-write"), _Connection("sqlite-read", inline=True)
        try:
            await writer.connect(
                path,
                "PRAGMA journal_mode=WAL",
                f"PRAGMA synchronous={synchronous}",
                "PRAGMA foreign_keys=ON",
                "PRAGMA busy_timeout=5000",
            )
            await writer.run(_migrate)
            await reader.connect(path, "PRAGMA busy_timeout=1000", "PRAGMA query_only=ON")
        except BaseException:
            await reader.close()
            await writer.close()
            raise
        return cls(writer, reader)

    async def close(self) -> None:
        if self._flushing is not None:
            await self._flushing
        await self._reader.close()
        await self._writer.close()

    async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queued.append((job, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        batch: list[tuple[WriteJob, asyncio.Future[Any]]] = []
        try:
            while self._queued:
                batch = [(job, fut) for job, fut in self._queued if not fut.cancelled()]
                self._queued = []
                if not batch:
                    continue
                try:
                    outcomes = await self._writer.run(partial(_transaction, [job for job, _ in batch]))
                except Exception as exc:  # the transaction as a whole failed (disk full, I/O error, ...)
                    outcomes = [(False, exc)] * len(batch)
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        except asyncio.CancelledError:
            # Shutting down mid-transaction: whether it committed is unknown, so nobody is told it did.
            for _, future in [*batch, *self._queued]:
                future.cancel()
            self._queued = []
            raise
        finally:
            self._flushing = None

    async def ping(self) -> None:
        await self._reader.fetchall("SELECT 1")

    async def readiness(self) -> NotReady | None:
        return await pinged(self.ping)

    # --- conversations ---------------------------------------------------------------------------

    async def create_conversation(
        self, conversation: Conversation, token_hash: bytes, entries: Sequence[Entry] = ()
    ) -> None:
        row = _conversation_row(conversation)
        entry_rows = _entry_rows(conversation.id, entries)

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO conversations (id, version, cc_conversation_id, state, active_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
            conn.execute(
                "INSERT INTO sessions (token_hash, conversation_id) VALUES (?, ?)",
                (token_hash, conversation.id),
            )
            _insert_entries(conn, entry_rows)

        await self._write(job)
        self._decoded.put(conversation)

    async def conversation(self, conversation_id: ConversationId) -> Conversation | None:
        rows = await self._reader.fetchall(
            "SELECT id, version, data FROM conversations WHERE id = ?", (conversation_id,)
        )
        return self._decoded.one(rows)

    async def conversation_by_token(self, token_hash: bytes) -> Conversation | None:
        rows = await self._reader.fetchall(
            "SELECT c.id, c.version, c.data FROM sessions s JOIN conversations c ON c.id = s.conversation_id "
            "WHERE s.token_hash = ?",
            (token_hash,),
        )
        return self._decoded.one(rows)

    async def conversation_by_cc_id(self, cc_conversation_id: CcConversationId) -> Conversation | None:
        rows = await self._reader.fetchall(
            "SELECT id, version, data FROM conversations WHERE cc_conversation_id = ?", (cc_conversation_id,)
        )
        return self._decoded.one(rows)

    async def commit(self, change: Change) -> None:
        conv = change.conversation
        unchanged = conv.version == change.expected_version  # bookkeeping only: the row stays as it is
        row = () if unchanged else (*_conversation_row(conv)[1:], conv.id, change.expected_version)
        entry_rows = _entry_rows(conv.id, change.entries)
        outbox_rows = [(o.key, o.conversation_id, _dumps(codec.outbox_to_json(o))) for o in change.outbox_add]
        added = None if change.inbound_add is None else _inbound_row(change.inbound_add)

        def job(conn: sqlite3.Connection) -> None:
            if added is not None and not _insert_inbound(conn, added, applied=1):
                raise DuplicateEvent(added[0])
            if unchanged:
                found = conn.execute("SELECT version FROM conversations WHERE id = ?", (conv.id,)).fetchone()
                if found is None or found[0] != change.expected_version:
                    raise StaleConversation(conv.id)
            elif (
                conn.execute(
                    "UPDATE conversations SET version = ?, cc_conversation_id = ?, state = ?, active_at = ?, "
                    "data = ? WHERE id = ? AND version = ?",
                    row,
                ).rowcount
                != 1
            ):
                raise StaleConversation(conv.id)
            _insert_entries(conn, entry_rows)
            if change.drop_outbox:
                conn.execute("DELETE FROM outbox WHERE conversation_id = ?", (conv.id,))
            elif change.outbox_done:
                conn.executemany("DELETE FROM outbox WHERE key = ?", [(k,) for k in change.outbox_done])
            if outbox_rows:
                conn.executemany(
                    "INSERT INTO outbox (key, conversation_id, data) VALUES (?, ?, ?)", outbox_rows
                )
            if change.inbound_done:
                conn.executemany(
                    "UPDATE inbound SET applied = 1 WHERE event_id = ?", [(e,) for e in change.inbound_done]
                )

        await self._write(job)
        self._decoded.put(conv)

    async def idle_conversations(
        self, states: Sequence[State], *, before: float, after: float = 0.0, limit: int = 500
    ) -> list[ConversationId]:
        marks = ",".join("?" for _ in states)
        rows = await self._reader.fetchall(
            f"SELECT id FROM conversations WHERE state IN ({marks}) AND active_at < ? AND active_at >= ? "
            "ORDER BY active_at LIMIT ?",
            (*(s.value for s in states), before, after, limit),
        )
        return [ConversationId(r[0]) for r in rows]

    # --- transcript ------------------------------------------------------------------------------

    async def entries(
        self, conversation_id: ConversationId, *, after: int = 0, upto: int | None = None, limit: int = 1000
    ) -> list[Entry]:
        rows = await self._reader.fetchall(
            "SELECT data FROM entries WHERE conversation_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            (conversation_id, after, upto if upto is not None else 2**62, limit),
        )
        return [codec.entry_from_json(json.loads(r[0])) for r in rows]

    async def seq_of_client_id(self, conversation_id: ConversationId, client_id: str) -> int | None:
        rows = await self._reader.fetchall(
            "SELECT seq FROM entries WHERE conversation_id = ? AND client_id = ?",
            (conversation_id, client_id),
        )
        return int(rows[0][0]) if rows else None

    # --- outbox ----------------------------------------------------------------------------------

    async def outbox(self, conversation_id: ConversationId) -> list[OutboxItem]:
        rows = await self._reader.fetchall(
            "SELECT data FROM outbox WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        )
        return [codec.outbox_from_json(json.loads(r[0])) for r in rows]

    async def stats(self) -> StoreStats:
        def read(conn: sqlite3.Connection) -> tuple[list[Any], int, str | None]:
            by_state = conn.execute("SELECT state, COUNT(*) FROM conversations GROUP BY state").fetchall()
            depth, oldest_id = conn.execute("SELECT COUNT(*), MIN(id) FROM outbox").fetchone()
            found = conn.execute("SELECT data FROM outbox WHERE id = ?", (oldest_id,)).fetchone()
            return by_state, int(depth), found[0] if found else None

        by_state, depth, oldest_data = await self._reader.run(read)
        oldest = codec.outbox_from_json(json.loads(oldest_data)).created_at if oldest_data else None
        return StoreStats(
            conversations_by_state={str(r[0]): int(r[1]) for r in by_state},
            outbox_depth=depth,
            outbox_oldest_created_at=oldest,
        )

    async def conversations_with_outbox(self) -> list[ConversationId]:
        rows = await self._reader.fetchall(
            "SELECT conversation_id FROM outbox GROUP BY conversation_id ORDER BY MIN(id)"
        )
        return [ConversationId(r[0]) for r in rows]

    # --- attachments -----------------------------------------------------------------------------

    async def put_attachment(self, file: StoredFile) -> None:
        row = (
            file.attachment.key,
            file.conversation_id,
            file.created_at,
            _dumps(codec.attachment_to_json(file.attachment)),
            file.data,
        )

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO attachments (key, conversation_id, created_at, meta, data) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET data = excluded.data WHERE attachments.data IS NULL",
                row,
            )

        await self._write(job)

    async def attachment(self, key: str) -> StoredFile | None:
        rows = await self._reader.fetchall(
            "SELECT conversation_id, created_at, meta, data FROM attachments WHERE key = ?", (key,)
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
        row = _inbound_row(event)
        return await self._write(lambda conn: _insert_inbound(conn, row, applied=0))

    async def pending_inbound(self, cc_conversation_id: CcConversationId | None = None) -> list[InboundEvent]:
        if cc_conversation_id is None:
            rows = await self._reader.fetchall(
                "SELECT event_id, cc_conversation_id, received_at, data FROM inbound WHERE applied = 0 ORDER BY id"
            )
        else:
            rows = await self._reader.fetchall(
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

    # --- retention (new; see sqlite_purge.py) ----------------------------------------------------

    async def purge(self, conversation_ids: Sequence[ConversationId]) -> int:
        """Delete these conversations and everything of theirs; returns how many existed."""
        from gateway.store.sqlite_purge import purge

        return await self._write(partial(purge, list(conversation_ids)))


EntryRow = tuple[str, int, str | None, str]
InboundRow = tuple[str, str, float, str]


def _inbound_row(event: InboundEvent) -> InboundRow:
    return (
        event.event_id,
        event.cc_conversation_id,
        event.received_at,
        _dumps(codec.cc_event_to_json(event.event)),
    )


def _insert_inbound(conn: sqlite3.Connection, row: InboundRow, *, applied: int) -> bool:
    """True if the event is new; a known event id stores nothing."""
    cursor = conn.execute(
        "INSERT INTO inbound (event_id, cc_conversation_id, received_at, data, applied) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (event_id) DO NOTHING",
        (*row, applied),
    )
    return cursor.rowcount == 1


def _entry_rows(conversation_id: str, entries: Sequence[Entry]) -> list[EntryRow]:
    return [
        (conversation_id, e.seq, codec.entry_client_id(e), _dumps(codec.entry_to_json(e))) for e in entries
    ]


def _insert_entries(conn: sqlite3.Connection, rows: list[EntryRow]) -> None:
    if rows:
        conn.executemany(
            "INSERT INTO entries (conversation_id, seq, client_id, data) VALUES (?, ?, ?, ?)", rows
        )


def _conversation_row(c: Conversation) -> tuple[str, int, str | None, str, float, str]:
    return (
        c.id,
        c.version,
        c.cc_conversation_id,
        c.state.value,
        c.active_at,
        _dumps(codec.conversation_to_json(c)),
    )


def _migrate(conn: sqlite3.Connection) -> None:
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {current} is newer than this gateway knows ({len(MIGRATIONS)})"
        )
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
