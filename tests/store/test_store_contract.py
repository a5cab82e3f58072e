"""The ``Store`` port's contract. Every store implementation must pass this suite (parametrised by store).

The relay leans on these promises: a change applies atomically or not at all; a stale change is refused;
a client_id is stored once; outbox order is kept; a contact-center event id is stored once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.relay.errors import DuplicateEvent, RepeatedClientId, StaleConversation
from gateway.relay.events import AgentSaid, InboundEvent, Queued
from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    Author,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Entry,
    MessageEntry,
    OutboxItem,
    PostItem,
    QueueRef,
    State,
)
from gateway.relay.ports import Change, Store, StoredFile
from gateway.relay.relay import hash_token
from gateway.store.redis import RedisStore
from gateway.store.sqlite import MIGRATIONS, SqliteStore, path_from_url


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened: Store
    if request.param == "redis":
        opened = await RedisStore.open(request.getfixturevalue("redis_url"))
    else:
        opened = await SqliteStore.open(tmp_path / "store.db")
    yield opened
    await opened.close()


def _conv(
    cid: str = "c1", *, state: State = State.BOT, active_at: float = 0.0, cc_id: str | None = None
) -> Conversation:
    return Conversation(
        id=ConversationId(cid),
        state=state,
        customer=Customer(name="Ann"),
        created_at=1.0,
        active_at=active_at,
        cc_conversation_id=CcConversationId(cc_id) if cc_id else None,
    )


def _msg(seq: int, text: str = "x", client_id: str | None = None) -> MessageEntry:
    return MessageEntry(seq=seq, ts=float(seq), author=Author.CUSTOMER, text=text, client_id=client_id)


def _item(key: str, seq: int, cid: str = "c1") -> OutboxItem:
    return PostItem(key=key, conversation_id=ConversationId(cid), seq=seq, text="t", author=Author.CUSTOMER)


async def _commit(
    store: Store,
    conv: Conversation,
    *,
    state: State | None = None,
    last_seq: int | None = None,
    entries: tuple[Entry, ...] = (),
    outbox_add: tuple[OutboxItem, ...] = (),
    outbox_done: tuple[str, ...] = (),
    drop_outbox: bool = False,
    inbound_done: tuple[str, ...] = (),
) -> Conversation:
    new = replace(
        conv,
        version=conv.version + 1,
        state=state or conv.state,
        last_seq=conv.last_seq if last_seq is None else last_seq,
    )
    await store.commit(
        Change(
            conversation=new,
            expected_version=conv.version,
            entries=entries,
            outbox_add=outbox_add,
            outbox_done=outbox_done,
            drop_outbox=drop_outbox,
            inbound_done=inbound_done,
        )
    )
    return new


async def test_sessions_are_found_by_token_hash_only(store: Store) -> None:
    conv = _conv()
    await store.create_conversation(conv, hash_token("secret-token"))
    assert await store.conversation_by_token(hash_token("secret-token")) == conv
    assert await store.conversation_by_token(hash_token("other")) is None
    assert await store.conversation(ConversationId("c1")) == conv
    assert await store.conversation(ConversationId("nope")) is None


async def test_a_stale_change_is_refused_and_changes_nothing(store: Store) -> None:
    conv = _conv()
    await store.create_conversation(conv, b"t")
    current = await _commit(store, conv, last_seq=1, entries=(_msg(1),))
    with pytest.raises(StaleConversation):
        await _commit(store, conv, last_seq=1, entries=(_msg(1, "other"),), outbox_add=(_item("k", 1),))
    assert await store.conversation(conv.id) == current
    assert [e.text for e in await store.entries(conv.id) if isinstance(e, MessageEntry)] == ["x"]
    assert await store.outbox(conv.id) == []


async def test_a_failing_change_applies_nothing_at_all(store: Store) -> None:
    conv = _conv()
    await store.create_conversation(conv, b"t")
    conv = await _commit(store, conv, last_seq=1, entries=(_msg(1, client_id="k1"),))
    with pytest.raises(RepeatedClientId):
        # the same client_id twice is refused: the whole change (state, entry, outbox) rolls back
        await _commit(
            store,
            conv,
            last_seq=2,
            state=State.AGENT,
            entries=(_msg(2, client_id="k1"),),
            outbox_add=(_item("k", 2),),
        )
    assert (await store.conversation(conv.id)) == conv
    assert await store.outbox(conv.id) == []


async def test_entries_window_and_client_ids(store: Store) -> None:
    conv = _conv()
    await store.create_conversation(conv, b"t")
    await _commit(
        store, conv, last_seq=5, entries=tuple(_msg(i, f"m{i}", client_id=f"k{i}") for i in range(1, 6))
    )
    assert [e.seq for e in await store.entries(conv.id, after=2)] == [3, 4, 5]
    assert [e.seq for e in await store.entries(conv.id, after=1, upto=3)] == [2, 3]
    assert [e.seq for e in await store.entries(conv.id, limit=2)] == [1, 2]
    assert await store.seq_of_client_id(conv.id, "k4") == 4
    assert await store.seq_of_client_id(conv.id, "unknown") is None
    assert await store.seq_of_client_id(ConversationId("c2"), "k4") is None  # client ids are per conversation


async def test_outbox_keeps_order_and_forgets_what_is_done(store: Store) -> None:
    a, b = _conv("a"), _conv("b")
    await store.create_conversation(a, b"a")
    await store.create_conversation(b, b"b")
    a = await _commit(store, a, outbox_add=(_item("a1", 1, "a"), _item("a2", 2, "a")))
    b = await _commit(store, b, outbox_add=(_item("b1", 1, "b"),))
    assert [i.key for i in await store.outbox(a.id)] == ["a1", "a2"]
    assert await store.conversations_with_outbox() == [a.id, b.id]
    a = await _commit(store, a, outbox_done=("a1",))
    assert [i.key for i in await store.outbox(a.id)] == ["a2"]
    await _commit(store, b, drop_outbox=True)
    assert await store.conversations_with_outbox() == [a.id]
    stats = await store.stats()
    assert (stats.outbox_depth, stats.conversations_by_state) == (1, {"bot": 2})


async def test_a_change_that_keeps_the_version_only_settles_outbox_items(store: Store) -> None:
    """Delivered outbox items are recorded without rewriting the conversation (its version stays), but
    only while the stored version is still the one expected."""
    conv = _conv()
    await store.create_conversation(conv, b"t")
    conv = await _commit(store, conv, outbox_add=(_item("o1", 1), _item("o2", 2)))
    await store.commit(Change(conversation=conv, expected_version=conv.version, outbox_done=("o1",)))
    assert [i.key for i in await store.outbox(conv.id)] == ["o2"]
    assert await store.conversation(conv.id) == conv
    await store.commit(Change(conversation=conv, expected_version=conv.version, outbox_done=("o2",)))
    assert await store.conversations_with_outbox() == []
    newer = await _commit(store, conv, outbox_add=(_item("o3", 3),))
    with pytest.raises(StaleConversation):
        await store.commit(Change(conversation=conv, expected_version=conv.version, outbox_done=("o3",)))
    assert [i.key for i in await store.outbox(conv.id)] == ["o3"]
    assert await store.conversation(conv.id) == newer


async def test_delivered_outbox_items_are_removed_whatever_the_version(store: Store) -> None:
    """``outbox_delivered`` is bookkeeping: it needs no copy of the conversation, leaves it as it is, and
    keys it no longer has (or a conversation purged meanwhile) are no error."""
    conv = _conv()
    await store.create_conversation(conv, b"t")
    conv = await _commit(store, conv, outbox_add=(_item("o1", 1), _item("o2", 2)))
    newer = await _commit(store, conv, last_seq=1, entries=(_msg(1),))
    await store.outbox_delivered(conv.id, ["o1"])
    assert [i.key for i in await store.outbox(conv.id)] == ["o2"]
    assert await store.conversations_with_outbox() == [conv.id]
    assert await store.conversation(conv.id) == newer
    await store.outbox_delivered(conv.id, ["o1", "o2"])
    assert await store.outbox(conv.id) == []
    assert await store.conversations_with_outbox() == []
    await store.outbox_delivered(ConversationId("gone"), ["o9"])
    assert await store.conversation(ConversationId("gone")) is None


async def test_contact_center_events_are_stored_once_and_marked_applied(store: Store) -> None:
    conv = _conv(cc_id="cc-1")
    await store.create_conversation(conv, b"t")
    first = InboundEvent("e1", CcConversationId("cc-1"), Queued(QueueRef("101", "Billing"), 5.0), 5.0)
    second = InboundEvent("e2", CcConversationId("cc-1"), AgentSaid(AgentRef("a", "A"), "hi", 6.0), 6.0)
    other = InboundEvent("e3", CcConversationId("cc-9"), Queued(QueueRef("102"), 7.0), 7.0)
    assert await store.record_inbound(first)
    assert not await store.record_inbound(first)  # a duplicate delivery
    assert await store.record_inbound(second)
    assert await store.record_inbound(other)
    assert await store.pending_inbound(CcConversationId("cc-1")) == [first, second]
    assert [e.event_id for e in await store.pending_inbound()] == ["e1", "e2", "e3"]
    await _commit(store, conv, inbound_done=("e1",))
    assert await store.pending_inbound(CcConversationId("cc-1")) == [second]
    assert not await store.record_inbound(first)  # still known after being applied
    assert await store.conversation_by_cc_id(CcConversationId("cc-1")) is not None


async def test_an_event_stored_with_its_application_is_stored_once(store: Store) -> None:
    """A webhook's event recorded and applied in one change: never pending, and refused as a repeat
    (then the whole change is refused: no entry, no new version)."""
    conv = _conv(cc_id="cc-1")
    await store.create_conversation(conv, b"t")
    event = InboundEvent("e1", CcConversationId("cc-1"), AgentSaid(AgentRef("a", "A"), "hi", 6.0), 6.0)
    line = MessageEntry(seq=1, ts=6.0, author=Author.AGENT, text="hi")
    applied = replace(conv, version=1, last_seq=1)
    await store.commit(Change(conversation=applied, expected_version=0, entries=(line,), inbound_add=event))
    assert await store.pending_inbound() == []
    assert not await store.record_inbound(event)  # the same delivery again
    again = Change(
        conversation=replace(applied, version=2, last_seq=2),
        expected_version=1,
        entries=(replace(line, seq=2),),
        inbound_add=event,
    )
    with pytest.raises(DuplicateEvent):
        await store.commit(again)
    assert await store.conversation(conv.id) == applied
    assert [e.seq for e in await store.entries(conv.id)] == [1]
    assert await store.pending_inbound() == []


async def test_idle_conversations_by_state_oldest_first(store: Store) -> None:
    for cid, state, active in (("x", State.BOT, 5.0), ("y", State.AGENT, 1.0), ("z", State.QUEUED, 0.5)):
        await store.create_conversation(_conv(cid, state=state, active_at=active), cid.encode())
    assert await store.idle_conversations((State.BOT, State.AGENT), before=10.0) == ["y", "x"]
    assert await store.idle_conversations((State.BOT,), before=4.0) == []


async def test_everything_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    first = await SqliteStore.open(path)
    conv = _conv()
    await first.create_conversation(conv, b"t")
    await _commit(first, conv, last_seq=1, entries=(_msg(1),), outbox_add=(_item("k", 1),))
    await first.close()
    second = await SqliteStore.open(path)
    try:
        assert [e.seq for e in await second.entries(conv.id)] == [1]
        assert [i.key for i in await second.outbox(conv.id)] == ["k"]
    finally:
        await second.close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.execute("PRAGMA user_version = 99")
        db.commit()
    finally:
        db.close()
    with pytest.raises(RuntimeError, match="newer than this gateway knows"):
        await SqliteStore.open(path)


def test_store_urls() -> None:
    assert path_from_url("sqlite:///data/gw.db") == Path("data/gw.db")
    assert path_from_url("sqlite:////var/lib/gw.db") == Path("/var/lib/gw.db")
    for bad in ("sqlite://gw.db", "sqlite:///", "postgres://x"):
        with pytest.raises(ValueError, match="sqlite:///"):
            path_from_url(bad)


async def test_attachments_are_kept_by_key_and_their_bytes_filled_in_once(store: Store) -> None:
    meta = AttachedFile(key="f1", name="a.pdf", content_type="application/pdf", size=3, remote_id="r1")
    await store.put_attachment(StoredFile(ConversationId("c1"), meta, None, 5.0))
    assert await store.attachment("f1") == StoredFile(ConversationId("c1"), meta, None, 5.0)
    await store.put_attachment(StoredFile(ConversationId("c1"), meta, b"\x00\xffx", 5.0))
    await store.put_attachment(StoredFile(ConversationId("c1"), meta, b"other", 5.0))  # kept as first filled
    found = await store.attachment("f1")
    assert found is not None
    assert found.data == b"\x00\xffx"
    assert await store.attachment("unknown") is None
