"""State lives in the store, not the process; and only allowed sites may open sessions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from tests.support.customer import CustomerSocket
from tests.support.gateway import SettingsFactory

Connect = Callable[..., Awaitable[CustomerSocket]]


async def test_conversation_survives_a_restart_on_the_same_database(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, connect: Connect
) -> None:
    first = await aiohttp_server(build_app(make_settings()))
    c = await connect(first)
    await c.start()
    await c.say("hello")
    await c.expect("message", seq=2, author="bot")
    await c.ws.close()
    await first.close()

    second = await aiohttp_server(build_app(make_settings()))
    again = await connect(second)
    again.session = c.session
    session = await again.start(resume=True, last_seq=0)
    assert session["conversation_id"] == c.conversation_id
    await again.expect("message", seq=1, author="customer", text="hello")
    await again.expect("message", seq=2, author="bot")
    assert (await again.say("my order"))["seq"] == 3


async def test_origin_allowlist_refuses_other_sites(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    server = await aiohttp_server(build_app(make_settings(web={"allowed_origins": ["https://shop.example"]})))
    resp = await http.get(
        server.make_url("/chat/ws"),
        headers={
            "Origin": "https://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert resp.status == 403
    assert (await resp.json())["code"] == "forbidden_origin"
    ws = await http.ws_connect(server.make_url("/chat/ws"), origin="https://shop.example")
    c = CustomerSocket(ws)
    assert (await c.start())["state"] == "bot"


async def test_shutdown_closes_sockets_with_going_away(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, connect: Connect
) -> None:
    server = await aiohttp_server(build_app(make_settings()))
    c = await connect(server)
    await c.start()
    await server.close()
    msg = await c.ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert msg.data == aiohttp.WSCloseCode.GOING_AWAY
