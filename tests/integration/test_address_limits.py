"""One address cannot hold unlimited sockets or open sessions without limit (per-address limits)."""

from __future__ import annotations

import aiohttp
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from tests.support.customer import CustomerSocket
from tests.support.gateway import SettingsFactory


async def _post_status(http: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None) -> int:
    async with http.post(url, headers=headers) as resp:
        await resp.read()
        return resp.status


async def test_sockets_per_address_are_capped(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    server = await aiohttp_server(build_app(make_settings(limits={"max_sockets_per_address": 2})))
    first = await http.ws_connect(server.make_url("/chat/ws"))
    second = await http.ws_connect(server.make_url("/chat/ws"))
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    async with http.get(server.make_url("/chat/ws"), headers=upgrade) as refused:
        assert refused.status == 429
        assert (await refused.json())["code"] == "rate_limited"
    await first.close()
    third = CustomerSocket(await http.ws_connect(server.make_url("/chat/ws")))  # a slot was freed
    assert (await third.start())["state"] == "bot"
    await second.close()


async def test_session_starts_per_address_are_rate_limited(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    server = await aiohttp_server(build_app(make_settings(limits={"address_rate": 0.01, "address_burst": 3})))
    statuses = [await _post_status(http, str(server.make_url("/chat/sessions"))) for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    c = CustomerSocket(await http.ws_connect(server.make_url("/chat/ws")))
    await c.send(type="start")
    await c.expect("error", code="rate_limited")
    await c.ws.close()


async def test_behind_a_proxy_each_forwarded_address_has_its_own_budget(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    settings = make_settings(
        limits={"address_rate": 0.01, "address_burst": 1}, web={"trust_forwarded_for": True}
    )
    server = await aiohttp_server(build_app(settings))
    url = str(server.make_url("/chat/sessions"))
    assert await _post_status(http, url, {"X-Forwarded-For": "203.0.113.1"}) == 201
    assert await _post_status(http, url, {"X-Forwarded-For": "10.0.0.1, 203.0.113.1"}) == 429
    assert await _post_status(http, url, {"X-Forwarded-For": "203.0.113.2"}) == 201
