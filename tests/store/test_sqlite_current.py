"""The SQLite store serves the conversations it has just read or written without reading the file again,
but only while no other process has written to it: another process's writes (an operator's ``chat-gateway
purge``) are seen at the store's next transaction, or once its copies are ``FRESH_S`` old, and a write over
an old copy fails its version check and forgets the copy.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gateway.relay.errors import StaleConversation
from gateway.relay.events import AgentSaid, InboundEvent
from gateway.relay.model import (
    AgentRef,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    PostItem,
    State,
)
from gateway.relay.ports import Change
from gateway.store.sqlite import SqliteStore
from gateway.store.sqlite.current import CurrentRows

CID, OTHER = ConversationId("c1"), ConversationId("c2")
CC = CcConversationId("cc-1")


def _conv(conversation_id: ConversationId) -> Conversation:
    return Conversation(id=conversation_id, state=State.AGENT, customer=Customer(), created_at=1.0)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(tmp_path / "gw.db")
    try:
        yield store
    finally:
        await store.close()


def _count_reads(store: SqliteStore) -> list[str]:
    """The statements the store's reading connection runs from now on."""
    statements: list[str] = []
    store._reader._conn.set_trace_callback(statements.append)
    return statements


async def _advance(store: SqliteStore, conv: Conversation, **changes: Any) -> Conversation:
    new = replace(conv, version=conv.version + 1, **changes)
    await store.commit(Change(conversation=new, expected_version=conv.version))
    return new


async def test_a_conversation_just_written_is_read_without_the_file(store: SqliteStore) -> None:
    await store.create_conversation(_conv(CID), b"t1")
    conv = await _advance(store, _conv(CID), cc_conversation_id=CC, last_seq=3)
    reads = _count_reads(store)

    assert await store.conversation(CID) == conv
    assert await store.conversation_by_cc_id(CC) == conv
    assert reads == []

    await asyncio.sleep(CurrentRows.FRESH_S * 2)  # idle: the writer has not looked for a while
    assert await store.conversation(CID) == conv
    assert await store.conversation_by_cc_id(CC) == conv
    assert len(reads) == 2


async def test_an_8x8_conversation_id_that_is_no_longer_the_current_one_is_read_from_the_file(
    store: SqliteStore,
) -> None:
    await store.create_conversation(_conv(CID), b"t1")
    first = await _advance(store, _conv(CID), cc_conversation_id=CC)
    await _advance(store, first, cc_conversation_id=CcConversationId("cc-2"))  # escalated again

    assert await store.conversation_by_cc_id(CC) is None


async def test_another_process_writing_is_seen_at_the_next_transaction(
    store: SqliteStore, tmp_path: Path
) -> None:
    await store.create_conversation(_conv(CID), b"t1")
    await store.create_conversation(_conv(OTHER), b"t2")
    conv = await _advance(store, _conv(CID))
    with sqlite3.connect(tmp_path / "gw.db") as db:  # another process, as an operator's tool
        db.execute("UPDATE conversations SET version = 7, state = 'closed' WHERE id = ?", (CID,))
        db.execute(
            "UPDATE conversations SET data = json_set(data, '$.version', 7, '$.state', 'closed') WHERE id = ?",
            (CID,),
        )
    db.close()

    await _advance(store, _conv(OTHER))  # the store's next transaction, of another conversation

    seen = await store.conversation(CID)
    assert seen is not None
    assert (seen.version, seen.state) == (7, State.CLOSED)
    assert conv.version == 1


async def test_a_purge_by_another_process_is_seen_when_it_returns(store: SqliteStore, tmp_path: Path) -> None:
    await store.create_conversation(_conv(CID), b"t1")
    await store.create_conversation(_conv(OTHER), b"t2")
    await _advance(store, _conv(CID), cc_conversation_id=CC)
    operator = await SqliteStore.open(tmp_path / "gw.db")  # chat-gateway purge, as another process
    try:
        purged = asyncio.ensure_future(operator.purge([CID]))
        conv = _conv(OTHER)
        while not purged.done():  # the gateway busy meanwhile: its writer looks at the file all the time
            conv = await _advance(store, conv)
        assert purged.result() == 1
    finally:
        await operator.close()

    assert await store.conversation(CID) is None
    assert await store.conversation_by_cc_id(CC) is None


async def test_a_write_over_a_copy_another_process_purged_fails_and_forgets_it(
    store: SqliteStore, tmp_path: Path
) -> None:
    await store.create_conversation(_conv(CID), b"t1")
    conv = await _advance(store, _conv(CID), cc_conversation_id=CC)
    with sqlite3.connect(tmp_path / "gw.db") as db:  # another process, without waiting as purge does
        db.execute("DELETE FROM conversations WHERE id = ?", (CID,))
    db.close()

    with pytest.raises(StaleConversation):  # a write over the old copy fails its version check...
        await _advance(store, conv)
    assert await store.conversation(CID) is None  # ...and the copy is forgotten
    assert await store.conversation_by_cc_id(CC) is None


