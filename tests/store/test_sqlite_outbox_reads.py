"""The SQLite store reuses the outbox items it wrote instead of decoding their rows again, but only while a
row holds exactly the JSON the item was written as: a row changed behind its back (by another process) reads
as it now is, once the store no longer trusts its own copies (``CurrentRows.FRESH_S`` later, or at its next
transaction; see tests/store/test_sqlite_current.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

from gateway.relay.model import Author, Conversation, ConversationId, Customer, PostItem, State
from gateway.relay.ports import Change
from gateway.store.sqlite import SqliteStore
from gateway.store.sqlite.current import CurrentRows

CID = ConversationId("c1")


async def test_an_outbox_row_changed_behind_the_stores_back_reads_as_it_now_is(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    conv = Conversation(id=CID, state=State.AGENT, customer=Customer(), created_at=1.0)
    first, second = PostItem("k1", CID, 1, "hello", created_at=2.0), PostItem("k2", CID, 2, "again")
    store = await SqliteStore.open(path)
    try:
        await store.create_conversation(conv, b"token")
        change = Change(conversation=replace(conv, version=1), expected_version=0, outbox_add=(first, second))
        await store.commit(change)
        assert await store.outbox(CID) == [first, second]
        with sqlite3.connect(path) as db:  # as the version before wrote it, then edited by hand
            db.execute(
                "UPDATE outbox SET data = ? WHERE key = 'k1'",
                (
                    '{"key": "k1", "conversation_id": "c1", "kind": "post", "seq": 1, "text": "edited", '
                    '"author": "bot", "from_seq": 0, "created_at": 2.0}',
                ),
            )
        db.close()
        await asyncio.sleep(2 * CurrentRows.FRESH_S)
        assert await store.outbox(CID) == [replace(first, text="edited", author=Author.BOT), second]
        await store.outbox_delivered(CID, ["k1"])
        assert await store.outbox(CID) == [second]
    finally:
        await store.close()
