"""What the Redis store promises beyond the Store contract: durability across a Redis crash, retried
changes applied once, fencing of applied events, the documented key layout, and leases."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

import gateway.store.redis as redis_module
from gateway.app import StartupError, open_store
from gateway.relay.errors import StaleConversation, StoreUnavailable
from gateway.relay.events import AgentSaid, InboundEvent
from gateway.relay.model import AgentRef, CcConversationId, ConversationId, MessageEntry
from gateway.relay.ports import Change
from gateway.store.redis import RedisStore
from gateway.store.redis_leases import LeaseLost, RedisLeases
from tests.store.test_store_contract import _commit, _conv, _item, _msg
from tests.support.action_server import free_port
from tests.support.gateway import SettingsFactory
from tests.support.redis_server import RedisServer


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisStore]:
    opened = await RedisStore.open(redis_url, prefix="t:", processed_ttl_s=120)
    yield opened
    await opened.close()


async def test_acked_changes_survive_a_redis_crash_with_appendfsync_always(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        store = await RedisStore.open(server.url)
        try:
            conv = _conv()
            await store.create_conversation(conv, b"token")
            conv = await _commit(store, conv, last_seq=1, entries=(_msg(1, client_id="k1"),))
            conv = await _commit(store, conv, outbox_add=(_item("o1", 1),))
            server.stop(kill=True)  # SIGKILL: no shutdown save, only the append-only file
            with pytest.raises(StoreUnavailable):
                await store.conversation(conv.id)
            server.start()
            assert await store.conversation(conv.id) == conv  # the client reconnects by itself
            assert await store.conversation_by_token(b"token") == conv
            assert [e.client_id for e in await store.entries(conv.id) if isinstance(e, MessageEntry)] == [
                "k1"
            ]
            assert [i.key for i in await store.outbox(conv.id)] == ["o1"]
        finally:
            await store.close()
    finally:
        server.stop()


async def test_a_retried_change_whose_answer_was_lost_is_applied_once(store: RedisStore) -> None:
    conv = _conv()
    await store.create_conversation(conv, b"t")
    sent: list[tuple[str, ...]] = []
    real = store.batch.evalsha

    async def lose_the_first_answer(script: object, *args: str, keys: tuple[str, ...] = ()) -> object:
        sent.append(args)
        result = await real(script, *args, keys=keys)
        if len(sent) == 1:
            raise RedisConnectionError("connection lost after the script ran")
        return result

    store.batch.evalsha = lose_the_first_answer  # type: ignore[method-assign]
    new = replace(conv, version=1, last_seq=1)
    change = Change(conversation=new, expected_version=0, entries=(_msg(1, client_id="k1"),))
    with pytest.raises(StoreUnavailable):
        await store.commit(change)
    store.batch.evalsha = real  # type: ignore[method-assign]
    # what redis-py's retry sends: recognised, not re-applied
    assert await real(store._commit, *sent[0]) == "same"
    assert [e.seq for e in await store.entries(conv.id)] == [1]
    with pytest.raises(StaleConversation):
        await store.commit(change)  # the same change made again (a new change id) is stale


async def test_an_event_another_instance_applied_is_not_applied_again(store: RedisStore) -> None:
    conv = _conv(cc_id="cc-1")
    await store.create_conversation(conv, b"t")
    event = InboundEvent("e1", CcConversationId("cc-1"), AgentSaid(AgentRef("a", "A"), "hi", 1.0), 1.0)
    assert await store.record_inbound(event)
    conv = await _commit(store, conv, last_seq=1, entries=(_msg(1),), inbound_done=("e1",))
    with pytest.raises(StaleConversation):
        await _commit(store, conv, last_seq=2, entries=(_msg(2),), inbound_done=("e1",))
    assert [e.seq for e in await store.entries(conv.id)] == [1]
    ttl = await store.redis.ttl("t:inbound:e1")
    assert 0 < ttl <= 120  # applied event ids are kept for processed_ttl_s, then forgotten
    assert not await store.record_inbound(event)


# Every key pattern of the module docstring's table, as a regular expression.
_DOCUMENTED = re.findall(r"``P ([a-z_]+(?::<[^>]+>)?)``", redis_module.__doc__ or "")


async def test_the_keys_are_the_documented_ones(store: RedisStore) -> None:
    patterns = [re.compile("t:" + re.sub(r"<[^>]+>", ".+", p) + "$") for p in _DOCUMENTED]
    assert len(patterns) >= 13
    conv = _conv(cc_id="cc-1")
    await store.create_conversation(conv, b"t")
    await store.record_inbound(
        InboundEvent("e1", CcConversationId("cc-1"), AgentSaid(AgentRef("a", "A"), "hi", 1.0), 1.0)
    )
    await store.record_inbound(
        InboundEvent("e2", CcConversationId("cc-1"), AgentSaid(AgentRef("a", "A"), "ho", 1.0), 1.0)
    )
    await _commit(
        store,
        conv,
        last_seq=1,
        entries=(_msg(1, client_id="k"),),
        outbox_add=(_item("o1", 1),),
        inbound_done=("e1",),
    )
    leases = RedisLeases(store, lease_s=5, instance_id="i")
    async with leases.claim("outbox:c1") as mine:
        assert mine
        keys = sorted(str(k) for k in await store.redis.keys("t:*"))
    undocumented = [k for k in keys if not any(p.match(k) for p in patterns)]
    assert undocumented == []
    assert len(keys) >= 14


async def test_a_lease_is_held_by_one_instance_and_expires_with_a_dead_one(store: RedisStore) -> None:
    a = RedisLeases(store, lease_s=0.3, instance_id="a")
    b = RedisLeases(store, lease_s=0.3, instance_id="b")
    async with a.claim("outbox:c1") as mine:
        assert mine
        await asyncio.sleep(0.5)  # longer than the lease: renewed meanwhile
        async with b.claim("outbox:c1") as theirs:
            assert not theirs
    async with b.claim("outbox:c1") as theirs:
        assert theirs  # released
    # A dead holder: its key stays until the lease runs out, then anyone may claim.
    await store.redis.set("t:lease:outbox:c2", "dead:token", px=300)
    async with b.claim("outbox:c2") as theirs:
        assert not theirs
    await asyncio.sleep(0.35)
    async with b.claim("outbox:c2") as theirs:
        assert theirs


async def test_work_whose_lease_is_lost_is_stopped(store: RedisStore) -> None:
    leases = RedisLeases(store, lease_s=0.3, instance_id="a")
    reached_the_end = False

    async def work() -> None:
        nonlocal reached_the_end
        async with leases.claim("timers") as mine:
            assert mine
            await store.redis.set("t:lease:timers", "someone-else")  # e.g. it expired while we stalled
            await asyncio.sleep(1)
            reached_the_end = True

    with pytest.raises(LeaseLost):
        await work()
    assert not reached_the_end
    assert await store.redis.get("t:lease:timers") == "someone-else"  # not released by the loser


async def test_redis_that_cannot_be_reached_is_store_unavailable(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", durable=False)
    server.start()
    store = await RedisStore.open(server.url)
    try:
        server.stop()
        with pytest.raises(StoreUnavailable):
            await store.conversation(ConversationId("c1"))
    finally:
        await store.close()


async def test_a_redis_url_that_cannot_be_used_stops_start_up_naming_the_setting(
    make_settings: SettingsFactory,
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    with pytest.raises(StartupError, match=r"^GATEWAY_STORE__URL: cannot reach Redis: "):
        await open_store(make_settings(store={"url": closed}))
    with pytest.raises(StartupError, match=r"^GATEWAY_STORE__URL: Port could not be cast"):
        await open_store(make_settings(store={"url": "redis://localhost:port/0"}))


async def test_a_redis_url_selects_the_redis_store(redis_url: str, make_settings: SettingsFactory) -> None:
    store = await open_store(make_settings(store={"url": redis_url, "prefix": "other:"}))
    try:
        assert isinstance(store, RedisStore)
        assert store.prefix == "other:"
    finally:
        await store.close()


async def test_more_concurrent_calls_than_pooled_connections_wait_for_one(store: RedisStore) -> None:
    """Hundreds of customers at once (the benchmark's 100 sessions did it) wait for a pooled connection;
    none is told the store is unavailable."""
    conv = _conv()
    await store.create_conversation(conv, b"token")
    calls = 3 * redis_module.MAX_CONNECTIONS
    found = await asyncio.gather(*(store.conversation(conv.id) for _ in range(calls)))
    assert found == [conv] * calls