async def test_a_purge_by_another_process_is_seen_by_an_idle_store(
    store: SqliteStore, tmp_path: Path
) -> None:
    await store.create_conversation(_conv(CID), b"t1")
    await _advance(store, _conv(CID), cc_conversation_id=CC)
    operator = await SqliteStore.open(tmp_path / "gw.db")
    try:
        assert await operator.purge([CID]) == 1
    finally:
        await operator.close()

    await asyncio.sleep(CurrentRows.FRESH_S * 2)
    assert await store.conversation(CID) is None
    assert await store.conversation_by_cc_id(CC) is None


async def test_a_purge_by_the_store_itself_is_seen_at_once(store: SqliteStore) -> None:
    await store.create_conversation(_conv(CID), b"t1")
    await _advance(store, _conv(CID), cc_conversation_id=CC)

    assert await store.purge([CID]) == 1

    assert await store.conversation(CID) is None
    assert await store.conversation_by_cc_id(CC) is None


async def test_a_failed_write_forgets_the_copy(store: SqliteStore, tmp_path: Path) -> None:
    await store.create_conversation(_conv(CID), b"t1")
    conv = await _advance(store, _conv(CID))
    with pytest.raises(StaleConversation):
        await store.commit(Change(conversation=replace(conv, version=9), expected_version=5))
    reads = _count_reads(store)

    assert await store.conversation(CID) == conv
    assert len(reads) == 1  # read from the file, not trusted from the copy


async def test_outbox_copies_follow_every_change_as_the_file_does(store: SqliteStore, tmp_path: Path) -> None:
    """Random commits, deliveries and reads, several conversations interleaved in the same transactions:
    every read of an outbox equals what the file holds, read by a connection of its own."""
    rng = random.Random(18)
    convs = {cid: _conv(cid) for cid in (CID, OTHER, ConversationId("c3"))}
    for n, conv in enumerate(convs.values()):
        await store.create_conversation(conv, f"t{n}".encode())
    truth = sqlite3.connect(tmp_path / "gw.db")
    made = 0

    async def step(cid: ConversationId) -> None:
        nonlocal made
        conv = convs[cid]
        pending = [item.key for item in await store.outbox(cid)]
        roll = rng.random()
        if roll < 0.45:
            made += 1
            item = PostItem(f"k{made}", cid, made, f"line {made}")
            done = tuple(rng.sample(pending, k=min(len(pending), rng.randint(0, 1))))
            convs[cid] = (
                replace(conv, version=conv.version + 1) if rng.random() < 0.5 else conv
            )  # or unchanged
            await store.commit(
                Change(
                    conversation=convs[cid],
                    expected_version=conv.version,
                    outbox_add=(item,),
                    outbox_done=done,
                )
            )
        elif roll < 0.8 and pending:
            await store.outbox_delivered(cid, pending[: rng.randint(1, len(pending))])
        elif roll < 0.9:
            convs[cid] = replace(conv, version=conv.version + 1)
            await store.commit(
                Change(conversation=convs[cid], expected_version=conv.version, drop_outbox=True)
            )

    try:
        for _ in range(60):
            await asyncio.gather(*(step(cid) for cid in rng.sample(list(convs), k=rng.randint(1, 3))))
            for cid in convs:
                keys = [
                    r[0]
                    for r in truth.execute(
                        "SELECT key FROM outbox WHERE conversation_id = ? ORDER BY id", (cid,)
                    )
                ]
                assert [item.key for item in await store.outbox(cid)] == keys
    finally:
        truth.close()


async def test_an_8x8_conversation_known_to_have_no_pending_event_is_not_read_again(
    store: SqliteStore, tmp_path: Path
) -> None:
    said = AgentSaid(AgentRef("a1", "Alice"), "hi", 2.0)
    await store.create_conversation(_conv(CID), b"t1")
    conv = await _advance(store, _conv(CID), cc_conversation_id=CC)
    reads = _count_reads(store)
    assert await store.pending_inbound(CC) == []
    assert await store.pending_inbound(CC) == []
    assert len(reads) == 1

    first = InboundEvent("e1", CC, said, 3.0)
    assert await store.record_inbound(first)
    assert await store.pending_inbound(CC) == [first]  # recorded pending: read again
    await store.commit(Change(conversation=conv, expected_version=conv.version, inbound_done=("e1",)))
    assert await store.pending_inbound(CC) == []
    assert await store.pending_inbound(CC) == []
    assert len(reads) == 3

    with sqlite3.connect(tmp_path / "gw.db") as db:  # another process records one
        db.execute(
            "INSERT INTO inbound (event_id, cc_conversation_id, received_at, data, applied) "
            "SELECT 'e2', cc_conversation_id, 4.0, data, 0 FROM inbound WHERE event_id = 'e1'"
        )
    db.close()
    await store.create_conversation(_conv(OTHER), b"t2")  # the store's next transaction
    assert [e.event_id for e in await store.pending_inbound(CC)] == ["e2"]
