"""The SQLite store's group commit: writes that arrive together share one transaction, yet a write that
fails is undone alone and the others in its transaction are kept (each caller learns only its own outcome).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.relay.codec import entry_client_id
from gateway.relay.errors import RepeatedClientId, StaleConversation
from gateway.relay.model import Author, Conversation, ConversationId, Customer, Entry, MessageEntry, State
from gateway.relay.ports import Change
from gateway.store.sqlite import SqliteStore


def _conv(cid: str) -> Conversation:
    return Conversation(id=ConversationId(cid), state=State.BOT, customer=Customer(), created_at=1.0)


def _line(seq: int, client_id: str) -> Entry:
    return MessageEntry(seq=seq, ts=1.0, author=Author.CUSTOMER, text="x", client_id=client_id)


def _change(conv: Conversation, entry: Entry) -> Change:
    return Change(
        conversation=replace(conv, version=conv.version + 1, last_seq=entry.seq, state=State.AGENT),
        expected_version=conv.version,
        entries=(entry,),
    )


async def test_a_failing_write_is_undone_alone_and_the_rest_of_its_transaction_is_kept(
    tmp_path: Path,
) -> None:
    store = await SqliteStore.open(tmp_path / "gw.db")
    try:
        a, b, c, d = (_conv(x) for x in "abcd")
        for conv in (a, b, c, d):
            await store.create_conversation(conv, conv.id.encode(), entries=(_line(1, "k1"),))
        a, b, c, d = (replace(conv, last_seq=1) for conv in (a, b, c, d))
        # Queued together, so written in one transaction: b's row is updated before its line, whose
        # client_id is taken, is refused; d is stale before it writes anything.
        results = await asyncio.gather(
            store.commit(_change(a, _line(2, "k2"))),
            store.commit(_change(b, _line(2, "k1"))),
            store.commit(_change(c, _line(2, "k2"))),
            store.commit(_change(replace(d, version=5), _line(2, "k2"))),
            return_exceptions=True,
        )
        assert results[0] is None
        assert results[2] is None
        assert isinstance(results[1], RepeatedClientId)
        assert isinstance(results[3], StaleConversation)
        for kept in (a, c):
            stored = await store.conversation(kept.id)
            assert stored is not None
            assert (stored.version, stored.state) == (1, State.AGENT)
            assert [entry_client_id(e) for e in await store.entries(kept.id)] == ["k1", "k2"]
        for undone in (b, d):
            stored = await store.conversation(undone.id)
            assert stored is not None
            assert (stored.version, stored.state) == (0, State.BOT)
            assert [entry_client_id(e) for e in await store.entries(undone.id)] == ["k1"]
        # and the store goes on writing
        await store.commit(_change(b, _line(2, "k3")))
        assert [entry_client_id(e) for e in await store.entries(b.id)] == ["k1", "k3"]
    finally:
        await store.close()


@pytest.mark.parametrize("failing", [0, 2])
async def test_the_first_or_last_write_failing_keeps_the_others(tmp_path: Path, failing: int) -> None:
    store = await SqliteStore.open(tmp_path / "gw.db")
    try:
        convs = [_conv(x) for x in "abc"]
        for conv in convs:
            await store.create_conversation(conv, conv.id.encode(), entries=(_line(1, "k1"),))
        convs = [replace(conv, last_seq=1) for conv in convs]
        results = await asyncio.gather(
            *(
                store.commit(_change(conv, _line(2, "k1" if i == failing else "k2")))
                for i, conv in enumerate(convs)
            ),
            return_exceptions=True,
        )
        assert [isinstance(r, RepeatedClientId) for r in results] == [i == failing for i in range(3)]
        versions = [(await store.conversation(conv.id)).version for conv in convs]  # type: ignore[union-attr]
        assert versions == [0 if i == failing else 1 for i in range(3)]
    finally:
        await store.close()


async def test_a_write_cancelled_while_queued_is_not_written_and_close_waits_for_the_rest(
    tmp_path: Path,
) -> None:
    store = await SqliteStore.open(tmp_path / "gw.db")
    convs = [_conv(x) for x in "abcd"]
    for conv in convs:
        await store.create_conversation(conv, conv.id.encode())
    writes = [asyncio.create_task(store.commit(_change(conv, _line(1, "k1")))) for conv in convs]
    await asyncio.sleep(0)  # every write is queued; their transaction has not started
    writes[2].cancel()
    await store.close()  # without awaiting the writers: close waits for what they queued
    assert [w.done() for w in writes] == [True] * 4
    assert writes[2].cancelled()
    store = await SqliteStore.open(tmp_path / "gw.db")
    try:
        for i, conv in enumerate(convs):
            stored = await store.conversation(conv.id)
            assert stored is not None
            assert stored.version == (0 if i == 2 else 1)
            assert len(await store.entries(conv.id)) == (0 if i == 2 else 1)
    finally:
        await store.close()
