"""The Redis fan-out on its own: two instances, each a hub with customer sockets on a real port, sharing a
real redis-server. What one instance publishes reaches the other's sockets once; what pub/sub lost while
an instance was cut off reaches them after it re-subscribes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis
from pytest_aiohttp import AiohttpServer

from gateway.channels.web.hub import Hub
from gateway.relay.model import AgentRef, Author, ConversationId, ReadUpTo, Typing
from gateway.store.redis import RedisStore
from gateway.store.redis_fanout import RedisFanout
from tests.support.customer import CustomerSocket
from tests.support.hub_sockets import hub_app, subscribed
from tests.support.records import append, conversation, create, message
from tests.support.redis_server import RedisServer

C1 = ConversationId("c1")


@dataclass
class Instance:
    store: RedisStore
    hub: Hub
    fanout: RedisFanout
    connect: Callable[..., Awaitable[CustomerSocket]]


StartInstance = Callable[..., Awaitable[Instance]]


@pytest.fixture
async def start_instance(
    aiohttp_server: AiohttpServer, http: aiohttp.ClientSession
) -> AsyncIterator[StartInstance]:
    async with AsyncExitStack() as stack:

        async def start(url: str) -> Instance:
            store = await RedisStore.open(url)
            stack.push_async_callback(store.close)
            hub = Hub(store)
            fanout = RedisFanout(store, hub)
            await fanout.start()
            stack.push_async_callback(fanout.stop)
            server = await aiohttp_server(hub_app(hub))

            async def connect(conversation_id: str = C1, *, sent_seq: int = 0) -> CustomerSocket:
                url = server.make_url("/ws").with_query(conversation=conversation_id, sent_seq=sent_seq)
                customer = CustomerSocket(await http.ws_connect(url))
                await subscribed(customer)
                return customer

            return Instance(store, hub, fanout, connect)

        yield start


async def test_an_entry_published_on_one_instance_reaches_the_sockets_of_both_once(
    start_instance: StartInstance, redis_url: str
) -> None:
    a, b = await start_instance(redis_url), await start_instance(redis_url)
    on_a, on_b = await a.connect(), await b.connect()
    conv = await create(a.store, conversation(C1))
    entry = message(1, "hello", author=Author.BOT)
    await append(a.store, conv, entry)

    await a.fanout.publish(C1, [entry])

    for socket in (on_a, on_b):
        await socket.expect("message", seq=1, text="hello")
        await socket.silent()


async def test_typing_and_read_receipts_cross_instances_and_reach_the_publishers_sockets_once(
    start_instance: StartInstance, redis_url: str
) -> None:
    a, b = await start_instance(redis_url), await start_instance(redis_url)
    on_a, on_b = await a.connect(), await b.connect()

    await a.fanout.signal(C1, Typing(author=Author.AGENT, active=True, agent=AgentRef("a1", "Bob")))
    await a.fanout.signal(C1, ReadUpTo(author=Author.AGENT, seq=3, at=1_700_000_000.0))

    for socket in (on_a, on_b):  # not echoed back to a's own socket from the channel: signals have no seq
        await socket.expect("typing", author="agent", active=True, agent={"id": "a1", "name": "Bob"})
        await socket.expect("read", author="agent", upto_seq=3)
        await socket.silent()


async def test_an_unreadable_message_on_the_channel_is_dropped_and_the_next_one_delivered(
    start_instance: StartInstance, redis_url: str
) -> None:
    a, b = await start_instance(redis_url), await start_instance(redis_url)
    on_b = await b.connect()
    conv = await create(a.store, conversation(C1))
    entry = message(1, "after the noise")
    await append(a.store, conv, entry)

    await a.store.redis.publish(b.fanout.channel, "not json")
    await a.store.redis.publish(b.fanout.channel, '{"i": "x", "c": "c1", "e": [{"nonsense": 1}]}')
    await a.fanout.publish(C1, [entry])

    await on_b.expect("message", seq=1, text="after the noise")


async def test_after_its_subscription_drops_an_instance_brings_its_sockets_up_to_date_from_the_store(
    start_instance: StartInstance, redis_url: str
) -> None:
    _other, b = await start_instance(redis_url), await start_instance(redis_url)
    on_b = await b.connect()
    # Stored through a store that publishes nothing (as if its publication were lost): only a re-read of
    # the store can bring it to b's socket. (An instance's own store publishes from its commit script.)
    unwired = await RedisStore.open(redis_url)
    try:
        conv = await create(unwired, conversation(C1))
        await append(unwired, conv, message(1, "sent while you were away"))
    finally:
        await unwired.close()
    await on_b.silent(0.2)

    admin = aioredis.Redis.from_url(redis_url)
    try:
        assert await admin.client_kill_filter(_type="pubsub") >= 1  # every instance's listening connection
    finally:
        await admin.aclose()

    await on_b.expect("message", seq=1, text="sent while you were away")


async def test_a_publish_redis_refuses_still_reaches_the_instances_own_sockets(
    start_instance: StartInstance, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path / "redis", durable=False)
    server.start()
    try:
        a = await start_instance(server.url)
        on_a = await a.connect()
        conv = await create(a.store, conversation(C1))
        entry = message(1, "stored before redis went away")
        await append(a.store, conv, entry)
    finally:
        server.stop()

    await a.fanout.publish(C1, [entry])  # no error: the entry is stored; other instances catch up later

    await on_a.expect("message", seq=1, text="stored before redis went away")
