"""``/readyz`` asks every port's adapter whether it is usable (``readiness()``), not a list of known classes.

A load balancer takes an instance out of rotation on 503, so each part must be able to say "not now" and
"usable again" by itself: here the store, a Redis of the test's own that stops and comes back while the
gateway runs. The public answer names only the part; the reason goes to the metrics token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from tests.support.gateway import SettingsFactory
from tests.support.redis_server import RedisServer

OPERATOR = {"Authorization": "Bearer ops"}


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", durable=False)
    server.start()
    yield server
    server.stop()


async def _readyz(
    http: aiohttp.ClientSession, url: str, *, until: int, timeout_s: float = 15
) -> dict[str, object]:
    """Poll ``/readyz`` until it answers ``until``; its body."""
    async with asyncio.timeout(timeout_s):
        while True:
            async with http.get(url) as resp:
                if resp.status == until:
                    return dict(await resp.json())
            await asyncio.sleep(0.1)


async def test_readyz_names_the_store_while_it_is_down_and_is_ready_once_it_is_back(
    aiohttp_server: AiohttpServer,
    make_settings: SettingsFactory,
    http: aiohttp.ClientSession,
    own_redis: RedisServer,
) -> None:
    settings = make_settings(store={"url": own_redis.url}, metrics={"token": "ops"})
    gateway = await aiohttp_server(build_app(settings))
    url = str(gateway.make_url("/readyz"))
    assert await _readyz(http, url, until=200) == {"status": "ready"}

    own_redis.stop()
    down = await _readyz(http, url, until=503)
    assert down["failed"] == ["store"]
    assert down["detail"] == "not ready: store"  # the public answer names the part, nothing more
    async with http.get(url, headers=OPERATOR) as resp:
        detail = str((await resp.json())["detail"])
    assert detail.startswith("store: ")
    assert detail != "store: "  # the operator gets the kind of failure

    own_redis.start()  # the same port
    assert await _readyz(http, url, until=200) == {"status": "ready"}
