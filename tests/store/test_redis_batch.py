"""The Redis store's hot path: automatic pipelining (``gateway/store/redis_batch.py``): commands issued in one
turn of the event loop take one round trip, each caller still gets its own answer or error, a Redis that
forgot the scripts or stops answering is handled as before; and the fan-out published by the commit script."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio.client import PubSub
from redis.exceptions import ResponseError

import gateway.store.redis as redis_module
from gateway.relay import codec
from gateway.relay.errors import StoreUnavailable
from gateway.relay.model import ConversationId
from gateway.store.redis import RedisStore
from tests.store.test_store_contract import _commit, _conv, _item, _msg
from tests.support.redis_server import RedisServer


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisStore]:
    opened = await RedisStore.open(redis_url, prefix="t:")
    yield opened
    await opened.close()


async def test_commands_issued_together_take_one_round_trip_and_keep_their_own_answers(
    store: RedisStore,
) -> None:
    convs = [_conv(f"c{i}") for i in range(5)]
    for conv in convs:
        await store.create_conversation(conv, conv.id.encode())
    await store.redis.set("t:not-a-hash", "x")
    batches = store.batch.batches

    async def wrong_type() -> object:
        return await store.batch.call("HGET", "t:not-a-hash", "field")

    found = await asyncio.gather(
        *(store.conversation(c.id) for c in convs),
        store.conversation(ConversationId("missing")),
        wrong_type(),  # a wrong-type error: its own, not the others'
        return_exceptions=True,
    )
    assert store.batch.batches == batches + 1
    assert found[:5] == convs
    assert found[5] is None
    assert isinstance(found[6], ResponseError)


async def test_scripts_forgotten_by_redis_are_loaded_again(store: RedisStore) -> None:
    conv = _conv()
    await store.create_conversation(conv, b"t")
    await store.redis.script_flush()  # what a restarted Redis without the scripts looks like
    conv = await _commit(store, conv, last_seq=1, entries=(_msg(1, client_id="k1"),))
    assert await store.conversation(conv.id) == conv
    assert await store.seq_of_client_id(conv.id, "k1") == 1


async def test_a_redis_that_stops_answering_makes_calls_unavailable_within_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_module, "SOCKET_TIMEOUT_S", 0.5)
    server = RedisServer(tmp_path / "redis", durable=False)
    server.start()
    assert server.proc is not None
    try:
        store = await RedisStore.open(server.url)
        try:
            conv = _conv()
            await store.create_conversation(conv, b"t")
            os.kill(server.proc.pid, signal.SIGSTOP)
            try:
                started = time.monotonic()
                with pytest.raises(StoreUnavailable):
                    await store.conversation(conv.id)
                assert time.monotonic() - started < 3.0
            finally:
                os.kill(server.proc.pid, signal.SIGCONT)
            assert await store.conversation(conv.id) == conv  # a new connection, once Redis answers again
        finally:
            await store.close()
    finally:
        server.stop()


async def test_a_change_that_stores_entries_publishes_them_from_its_script(store: RedisStore) -> None:
    store.publish_entries("t:fanout", "instance-a")
    conv = _conv()
    await store.create_conversation(conv, b"t")
    async with store.redis.pubsub(ignore_subscribe_messages=True) as listening:
        await listening.subscribe("t:fanout")
        entries = (_msg(1, client_id="k1"), _msg(2, client_id="k2"))
        conv = await _commit(store, conv, last_seq=2, entries=entries)
        await _commit(store, conv, outbox_add=(_item("o1", 2),))  # no entries: nothing published
        received = []
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # (the subscription's own answer comes as None)
            if (message := await listening.get_message(timeout=0.2)) is not None:
                received.append(json.loads(message["data"]))
    assert received == [
        {"i": "instance-a", "c": conv.id, "e": [codec.entry_to_json(e) for e in entries]},
    ]


async def test_a_change_is_published_only_while_another_instance_listens(store: RedisStore) -> None:
    presence = store.publish_entries("t:fanout", "instance-a")
    conv = _conv()
    await store.create_conversation(conv, b"t")

    async def received(listening: PubSub) -> list[object]:
        found = []
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            if (message := await listening.get_message(timeout=0.1)) is not None:
                found.append(json.loads(message["data"])["e"][0]["seq"])
        return found

    async with store.redis.pubsub(ignore_subscribe_messages=True) as own:
        await own.subscribe("t:fanout", presence)  # what instance-a's own listener does
        conv = await _commit(store, conv, last_seq=1, entries=(_msg(1),))
        assert await received(own) == []  # alone: nothing published, nothing heard back
        async with store.redis.pubsub(ignore_subscribe_messages=True) as other:
            await other.subscribe("t:fanout")  # another instance
            conv = await _commit(store, conv, last_seq=2, entries=(_msg(2),))
            assert await received(other) == [2]
            assert await received(own) == [2]
    async with store.redis.pubsub(ignore_subscribe_messages=True) as other:
        await other.subscribe("t:fanout")  # instance-a cut off from Redis, another one listening
        await _commit(store, conv, last_seq=3, entries=(_msg(3),))
        assert await received(other) == [3]
