"""Both stores load transcript rows written by the previous version, and write today's rows the same.

The literals are what that version stored (``tests/support/stored_entries.py``); here they go in and come
out through each store's own table or key, not only through the codec.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace
from pathlib import Path

from gateway.relay.model import ConversationId, MessageEntry
from gateway.store.redis import RedisStore
from gateway.store.sqlite import SqliteStore
from tests.support import records
from tests.support.stored_entries import WRITTEN_BEFORE

BY_SEQ = sorted(WRITTEN_BEFORE, key=lambda pair: pair[1].seq)
LAST = BY_SEQ[-1][1].seq


def _client_id(seq: int) -> str | None:
    entry = next(e for _, e in BY_SEQ if e.seq == seq)
    return entry.client_id if isinstance(entry, MessageEntry) else None


async def _created(store: SqliteStore | RedisStore, cid: str, *, with_entries: bool) -> ConversationId:
    conv = replace(records.conversation(cid), last_seq=LAST)
    entries = [e for _, e in BY_SEQ] if with_entries else []
    await store.create_conversation(conv, hashlib.sha256(cid.encode()).digest(), entries)
    return conv.id


async def test_sqlite_rows_are_written_as_before_and_old_rows_load(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = await SqliteStore.open(path)
    try:
        written = await _created(store, "new", with_entries=True)
        old = await _created(store, "old", with_entries=False)
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT seq, client_id, data FROM entries WHERE conversation_id = ? ORDER BY seq", (written,)
        ).fetchall()
        assert rows == [(e.seq, _client_id(e.seq), stored) for stored, e in BY_SEQ]
        db.executemany(
            "INSERT INTO entries (conversation_id, seq, client_id, data) VALUES (?, ?, ?, ?)",
            [(old, e.seq, _client_id(e.seq), stored) for stored, e in BY_SEQ],
        )
    db.close()
    store = await SqliteStore.open(path)
    try:
        assert await store.entries(old) == [e for _, e in BY_SEQ]
        assert await store.seq_of_client_id(old, "c-1") == 4
    finally:
        await store.close()


async def test_redis_values_are_written_as_before_and_old_values_load(redis_url: str) -> None:
    store = await RedisStore.open(redis_url, prefix="t:")
    try:
        written = await _created(store, "new", with_entries=True)
        members = await store.redis.zrange(store.key("entries", written), 0, -1, withscores=True)
        assert members == [(stored, float(e.seq)) for stored, e in BY_SEQ]
        old = await _created(store, "old", with_entries=False)
        await store.redis.zadd(store.key("entries", old), {stored: e.seq for stored, e in BY_SEQ})
        assert await store.entries(old) == [e for _, e in BY_SEQ]
    finally:
        await store.close()
