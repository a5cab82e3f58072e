"""The default store: one SQLite file in WAL mode; writes group-committed on a writer thread, reads on the loop.

The schema is in ``schema.py``, the group commit in ``writer.py``, the row encodings in ``rows.py``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from gateway.relay import codec
from gateway.relay.errors import DuplicateEvent, RepeatedClientId, StaleConversation
from gateway.relay.events import InboundEvent
from gateway.relay.model import CcConversationId, Conversation, ConversationId, Entry, OutboxItem, State
from gateway.relay.ports import Change, NotReady, StoredFile, StoreStats
from gateway.store.decoded import DecodedOutbox
from gateway.store.json_text import dumps, outbox_json
from gateway.store.readiness import pinged
from gateway.store.sqlite.connection import Connection, Reader
from gateway.store.sqlite.current import CurrentRows
from gateway.store.sqlite.purge import purge
from gateway.store.sqlite.rows import (
    ConversationRows,
    entries_to_rows,
    inbound_row,
    insert_entries,
    insert_inbound,
)
from gateway.store.sqlite.schema import migrate
from gateway.store.sqlite.writer import GroupCommit


class SqliteStore:
    """``Store`` on two SQLite connections: one writes, on its own thread; one reads, on the event loop.

    Reads are point lookups and short index range scans of a local file in WAL mode, where a reader never
    waits for the writer (not even while a commit waits for its fsync): each takes some microseconds, less
    than handing it to a thread and back would (profiled with ``python -m bench --profile``). A conversation
    this process has just read or written is not read again while no other process writes to the file
    (``current.py``): under load, when the writer has just committed, a read must reload the pages it
    changed, and the conversation reads were the largest share of the loop's time in the store.

    Writes are group-committed (``writer.GroupCommit``): every write that arrives while a transaction is
    being written joins the next one, so N concurrent writers cost one fsync instead of N, and a write that
    fails is undone alone. A write's caller resumes only after the COMMIT that contains it (persist before ack).
    Writes apply in the order they were asked for.
    """

    def __init__(self, writer: Connection, reader: Reader) -> None:
        self._writer = writer
        self._reader = reader
        self._current = CurrentRows()
        self._rows = ConversationRows()
        self._outbox = DecodedOutbox()
        self._writes = GroupCommit(writer, self._current)

    @classmethod
    async def open(cls, path: Path, *, synchronous: str = "FULL") -> SqliteStore:
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        writer = Connection("sqlite-write")
        try:
            await writer.connect(
                path,
                "PRAGMA journal_mode=WAL",
                f"PRAGMA synchronous={synchronous}",
                "PRAGMA foreign_keys=ON",
                "PRAGMA busy_timeout=5000",
            )
            await writer.run(migrate)
            reader = Reader(path, "PRAGMA busy_timeout=1000", "PRAGMA query_only=ON")
        except BaseException:
            await writer.close()
            raise
        return cls(writer, reader)

    async def close(self) -> None:
        await self._writes.drain()
        self._reader.close()
        await self._writer.close()

    async def ping(self) -> None:
        self._reader.fetchall("SELECT 1")

    async def readiness(self) -> NotReady | None:
        return await pinged(self.ping)

    # --- conversations ---------------------------------------------------------------------------

    async def create_conversation(
        self, conversation: Conversation, token_hash: bytes, entries: Sequence[Entry] = ()
    ) -> None:
        row = self._rows.row(conversation)
        entry_rows = entries_to_rows(conversation.id, entries)

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
            insert_entries(conn, entry_rows)

        await self._writes.write(job, partial(self._settled, conversation))

    def _settled(self, conv: Conversation, committed: bool) -> None:
        """A write of ``conv`` is over: the file holds it now, or may not hold what the copy says."""
        if committed:
            self._current.put(conv)
        else:
            self._current.forget(conv.id)

    def _committed(self, change: Change, committed: bool) -> None:
        self._settled(change.conversation, committed)
        if committed:
            self._current.outbox_changed(
                change.conversation.id,
                added=change.outbox_add,
                done=change.outbox_done,
                dropped=change.drop_outbox,
            )

    async def conversation(self, conversation_id: ConversationId) -> Conversation | None:
        if (conv := self._current.get(conversation_id)) is not None:
            return conv
        rows = self._reader.fetchall(
            "SELECT id, version, data FROM conversations WHERE id = ?", (conversation_id,)
        )
        return self._current.one(rows)

    async def conversation_by_token(self, token_hash: bytes) -> Conversation | None:
        rows = self._reader.fetchall(
            "SELECT c.id, c.version, c.data FROM sessions s JOIN conversations c ON c.id = s.conversation_id "
            "WHERE s.token_hash = ?",
            (token_hash,),
        )
        return self._current.one(rows)

    async def conversation_by_cc_id(self, cc_conversation_id: CcConversationId) -> Conversation | None:
        if (conv := self._current.by_cc(cc_conversation_id)) is not None:
            return conv
        rows = self._reader.fetchall(
            "SELECT id, version, data FROM conversations WHERE cc_conversation_id = ?", (cc_conversation_id,)
        )
        return self._current.one(rows)

    async def commit(self, change: Change) -> None:
        conv = change.conversation
        unchanged = conv.version == change.expected_version  # bookkeeping only: the row stays as it is
        row = () if unchanged else (*self._rows.row(conv)[1:], conv.id, change.expected_version)
        entry_rows = entries_to_rows(conv.id, change.entries)
        outbox_rows = [(o.key, o.conversation_id, outbox_json(o)) for o in change.outbox_add]
        added = None if change.inbound_add is None else inbound_row(change.inbound_add)

        def job(conn: sqlite3.Connection) -> None:
            if added is not None and not insert_inbound(conn, added, applied=1):
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
            try:
                insert_entries(conn, entry_rows)
            except sqlite3.IntegrityError as exc:
                if "client_id" in str(exc):
                    raise RepeatedClientId(conv.id) from exc
                raise
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

        await self._writes.write(job, partial(self._committed, change))
        self._outbox.forget(change.outbox_done)
        for item, (_, _, data) in zip(change.outbox_add, outbox_rows, strict=True):
            self._outbox.put(item.key, data, item)

    async def idle_conversations(
        self, states: Sequence[State], *, before: float, after: float = 0.0, limit: int = 500
    ) -> list[ConversationId]:
        marks = ",".join("?" for _ in states)
        rows = self._reader.fetchall(
            f"SELECT id FROM conversations WHERE state IN ({marks}) AND active_at < ? AND active_at >= ? "
            "ORDER BY active_at LIMIT ?",
            (*(s.value for s in states), before, after, limit),
        )
        return [ConversationId(r[0]) for r in rows]

    # --- transcript ------------------------------------------------------------------------------

    async def entries(
        self, conversation_id: ConversationId, *, after: int = 0, upto: int | None = None, limit: int = 1000
    ) -> list[Entry]:
        rows = self._reader.fetchall(
            "SELECT data FROM entries WHERE conversation_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            (conversation_id, after, upto if upto is not None else 2**62, limit),
        )
        return [codec.entry_from_json(json.loads(r[0])) for r in rows]

    async def seq_of_client_id(self, conversation_id: ConversationId, client_id: str) -> int | None:
        rows = self._reader.fetchall(
            "SELECT seq FROM entries WHERE conversation_id = ? AND client_id = ?",
            (conversation_id, client_id),
        )
        return int(rows[0][0]) if rows else None

    # --- outbox ----------------------------------------------------------------------------------

    async def outbox_delivered(self, conversation_id: ConversationId, keys: Sequence[str]) -> None:
        done = [(key,) for key in keys]

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM outbox WHERE key = ?", done)

        await self._writes.write(job, partial(self._delivered, conversation_id, keys))
        self._outbox.forget(keys)

    def _delivered(self, conversation_id: ConversationId, keys: Sequence[str], committed: bool) -> None:
        if committed:
            self._current.outbox_changed(conversation_id, done=keys)
        else:
            self._current.forget(conversation_id)

    async def outbox(self, conversation_id: ConversationId) -> list[OutboxItem]:
        if (items := self._current.outbox(conversation_id)) is not None:
            return items
        rows = self._reader.fetchall(
            "SELECT key, data FROM outbox WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        )
        items = [self._outbox.decoded(key, data) for key, data in rows]
        self._current.put_outbox(conversation_id, items)
        return items

    async def stats(self) -> StoreStats:
        def read(conn: sqlite3.Connection) -> tuple[list[Any], int, str | None]:
            by_state = conn.execute("SELECT state, COUNT(*) FROM conversations GROUP BY state").fetchall()
            depth, oldest_id = conn.execute("SELECT COUNT(*), MIN(id) FROM outbox").fetchone()
            found = conn.execute("SELECT data FROM outbox WHERE id = ?", (oldest_id,)).fetchone()
            return by_state, int(depth), found[0] if found else None

        by_state, depth, oldest_data = self._reader.run(read)
        oldest = codec.outbox_from_json(json.loads(oldest_data)).created_at if oldest_data else None
        return StoreStats(
            conversations_by_state={str(r[0]): int(r[1]) for r in by_state},
            outbox_depth=depth,
            outbox_oldest_created_at=oldest,
        )

    async def conversations_with_outbox(self) -> list[ConversationId]:
        rows = self._reader.fetchall(
            "SELECT conversation_id FROM outbox GROUP BY conversation_id ORDER BY MIN(id)"
        )
        return [ConversationId(r[0]) for r in rows]

    # --- attachments -----------------------------------------------------------------------------

    async def put_attachment(self, file: StoredFile) -> None:
        row = (
            file.attachment.key,
            file.conversation_id,
            file.created_at,
            dumps(codec.attachment_to_json(file.attachment)),
            file.data,
        )

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO attachments (key, conversation_id, created_at, meta, data) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET data = excluded.data WHERE attachments.data IS NULL",
                row,
            )

        await self._writes.write(job)

    async def attachment(self, key: str) -> StoredFile | None:
        rows = self._reader.fetchall(
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
        row = inbound_row(event)
        cc_id = event.cc_conversation_id
        return await self._writes.write(
            lambda conn: insert_inbound(conn, row, applied=0), lambda _: self._current.events_pending(cc_id)
        )

    async def pending_inbound(self, cc_conversation_id: CcConversationId | None = None) -> list[InboundEvent]:
        if cc_conversation_id is None:
            rows = self._reader.fetchall(
                "SELECT event_id, cc_conversation_id, received_at, data FROM inbound WHERE applied = 0 ORDER BY id"
            )
        elif self._current.none_pending(cc_conversation_id):
            return []
        else:
            rows = self._reader.fetchall(
                "SELECT event_id, cc_conversation_id, received_at, data FROM inbound "
                "WHERE applied = 0 AND cc_conversation_id = ? ORDER BY id",
                (cc_conversation_id,),
            )
            if not rows:
                self._current.put_none_pending(cc_conversation_id)
        return [
            InboundEvent(
                event_id=r[0],
                cc_conversation_id=CcConversationId(r[1]),
                received_at=r[2],
                event=codec.cc_event_from_json(json.loads(r[3])),
            )
            for r in rows
        ]

    # --- retention (see purge.py) -----------------------------------------------------------------

    async def purge(self, conversation_ids: Sequence[ConversationId]) -> int:
        """Delete these conversations and everything of theirs; returns how many existed.

        Returns once no other gateway process on this file can still trust a copy of them (``current.py``:
        its copies are trusted for ``FRESH_S`` after its writer last found the file unchanged by others), so
        an operator's ``chat-gateway purge`` is in effect in the running gateway when it returns.
        """
        ids = list(conversation_ids)
        self._forget(ids)  # now, and again once purged: a read meanwhile may have put a copy back
        count = await self._writes.write(partial(purge, ids), lambda _: self._forget(ids))
        await asyncio.sleep(2 * CurrentRows.FRESH_S)
        return count

    def _forget(self, conversation_ids: Sequence[ConversationId]) -> None:
        for conversation_id in conversation_ids:
            self._current.forget(conversation_id)
