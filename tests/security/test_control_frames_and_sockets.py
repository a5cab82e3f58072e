"""Frames and requests that are not messages are limited too, and so are sockets per instance.

Issue 19, finding 11: ``cancel``, ``leave``, ``typing`` and ``read`` went to the relay (and on to 8x8)
without any rate limit, and an instance accepted any number of sockets. Each control frame now spends
from its own bucket per conversation (at the message rate), and beyond ``GATEWAY_LIMITS__MAX_SOCKETS``
an instance answers 503 so a balancer tries another. (Extra multipart parts: test_upload_limits.py.)
"""

from __future__ import annotations

import aiohttp
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from tests.support.customer import CustomerSocket
from tests.support.gateway import SettingsFactory


async def test_typing_and_read_frames_are_rate_limited_per_conversation(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    server = await aiohttp_server(build_app(make_settings(limits={"messages_per_second": 0.01, "burst": 5})))
    c = CustomerSocket(await http.ws_connect(server.make_url("/chat/ws")))
    await c.start()
    for _ in range(5):
        await c.send(type="typing")
    await c.silent(0.3)  # within the burst: nothing to say
    await c.send(type="typing")
    await c.expect("error", code="rate_limited")
    await c.send(type="read", upto_seq=1)
    await c.expect("error", code="rate_limited")
    # Control frames have their own bucket: the customer can still talk.
    assert (await c.say("still here"))["seq"] >= 1
    # And the REST forms share the conversation's control bucket.
    url = server.make_url(f"/chat/sessions/{c.conversation_id}/leave")
    async with http.post(url, headers={"Authorization": f"Bearer {c.session}"}) as resp:
        assert resp.status == 429
    await c.ws.close()


async def test_sockets_per_instance_are_capped(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    server = await aiohttp_server(build_app(make_settings(limits={"max_sockets": 2})))
    held = [await http.ws_connect(server.make_url("/chat/ws")) for _ in range(2)]
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    async with http.get(server.make_url("/chat/ws"), headers=upgrade) as refused:
        assert refused.status == 503
        assert (await refused.json())["code"] == "unavailable"
    await held[0].close()
    third = CustomerSocket(await http.ws_connect(server.make_url("/chat/ws")))
    assert (await third.start())["state"] == "bot"
    await third.ws.close()
    await held[1].close()
