"""8x8's web-hook while the store is down: the event cannot be stored, so it is not acknowledged (503), and
8x8 delivers it again; once the store is back the agent's line reaches the customer once.

Persist before you acknowledge: a 2xx for an event the gateway could not store would lose the agent's line.
The store here is a Redis of the test's own, stopped and started again on the same port.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory
from tests.support.matrix import both_apis
from tests.support.redis_server import RedisServer


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    # 8x8 retries after 1, 10, 30 and 90 s; a tenth of that leaves Redis time to come back.
    return EmulatorConfig(mode="manual", retry_scale=0.1, delivery_timeout=2.0)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")  # appendfsync always, as docs/deploying.md requires
    server.start()
    yield server
    server.stop()


@both_apis
async def test_an_event_that_cannot_be_stored_is_answered_503_and_applied_once_the_store_is_back(
    start_gateway: GatewayFactory,
    cc: Emulator,
    connect: Callable[[TestServer], Awaitable[CustomerSocket]],
    own_redis: RedisServer,
) -> None:
    gateway = await start_gateway(store={"url": own_redis.url})
    c = await connect(gateway)
    await c.start(customer={"name": "Ann"})
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")

    own_redis.stop()
    await cc.agent_send(cid, "Are you still there?")
    refused = await cc.wait_for(
        lambda: [d for d in cc.deliveries if b"Are you still there?" in d.body and d.status is not None],
        timeout=10,
    )
    assert refused[0].status == 503  # not acknowledged: 8x8 keeps the event and delivers it again

    own_redis.start()  # the same port and the same data
    said = await c.until("message", author="agent", timeout=20)
    assert said["text"] == "Are you still there?"
    event = await cc.wait_for(
        lambda: [
            e for e in cc.events_of(cid) if e.status != "pending" and "Are you still there?" in str(e.body)
        ]
    )
    assert event[0].status == "delivered"
    await c.silent(0.5)  # once: the refused attempts left nothing behind to apply a second time
